// The demo page end to end: real headless Chromium (Debian's, through playwright-core) against
// `wrangler dev` serving www/ and the Worker, with the fake provider upstream. Each test opens
// its own tab (its own sessionStorage). Screenshots go to tests/artifacts/browser/ (git-ignored).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { countTokens, encodingForModel } from "edge-llm";
import { startServer, GATEWAY_TOKEN } from "./support/server.mjs";
import { launchBrowser, openPage, setToken, screenshot, trackProblems, ARTIFACTS } from "./support/browser.mjs";
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

/** The progress line's percent and status, as the page shows them. */
const progressOf = (page) =>
  page.locator("#batch-progress-text").evaluate((el) => ({ percent: Number(el.dataset.percent), status: el.dataset.status, text: el.textContent }));

/**
 * Fires cron runs one at a time until the page shows the batch ended, waiting after each for
 * the page's own polling to show the change. Returns every state the page showed.
 */
async function cronUntilShownDone(page, { maxRuns = 12, screenshotMidway } = {}) {
  const seen = [await progressOf(page)];
  let shot = false;
  for (let i = 0; i < maxRuns; i++) {
    const before = seen.at(-1);
    if (!["validating", "in_progress", "finalizing", "cancelling"].includes(before.status)) return seen;
    await server.cron();
    await page
      .waitForFunction(
        ({ percent, status }) => {
          const el = document.getElementById("batch-progress-text");
          return Number(el.dataset.percent) !== percent || el.dataset.status !== status;
        },
        before,
        { timeout: 5_000 }, // the page polls every 1.5 s
      )
      .catch(() => {}); // a run that changed nothing upstream: the next one will
    const now = await progressOf(page);
    seen.push(now);
    if (screenshotMidway && !shot && now.percent > 0 && now.percent < 100) {
      shot = true;
      await screenshot(page, screenshotMidway);
    }
  }
  return seen;
}

// The first test's time includes the `before` hook's start of wrangler dev.
test("the page loads from the Worker with the wasm package, all from its own origin; transfer size", { timeout: 300_000 }, async (t) => {
  const context = browser.context;
  const page = trackProblems(await context.newPage());
  const responses = [];
  page.on("requestfinished", async (req) => responses.push(req));
  await page.goto(server.url);
  assert.equal(await page.evaluate(() => window.edgeLlmReady), true, "the tokenizer loaded");
  await page.waitForLoadState("networkidle");
  await screenshot(page, "01-loaded-no-token");

  const rows = [];
  for (const req of responses) {
    const res = await req.response();
    const body = await res.body();
    const sizes = await req.sizes();
    rows.push({
      path: new URL(req.url()).pathname,
      status: res.status(),
      encoding: (await res.allHeaders())["content-encoding"] ?? "identity",
      transferred: sizes.responseBodySize + sizes.responseHeadersSize,
      body: body.length,
      gzip: gzipSync(body, { level: 9 }).length,
    });
  }
  for (const r of responses) assert.equal(new URL(r.url()).origin, server.url, `fetched off-origin: ${r.url()}`);
  for (const r of rows) assert.equal(r.status, 200, `${r.path} answered ${r.status}`);
  const paths = rows.map((r) => r.path);
  for (const p of ["/", "/app.js", "/style.css", "/pkg/web.js", "/pkg/edge_llm.js", "/pkg/edge_llm_bg.wasm"]) assert.ok(paths.includes(p), `${p} was loaded`);
  assert.equal(new Set(paths).size, paths.length, `nothing is fetched twice (the wasm preload is used): ${paths}`);
  assert.ok(!paths.some((p) => p.startsWith("/v1/")), "without a token the page calls no API");

  const sum = (k, f = () => true) => rows.filter(f).reduce((n, r) => n + r[k], 0);
  const isWasm = (r) => r.path.endsWith(".wasm");
  const report = {
    files: rows.length,
    bodyBytes: sum("body"),
    gzip9Bytes: sum("gzip"),
    transferredBytes: sum("transferred"),
    wasm: { bodyBytes: sum("body", isWasm), gzip9Bytes: sum("gzip", isWasm), transferredBytes: sum("transferred", isWasm) },
    pageWithoutWasm: { bodyBytes: sum("body", (r) => !isWasm(r)), gzip9Bytes: sum("gzip", (r) => !isWasm(r)) },
    rows,
  };
  const kib = (n) => `${(n / 1024).toFixed(1)} KiB`;
  t.diagnostic(`page transfer: ${rows.length} files, ${kib(report.bodyBytes)} raw, ${kib(report.gzip9Bytes)} gzip -9, ${kib(report.transferredBytes)} as wrangler dev sent it (headers included)`);
  const timing = await page.evaluate(() => ({
    domContentLoaded: Math.round(performance.getEntriesByType("navigation")[0].domContentLoadedEventEnd),
    tokenizerReady: Math.round(performance.getEntriesByName("edge-llm-ready")[0].startTime),
  }));
  report.timingMs = timing;
  writeFileSync(join(ARTIFACTS, "transfer-size.json"), JSON.stringify(report, null, 2));
  t.diagnostic(`of which wasm: ${kib(report.wasm.bodyBytes)} raw, ${kib(report.wasm.gzip9Bytes)} gzip -9; page without wasm: ${kib(report.pageWithoutWasm.bodyBytes)} raw, ${kib(report.pageWithoutWasm.gzip9Bytes)} gzip -9`);
  t.diagnostic(`on loopback: panels usable at DOMContentLoaded ${timing.domContentLoaded} ms, tokenizer (wasm) ready at ${timing.tokenizerReady} ms`);
  assert.deepEqual(page.problems, []);
  await page.close();
});

test("tokens: the live count equals the package's countTokens, per model, with the context-window bar", T, async () => {
  const page = await openPage(browser.context, server.url);
  const text = page.getByLabel("Text to count");
  const shown = async () => {
    const { tokens, encoding, max, value, window } = await page.evaluate(() => ({
      tokens: Number(document.getElementById("tokens-count").dataset.tokens),
      encoding: document.getElementById("tokens-encoding").textContent,
      max: document.getElementById("tokens-window").max,
      value: document.getElementById("tokens-window").value,
      window: document.getElementById("tokens-window-text").textContent,
    }));
    return { tokens, encoding, max, value, window };
  };

  // Typed key by key: the count follows every keystroke.
  let typed = "";
  for (const chunk of ["Hello", ", wor", "ld! ", "Ünïcödé 日本語 🚀"]) {
    await text.pressSequentially(chunk);
    typed += chunk;
    assert.equal((await shown()).tokens, countTokens(typed, "gpt-4o"), `after typing ${JSON.stringify(typed)}`);
  }
  await screenshot(page, "02-tokens-typed");

  const sample = "The quick brown fox jumps over the lazy dog.\n  def f(x): return x**2  # code\n" + "naïve café – “quotes” ".repeat(20) + "<|endoftext|> 12345 67890";
  await text.fill(sample);
  const windows = { "gpt-4o": 128_000, "gpt-4": 128_000, "gpt-3.5-turbo": 128_000, "claude-sonnet-4-5": 200_000, "llama3.2": 8_192 };
  for (const [model, window] of Object.entries(windows)) {
    await page.getByLabel("Model", { exact: true }).selectOption(model);
    const s = await shown();
    assert.equal(s.tokens, countTokens(sample, model), `count for ${model}`);
    assert.equal(s.encoding, encodingForModel(model), `encoding for ${model}`);
    assert.equal(s.max, window, `context window of ${model}`);
    assert.equal(s.value, s.tokens);
  }
  assert.notEqual(countTokens(sample, "gpt-4"), countTokens(sample, "gpt-4o"), "the sample tells the two encodings apart");
  assert.equal(await page.locator("#tokens-estimate").isVisible(), true, "Ollama counts are marked as estimates");

  // Past the window (llama3.2: 8,192): the bar is full and the text says by how much.
  const long = "token ".repeat(9_000);
  await text.fill(long);
  const over = await shown();
  assert.equal(over.tokens, countTokens(long, "llama3.2"));
  assert.equal(over.value, 8_192);
  assert.match(over.window, new RegExp(`over the window by ${(over.tokens - 8_192).toLocaleString("en")} tokens`));
  await screenshot(page, "03-tokens-over-window");
  assert.deepEqual(page.problems, []);
  await page.close();
});

test("gateway token: asked for first, kept in sessionStorage, never in the URL; a wrong one shows the API's 401", T, async () => {
  const page = await openPage(browser.context, server.url);
  await page.getByRole("button", { name: "Send" }).click();
  await assert.doesNotReject(page.getByRole("alert").filter({ hasText: "Enter the gateway token above first." }).waitFor());
  assert.equal(await page.evaluate(() => document.activeElement.id), "gateway-token", "focus moves to the token field");

  await setToken(page, "not-the-token");
  const wrong = await fetch(`${server.url}/v1/chat`, { method: "POST", headers: { authorization: "Bearer not-the-token" }, body: "{}" });
  const wrongMessage = (await wrong.json()).error.message;
  assert.equal(wrong.status, 401);
  await page.getByRole("button", { name: "Send" }).click();
  await page.locator("#chat-error").filter({ hasText: wrongMessage }).waitFor();
  assert.match(await page.locator("#chat-error").textContent(), /HTTP 401/);

  await setToken(page, GATEWAY_TOKEN);
  assert.equal(await page.evaluate(() => sessionStorage.getItem("edge-llm.gatewayToken")), GATEWAY_TOKEN);
  assert.equal(await page.getByLabel("Token for the Worker's /v1 routes").inputValue(), "", "the field is emptied");
  assert.ok(!page.url().includes(GATEWAY_TOKEN) && !page.url().includes("?"), `URL: ${page.url()}`);
  await page.getByRole("button", { name: "Forget" }).click();
  assert.equal(await page.evaluate(() => sessionStorage.getItem("edge-llm.gatewayToken")), null);
  await page.close();
});

test("chat: the JSON answer is pretty-printed with its usage; API errors show the API's message", T, async () => {
  const page = await openPage(browser.context, server.url, { token: GATEWAY_TOKEN });
  await page.getByLabel("User message").fill("Hello from the browser");
  await page.getByRole("button", { name: "Send" }).click();
  const answer = page.locator("#chat-answer");
  await answer.waitFor();
  const text = await answer.textContent();
  assert.deepEqual(JSON.parse(text), { echo: "Hello from the browser", model: "gpt-4o-mini" });
  assert.ok(text.includes("\n  "), "pretty-printed");
  assert.match(await page.locator("#chat-usage").textContent(), /^\d+ input tokens · \d+ output tokens · openai \/ gpt-4o-mini · \d+ ms$/);
  await screenshot(page, "04-chat-answer");

  // Another provider and model, chosen on the page.
  await page.getByLabel("Provider").first().selectOption("anthropic");
  await page.getByLabel("Model (empty: the Worker's)").first().fill("claude-sonnet-4-5");
  await page.getByRole("button", { name: "Send" }).click();
  await page.locator("#chat-usage").filter({ hasText: "anthropic / claude-sonnet-4-5" }).waitFor();
  await page.getByLabel("Provider").first().selectOption("");
  await page.getByLabel("Model (empty: the Worker's)").first().fill("");

  // Rejected by the Worker (400 naming the field) and by upstream (502 with its message).
  for (const [system, user, status] of [["", "no magic word here", 400], ["Answer in JSON.", "[[status:500]] boom", 502]]) {
    const messages = [...(system ? [{ role: "system", content: system }] : []), { role: "user", content: user }];
    const expected = await server.api("POST", "/v1/chat", { messages });
    assert.equal(expected.status, status, expected.text);
    await page.getByLabel("System message (optional)").fill(system);
    await page.getByLabel("User message").fill(user);
    await page.getByRole("button", { name: "Send" }).click();
    await page.locator("#chat-error").filter({ hasText: expected.json.error.message }).waitFor();
    assert.equal(await page.locator("#chat-result").isHidden(), true, "no stale answer next to an error");
    if (status === 400) {
      assert.match(expected.json.error.message, /^messages/, "the message names the field");
      await screenshot(page, "05-chat-error-400");
    }
  }
  assert.deepEqual(page.problems.filter((p) => !/status of (400|502)/.test(p)), []);
  await page.close();
});

test("batch: prompts → the bar moves by itself with each cron run to 100 %, every row in order, errors highlighted, download", { timeout: 180_000 }, async () => {
  const page = await openPage(browser.context, server.url, { token: GATEWAY_TOKEN });
  const prompts = ["Name a fruit.", "[[status:400]] a bad one", "Name a colour.", "[[invalid-json]] prose", "Name a planet."];
  await page.getByLabel("Prompts, one per line (ids p1, p2, …)").fill(prompts.join("\n") + "\n\n");
  await page.getByRole("button", { name: "Submit batch" }).click();
  await page.locator("#batch-progress-text[data-status]").waitFor();
  const id = await page.locator("#batch-id").textContent();
  assert.match(id, /^eb_[0-9a-f]{24}$/);
  assert.equal(await page.evaluate(() => sessionStorage.getItem("edge-llm.batchId")), id, "kept for a reload");
  await screenshot(page, "06-batch-submitted");

  const seen = await cronUntilShownDone(page, { screenshotMidway: "07-batch-in-progress" });
  const percents = seen.map((s) => s.percent);
  assert.deepEqual([...percents].sort((a, b) => a - b), percents, `the bar only moves forward: ${percents}`);
  assert.ok(percents.some((p) => p > 0 && p < 100), `an intermediate state was shown: ${JSON.stringify(seen)}`);
  assert.equal(seen.at(-1).status, "completed");
  assert.equal(seen.at(-1).percent, 100);
  const bar = await page.locator("#batch-progress").evaluate((el) => [el.value, el.max]);
  assert.deepEqual(bar, [5, 5]);

  const rows = page.locator("#batch-table tbody tr");
  await rows.nth(4).waitFor();
  const table = await rows.evaluateAll((trs) =>
    trs.map((tr) => ({ id: tr.dataset.id, failed: tr.classList.contains("failed"), cells: [...tr.cells].map((c) => c.textContent), bg: getComputedStyle(tr).backgroundColor })),
  );
  assert.deepEqual(table.map((r) => r.id), ["p1", "p2", "p3", "p4", "p5"]);
  assert.deepEqual(table.map((r) => r.failed), [false, true, false, true, false]);
  assert.equal(table[1].cells[2], "✗ Error");
  assert.match(table[1].cells[3], /status 400/);
  assert.match(table[3].cells[3], /^Invalid JSON/);
  assert.deepEqual(JSON.parse(table[0].cells[3]), { echo: "Name a fruit.", model: "gpt-4o-mini" });
  assert.notEqual(table[1].bg, table[0].bg, "error rows are highlighted");
  assert.equal(await page.evaluate(() => sessionStorage.getItem("edge-llm.batchId")), null, "an ended batch is forgotten");
  await screenshot(page, "08-batch-done");

  const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: "Download JSON" }).click()]);
  assert.equal(download.suggestedFilename(), `batch-${id}.json`);
  const saved = JSON.parse(readFileSync(await download.path(), "utf8"));
  const api = await server.api("GET", `/v1/batches/${id}/results`);
  assert.deepEqual(saved.results, api.json.results);
  assert.equal(saved.batch.status, "completed");
  assert.deepEqual(page.problems, []);
  await page.close();
});

test("batch: a JSONL file (both line styles, 150 lines: two result pages) and a bad file", { timeout: 180_000 }, async () => {
  const page = await openPage(browser.context, server.url, { token: GATEWAY_TOKEN });
  const file = page.getByLabel("…or a JSONL file (used instead of the prompts)");
  await file.setInputFiles({ name: "bad.jsonl", mimeType: "application/jsonl", buffer: Buffer.from('{"id":"a","messages":[]}\n{"id":\n') });
  await page.locator("#batch-error").filter({ hasText: "bad.jsonl: line 2: not JSON" }).waitFor();

  const lines = Array.from({ length: 150 }, (_, i) =>
    i % 2
      ? { custom_id: `q${i + 1}`, method: "POST", url: "/v1/chat/completions", body: { messages: [{ role: "user", content: `json please ${i + 1}` }] } }
      : { id: `q${i + 1}`, messages: [{ role: "system", content: "Answer in JSON." }, { role: "user", content: `item ${i + 1}` }] },
  );
  await file.setInputFiles({ name: "requests.jsonl", mimeType: "application/jsonl", buffer: Buffer.from(lines.map((l) => JSON.stringify(l)).join("\n")) });
  await page.locator("#batch-file-state").filter({ hasText: "requests.jsonl: 150 requests" }).waitFor();
  assert.equal(await page.locator("#batch-error").isHidden(), true);
  await page.getByRole("button", { name: "Submit batch" }).click();
  await page.locator("#batch-progress-text[data-status]").waitFor();
  const seen = await cronUntilShownDone(page);
  assert.equal(seen.at(-1).status, "completed", JSON.stringify(seen));
  const rows = page.locator("#batch-table tbody tr");
  await rows.nth(149).waitFor();
  const ids = await rows.evaluateAll((trs) => trs.map((tr) => tr.dataset.id));
  assert.deepEqual(ids, lines.map((_, i) => `q${i + 1}`));
  assert.equal(await page.locator("#batch-table tbody tr.failed").count(), 0);
  assert.match(await page.locator("#batch-results-summary").textContent(), /^150 results in input order, 0 with an error/);
  await page.getByRole("button", { name: "Use the prompts instead" }).click();
  assert.equal(await page.locator("#batch-file-state").textContent(), "");
  await page.close();
});

test("batch: an open batch is picked up again after a reload, and a one-prompt batch completes at once", { timeout: 180_000 }, async () => {
  const page = await openPage(browser.context, server.url, { token: GATEWAY_TOKEN });
  await page.getByLabel("Prompts, one per line (ids p1, p2, …)").fill("one\ntwo");
  await page.getByRole("button", { name: "Submit batch" }).click();
  await page.locator("#batch-progress-text[data-status]").waitFor();
  const id = await page.locator("#batch-id").textContent();
  await page.reload();
  await page.locator("#batch-id").filter({ hasText: id }).waitFor();
  const seen = await cronUntilShownDone(page);
  assert.equal(seen.at(-1).status, "completed");
  await page.locator("#batch-table tbody tr").nth(1).waitFor();

  await page.getByLabel("Prompts, one per line (ids p1, p2, …)").fill("just one");
  await page.getByRole("button", { name: "Submit batch" }).click();
  await page.waitForFunction((old) => document.getElementById("batch-id").textContent !== old, id);
  assert.match(await page.locator("#batch-id").textContent(), /^eb_[0-9a-f]{24}$/, "completed at once, under the gateway's own id");
  await page.locator("#batch-progress-text[data-status=completed]").waitFor();
  await page.locator('#batch-table tbody tr[data-id="p1"]').waitFor();
  assert.equal(await page.locator("#batch-table tbody tr").count(), 1);
  await page.close();
});

test("batch: cancelling an open batch; the finished part and the cancelled rest are shown", { timeout: 180_000 }, async () => {
  const page = await openPage(browser.context, server.url, { token: GATEWAY_TOKEN });
  await page.getByLabel("Prompts, one per line (ids p1, p2, …)").fill("a\nb\nc\nd");
  await page.getByRole("button", { name: "Submit batch" }).click();
  await page.locator("#batch-progress-text[data-status]").waitFor();
  await server.cron(); // validating → in_progress
  await page.locator("#batch-progress-text[data-status=in_progress]").waitFor();
  await page.getByRole("button", { name: "Cancel batch" }).click();
  await page.locator("#batch-progress-text[data-status=cancelling]").waitFor();
  assert.equal(await page.getByRole("button", { name: "Cancel batch" }).isHidden(), true);
  const seen = await cronUntilShownDone(page);
  assert.equal(seen.at(-1).status, "cancelled", JSON.stringify(seen));
  await page.locator("#batch-table tbody tr").nth(3).waitFor();
  const rows = await page.locator("#batch-table tbody tr").evaluateAll((trs) => trs.map((tr) => [tr.dataset.id, tr.className, tr.cells[3].textContent]));
  assert.deepEqual(rows.map((r) => r[0]), ["p1", "p2", "p3", "p4"]);
  const failed = rows.filter((r) => r[1] === "failed");
  assert.ok(failed.length > 0, "the cancelled requests are rows with an error");
  for (const r of failed) assert.match(r[2], /cancel/i);
  await screenshot(page, "08b-batch-cancelled");
  await page.close();
});

test("health: a card per provider, ok; failing with the error text once the fake provider fails", T, async () => {
  const page = await openPage(browser.context, server.url, { token: GATEWAY_TOKEN });
  // Setting the token checks health at once.
  const cards = page.locator("#health-cards li");
  await cards.nth(1).waitFor();
  const read = () =>
    cards.evaluateAll((lis) => lis.map((li) => ({ kind: li.dataset.kind, ok: li.dataset.ok, text: li.textContent })));
  let shown = await read();
  assert.deepEqual(shown.map((c) => [c.kind, c.ok]), [["llm", "true"], ["embedding", "true"]]);
  assert.match(shown[0].text, /LLM · openai✓ okModelgpt-4o-miniLatency\d+ ms/);
  assert.match(shown[1].text, /Embeddings · openai✓ okModeltext-embedding-3-smallLatency\d+ ms/);
  assert.match(await page.locator("#health-summary").textContent(), /^All 2 providers ok/);
  assert.equal(await page.locator('#chat-provider option[value=""]').textContent(), "The Worker's default (openai / gpt-4o-mini)");
  await screenshot(page, "09-health-ok");

  const configure = (patch) => fetch(`${server.fake.url}/__control/configure`, { method: "POST", body: JSON.stringify(patch) });
  assert.equal((await configure({ faults: [{ path: "/openai/v1/models", status: 500, times: 100 }] })).status, 200);
  try {
    await page.getByRole("button", { name: "Check providers" }).click();
    await page.locator('#health-cards li[data-ok="false"]').nth(1).waitFor();
    shown = await read();
    assert.deepEqual(shown.map((c) => c.ok), ["false", "false"]);
    for (const c of shown) {
      assert.match(c.text, /✗ failing/);
      assert.match(c.text, /500/, `the error text is shown: ${c.text}`);
    }
    assert.match(await page.locator("#health-summary").textContent(), /^2 of 2 providers failing/);
    const api = await server.api("GET", "/v1/health");
    assert.equal(api.status, 503);
    assert.equal(await page.locator(".card-error").first().textContent(), api.json.providers[0].error);
    await screenshot(page, "10-health-failing");
  } finally {
    await configure({ faults: [] });
  }
  await page.getByRole("button", { name: "Check providers" }).click();
  await page.locator("#health-summary").filter({ hasText: "All 2 providers ok" }).waitFor();
  assert.deepEqual(page.problems.filter((p) => !/status of 503/.test(p)), []);
  await page.close();
});

test("accessible and phone-sized: names, keyboard, contrast (light and dark), no sideways scroll", { timeout: 180_000 }, async () => {
  const page = await openPage(browser.context, server.url, { token: GATEWAY_TOKEN, viewport: { width: 375, height: 812 } });
  const configure = (patch) => fetch(`${server.fake.url}/__control/configure`, { method: "POST", body: JSON.stringify(patch) });
  // Every state on one page: a chat error, a batch with an error row, a failing provider.
  await page.getByLabel("System message (optional)").fill("");
  await page.getByLabel("User message").fill("no magic word");
  await page.getByLabel("User message").press("Control+Enter"); // keyboard send
  await page.locator("#chat-error").waitFor();
  await page.getByLabel("User message").fill("in json please");
  await page.locator("#chat-send").focus();
  await page.keyboard.press("Enter");
  await page.locator("#chat-answer").waitFor();
  assert.equal(await page.evaluate(() => document.activeElement.id), "chat-send", "focus stays on Send while it works");
  await page.getByLabel("User message").fill("no magic word");
  await page.getByLabel("User message").press("Control+Enter");
  await page.locator("#chat-error").waitFor();
  await page.getByLabel("Prompts, one per line (ids p1, p2, …)").fill("fine\n[[status:400]] not fine");
  await page.getByRole("button", { name: "Submit batch" }).press("Enter");
  await page.locator("#batch-progress-text[data-status]").waitFor();
  await cronUntilShownDone(page);
  await page.locator("#batch-table tbody tr.failed").waitFor();
  await configure({ faults: [{ path: "/openai/v1/models", status: 500, times: 100 }] });
  try {
    await page.getByRole("button", { name: "Check providers" }).press("Enter");
    await page.locator('#health-cards li[data-ok="false"]').first().waitFor();
  } finally {
    await configure({ faults: [] });
  }
  await page.locator("details summary").click();

  // Structure: language, one h1, a heading per panel, landmarks.
  assert.equal(await page.getAttribute("html", "lang"), "en");
  assert.equal(await page.locator("h1").count(), 1);
  assert.deepEqual(await page.locator("h2").allTextContents(), ["Gateway token", "Health", "Tokens", "Chat", "Streaming chat", "Batch"]);
  assert.equal(await page.getByRole("main").count(), 1);

  // Every control has an accessible name (from Chromium's own accessibility tree).
  const cdp = await browser.context.newCDPSession(page);
  const { nodes } = await cdp.send("Accessibility.getFullAXTree");
  assert.deepEqual(unnamedControls(nodes), [], "controls without an accessible name");

  // No sideways scrolling at phone width.
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.ok(overflow <= 0, `the page scrolls sideways by ${overflow}px at 375px`);
  await screenshot(page, "11-phone-light");

  for (const scheme of ["light", "dark"]) {
    await page.emulateMedia({ colorScheme: scheme });
    const problems = await page.evaluate(contrastProblems);
    assert.deepEqual(problems, [], `contrast below WCAG AA (${scheme})`);
  }
  await screenshot(page, "12-phone-dark");
  await page.emulateMedia({ colorScheme: "light" });

  // Keyboard: from the top of a fresh load, Tab reaches the controls in order, each with a
  // visible focus ring.
  await page.reload();
  await page.waitForFunction(() => window.edgeLlmReady instanceof Promise);
  const reached = [];
  for (let i = 0; i < 60; i++) {
    await page.keyboard.press("Tab");
    const f = await page.evaluate(() => {
      const el = document.activeElement;
      if (el === document.body) return null; // past the last control: focus left the page
      const s = getComputedStyle(el);
      return { id: el.id || el.textContent.trim().slice(0, 20), ring: s.outlineStyle !== "none" && parseFloat(s.outlineWidth) >= 2 };
    });
    if (!f || (i > 0 && f.id === "Skip to content")) break;
    reached.push(f);
  }
  const ids = reached.map((f) => f.id);
  assert.equal(ids[0], "Skip to content", "the first Tab reaches the skip link");
  for (const id of ["gateway-token", "health-check", "health-deep", "tokens-model", "tokens-text", "chat-provider", "chat-user", "chat-send", "batch-prompts", "batch-submit"]) {
    assert.ok(ids.includes(id), `Tab reaches #${id}: ${ids}`);
  }
  const order = ["gateway-token", "health-check", "tokens-text", "chat-send", "batch-submit"].map((id) => ids.indexOf(id));
  assert.deepEqual([...order].sort((a, b) => a - b), order, `tab order follows the page: ${ids}`);
  const noRing = reached.filter((f) => !f.ring).map((f) => f.id);
  assert.deepEqual(noRing, [], "focused without a visible focus ring");
  await page.close();
});
