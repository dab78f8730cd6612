// The demo page's streaming chat on the compatible route, in headless Chromium against
// `wrangler dev` and the fake provider: tokens appear while the answer is still streaming, the
// conversation goes back with each message, Stop aborts the request (and the Worker its
// upstream call), and errors — before the stream and inside it — show the API's message.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, GATEWAY_TOKEN } from "./support/server.mjs";
import { launchBrowser, openPage, screenshot } from "./support/browser.mjs";
import { contrastProblems, unnamedControls } from "./support/a11y.mjs";

let server;
let browser;
before(async () => {
  server = await startServer();
  browser = await launchBrowser();
}, { timeout: 300_000 });
after(async () => {
  await browser?.close();
  await server?.close();
});

const T = { timeout: 120_000 };
const assistantTurns = (page) => page.locator("#stream-log .turn.assistant .says");
const lastUpstream = () => server.fake.requests.findLast((r) => r.path.endsWith("/messages") || r.path.endsWith("/chat/completions"));

async function streamMessage(page, { model, message }) {
  await page.getByLabel("Model name").fill(model);
  await page.getByLabel("Message", { exact: true }).fill(message);
  await page.getByRole("button", { name: "Stream", exact: true }).click();
}

test("tokens appear as they arrive; the conversation goes back with the next message", T, async () => {
  const page = await openPage(browser.context, server.url, { token: GATEWAY_TOKEN });
  await streamMessage(page, { model: "anthropic/claude-sonnet-4-5", message: "[[chunks:10]][[chunk-delay:250]] a lighthouse" });
  const answer = assistantTurns(page).last();
  await page.waitForFunction(() => document.querySelector("#stream-log .turn.assistant .says")?.textContent.length > 0);
  const partial = await answer.textContent();
  assert.equal(await page.locator("#stream-log .turn.assistant").last().getAttribute("aria-busy"), "true", "still streaming");
  assert.equal(await page.getByRole("button", { name: "Stop" }).isVisible(), true);
  await screenshot(page, "20-stream-midway");
  await page.locator("#stream-status").filter({ hasText: "output tokens" }).waitFor();
  const full = await answer.textContent();
  assert.ok(partial.length < full.length, `a part (${partial.length} characters) showed before the whole (${full.length})`);
  assert.deepEqual(JSON.parse(full), { echo: "[[chunks:10]][[chunk-delay:250]] a lighthouse", model: "claude-sonnet-4-5" });
  assert.match(await page.locator("#stream-status").textContent(), /^[\d,]+ input tokens · [\d,]+ output tokens · anthropic · first token in [\d,]+ ms · [\d,]+ ms$/);
  assert.equal(await page.getByRole("button", { name: "Stop" }).isHidden(), true);
  await screenshot(page, "21-stream-answered");

  await streamMessage(page, { model: "anthropic/claude-sonnet-4-5", message: "and then?" });
  await page.locator("#stream-status").filter({ hasText: "output tokens" }).waitFor();
  const sent = lastUpstream().json;
  assert.equal(sent.system, "Be concise.");
  assert.deepEqual(sent.messages.map((m) => [m.role, m.content]), [
    ["user", "[[chunks:10]][[chunk-delay:250]] a lighthouse"], ["assistant", full], ["user", "and then?"],
  ]);
  assert.equal(await page.locator("#stream-log .turn").count(), 4);
  // The transcript and its controls are named and readable in both schemes.
  const { nodes } = await (await browser.context.newCDPSession(page)).send("Accessibility.getFullAXTree");
  assert.deepEqual(unnamedControls(nodes), []);
  for (const scheme of ["light", "dark"]) {
    await page.emulateMedia({ colorScheme: scheme });
    assert.deepEqual(await page.evaluate(contrastProblems), [], `contrast (${scheme})`);
  }
  assert.deepEqual(page.problems, []);
  await page.getByRole("button", { name: "Clear conversation" }).click();
  assert.equal(await page.locator("#stream-log").isHidden(), true);
  await page.close();
});

test("Stop ends the stream, and the Worker stops its upstream request", T, async () => {
  const page = await openPage(browser.context, server.url, { token: GATEWAY_TOKEN });
  await streamMessage(page, { model: "gpt-4o-mini", message: "[[chunks:300]][[chunk-delay:40]] a long one" });
  await page.waitForFunction(() => document.querySelector("#stream-log .turn.assistant .says")?.textContent.length > 0);
  await page.getByRole("button", { name: "Stop" }).click();
  await page.locator("#stream-status").filter({ hasText: /^Stopped after \d+ characters\.$/ }).waitFor();
  const upstream = lastUpstream();
  for (let i = 0; i < 100 && !upstream.stream?.clientClosed; i++) await new Promise((r) => setTimeout(r, 50));
  assert.equal(upstream.stream.clientClosed, true, "the upstream connection was closed");
  assert.ok(upstream.stream.written < upstream.stream.planned, `${upstream.stream.written} of ${upstream.stream.planned} chunks`);
  assert.deepEqual(page.problems.filter((p) => !/ERR_ABORTED|aborted/i.test(p)), []);
  await page.close();
});

test("errors show the API's message: refused before the stream, failed inside it", T, async () => {
  const page = await openPage(browser.context, server.url, { token: GATEWAY_TOKEN });
  await streamMessage(page, { model: "ollama/llama3.2", message: "hi" });
  await page.locator("#stream-error").filter({ hasText: "(HTTP 400)" }).waitFor();
  assert.match(await page.locator("#stream-error").textContent(), /not configured on this gateway/);
  assert.equal(await page.locator("#stream-log .turn.assistant").count(), 0, "no empty answer left behind");
  await screenshot(page, "22-stream-error-400");
  await streamMessage(page, { model: "anthropic/claude-sonnet-4-5", message: "[[stream-error]] [[chunks:10]] hi" });
  await page.locator("#stream-error").filter({ hasText: "The stream failed: Anthropic stream error (overloaded_error): Overloaded" }).waitFor();
  assert.deepEqual(page.problems.filter((p) => !/status of 400/.test(p)), []);
  await page.close();
});
