// A browser app on another origin calling the Worker (CORS_ORIGINS), in headless Chromium
// against `wrangler dev`: Chromium itself enforces CORS, so this is what a real app sees. A
// listed origin streams a chat with an SDK's extra headers (a preflight first) and reads a 401's
// message; an origin not listed cannot read anything.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { startServer, GATEWAY_TOKEN } from "./support/server.mjs";
import { launchBrowser, trackProblems } from "./support/browser.mjs";

/** A page on its own loopback port: another origin than the Worker's. */
async function appServer() {
  const server = createServer((req, res) => {
    res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
    res.end("<!doctype html><title>another app</title><p>another app</p>");
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, origin: `http://127.0.0.1:${server.address().port}` };
}

let listed;
let unlisted;
let worker;
let browser;
before(async () => {
  [listed, unlisted] = await Promise.all([appServer(), appServer()]);
  worker = await startServer({ page: false, vars: { CORS_ORIGINS: `${listed.origin} https://other.example` } });
  browser = await launchBrowser();
}, { timeout: 300_000 });
after(async () => {
  await browser?.close();
  await worker?.close();
  for (const app of [listed, unlisted]) app?.server.close();
});

/** Runs in the app's page: a streamed chat and an unauthenticated call to the Worker. */
async function callWorker({ url, token }) {
  const out = {};
  try {
    const res = await fetch(`${url}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json", "x-stainless-lang": "js" },
      body: JSON.stringify({ model: "anthropic/claude-sonnet-4-5", messages: [{ role: "user", content: "[[chunks:5]] hi" }], stream: true }),
    });
    out.status = res.status;
    out.provider = res.headers.get("x-edge-llm-provider");
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    out.text = "";
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      out.text += decoder.decode(value, { stream: true });
    }
  } catch (error) {
    out.chatError = String(error);
  }
  try {
    const res = await fetch(`${url}/v1/chat`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
    out.unauthorized = { status: res.status, message: (await res.json()).error.message };
  } catch (error) {
    out.unauthorizedError = String(error);
  }
  return out;
}

test("a listed origin streams a chat through the Worker and reads its errors", { timeout: 120_000 }, async () => {
  const page = trackProblems(await browser.context.newPage());
  await page.goto(listed.origin);
  const out = await page.evaluate(callWorker, { url: worker.url, token: GATEWAY_TOKEN });
  assert.equal(out.chatError, undefined);
  assert.equal(out.status, 200);
  assert.equal(out.provider, "anthropic", "an exposed header is readable");
  const events = out.text.split("\n\n").filter((e) => e.startsWith("data: ")).map((e) => e.slice(6));
  assert.equal(events.at(-1), "[DONE]");
  const content = events.slice(0, -1).map((e) => JSON.parse(e).choices[0]?.delta?.content ?? "").join("");
  assert.deepEqual(JSON.parse(content), { echo: "[[chunks:5]] hi", model: "claude-sonnet-4-5" });
  assert.equal(out.unauthorized?.status, 401);
  assert.match(out.unauthorized.message, /Authorization/i);
  // Chromium notes every 4xx in the console; the 401 was asked for.
  assert.deepEqual(page.problems.filter((p) => !/status of 401/.test(p)), []);
  await page.close();
});

test("an origin not listed can read nothing", { timeout: 120_000 }, async () => {
  const page = trackProblems(await browser.context.newPage());
  await page.goto(unlisted.origin);
  const out = await page.evaluate(callWorker, { url: worker.url, token: GATEWAY_TOKEN });
  assert.match(out.chatError ?? "", /Failed to fetch/);
  assert.match(out.unauthorizedError ?? "", /Failed to fetch/);
  assert.ok(page.problems.some((p) => /CORS|Access-Control/i.test(p)), page.problems.join("\n"));
  await page.close();
});
