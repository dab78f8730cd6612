// AnthropicBatchChatProvider.chatBatch (contract §2): Message Batches with the same shape,
// options and messages as OpenAI's (`Anthropic batch …`), custom_id checked before sending.

import { test } from "node:test";
import assert from "node:assert/strict";
import { AnthropicBatchChatProvider } from "edge-llm";
import { claudeMessage, errorResponse, jsonResponse, messages, recordingLogger } from "./support/doubles.mjs";
import { anthropicBatchApi, claudeResult, claudeSucceeded, jsonl } from "./support/batch-doubles.mjs";

const BATCH = "msgbatch_01abc";
const RESULTS = `https://api.anthropic.com/v1/messages/batches/${BATCH}/results`;
const HEADERS = { "x-api-key": "sk-ant-test", "anthropic-version": "2023-06-01" };
const requests = (...ids) => ids.map((id) => ({ id, messages: [{ role: "system", content: "Reply in JSON." }, { role: "user", content: `q-${id}` }] }));
const provider = (fetchFn, extra = {}) =>
  new AnthropicBatchChatProvider({ apiKey: "sk-ant-test", model: "claude-sonnet-4-5", fetchFn, pollIntervalMs: 0, ...extra });

test("[] → []; one request takes the sync path (POST /messages)", async () => {
  let fetchFn = anthropicBatchApi();
  assert.deepEqual(await provider(fetchFn).chatBatch([]), []);
  assert.equal(fetchFn.calls.length, 0);
  fetchFn = anthropicBatchApi({ sync: claudeMessage('{"one":1}', { input: 3, output: 2 }) });
  assert.deepEqual(await provider(fetchFn).chatBatch(requests("x")), [{ id: "x", response: { one: 1 }, usage: { inputTokens: 3, outputTokens: 2 } }]);
  assert.deepEqual(fetchFn.calls.map((c) => c.url), ["https://api.anthropic.com/v1/messages"]);
});

test("the full lifecycle: create inline, onBatchCreated, polls, results_url; input order", async () => {
  const logger = recordingLogger();
  const created = [];
  const fetchFn = anthropicBatchApi({
    polls: ["in_progress", "in_progress", "ended"],
    results: jsonl(claudeSucceeded("c", { n: 3 }), claudeSucceeded("a", { n: 1 }, { input: 20, output: 7 }), claudeSucceeded("b", '```json\n{"n":2}\n```')),
  });
  const results = await provider(fetchFn, { logger }).chatBatch(requests("a", "b", "c"), { onBatchCreated: (id) => created.push(id) });
  assert.deepEqual(results, [
    { id: "a", response: { n: 1 }, usage: { inputTokens: 20, outputTokens: 7 } },
    { id: "b", response: { n: 2 }, usage: { inputTokens: 8, outputTokens: 3 } },
    { id: "c", response: { n: 3 }, usage: { inputTokens: 8, outputTokens: 3 } },
  ]);
  assert.deepEqual(created, [BATCH]);

  const [create, ...rest] = fetchFn.calls;
  assert.equal(create.url, "https://api.anthropic.com/v1/messages/batches");
  assert.deepEqual(create.headers, { "Content-Type": "application/json", ...HEADERS });
  const params = (id) => ({ model: "claude-sonnet-4-5", max_tokens: 8192, system: "Reply in JSON.", messages: [{ role: "user", content: `q-${id}` }] });
  assert.equal(create.body, JSON.stringify({ requests: ["a", "b", "c"].map((id) => ({ custom_id: id, params: params(id) })) }));
  for (const poll of rest.slice(0, 3)) {
    assert.equal(poll.url, `https://api.anthropic.com/v1/messages/batches/${BATCH}`);
    assert.deepEqual(poll.init, { method: "GET", headers: HEADERS });
  }
  assert.equal(rest[3].url, RESULTS);
  assert.deepEqual(rest[3].init, { method: "GET", headers: HEADERS });
  assert.equal(fetchFn.calls.length, 5);
  assert.deepEqual(logger.messages(), ["Batch created", "Polling batch", "Polling batch", "Polling batch", "Batch completed"]);
  assert.deepEqual(logger.find("Polling batch").map((l) => l[2].status), ["in_progress", "in_progress", "ended"]);
});

test("a create answer with only {id} is enough", async () => {
  const fetchFn = anthropicBatchApi({ create: { id: BATCH }, polls: ["ended"], results: jsonl(claudeSucceeded("a", {}), claudeSucceeded("b", {})) });
  assert.equal((await provider(fetchFn).chatBatch(requests("a", "b"))).length, 2);
});

test("result lines: errored → `<error type>: <message>`; canceled, expired, invalid JSON, missing", async () => {
  const logger = recordingLogger();
  const fetchFn = anthropicBatchApi({
    polls: ["ended"],
    results: jsonl(
      claudeResult("e1", { type: "errored", error: { type: "error", error: { type: "invalid_request_error", message: "max_tokens: 100000 > 64000" } } }),
      claudeResult("e2", { type: "errored", error: { type: "overloaded_error", message: "Overloaded" } }),
      claudeResult("c", { type: "canceled" }),
      claudeResult("x", { type: "expired" }),
      claudeSucceeded("j", "Sure! {}", { input: 5, output: 6 }),
      claudeSucceeded("ok", { fine: 1 }),
    ),
  });
  const results = await provider(fetchFn, { logger }).chatBatch(requests("e1", "e2", "c", "x", "j", "missing", "ok"));
  const byId = Object.fromEntries(results.map((r) => [r.id, r]));
  assert.deepEqual(byId.e1, { id: "e1", response: {}, usage: { inputTokens: 0, outputTokens: 0 }, error: "invalid_request_error: max_tokens: 100000 > 64000" });
  assert.equal(byId.e2.error, "overloaded_error: Overloaded");
  assert.equal(byId.c.error, "Batch cancelled before this request completed");
  assert.equal(byId.x.error, "Batch expired before this request completed");
  assert.deepEqual(byId.j, { id: "j", response: {}, usage: { inputTokens: 5, outputTokens: 6 }, error: "Invalid JSON: Sure! {}" });
  assert.equal(byId.missing.error, "No result returned from batch");
  assert.deepEqual(byId.ok.response, { fine: 1 });
  assert.deepEqual(results.map((r) => r.id), ["e1", "e2", "c", "x", "j", "missing", "ok"]);
  assert.deepEqual(logger.find("Batch item errored").map((l) => l[2].customId), ["e1", "e2", "c", "x"]);
  assert.deepEqual(logger.find("Batch item returned invalid JSON").map((l) => l[2]), [{ customId: "j" }]);
});

test("an ended batch whose requests expired returns what finished", async () => {
  const fetchFn = anthropicBatchApi({
    polls: [{ processing_status: "ended", results_url: RESULTS, request_counts: { processing: 0, succeeded: 1, errored: 0, canceled: 0, expired: 1 } }],
    results: jsonl(claudeSucceeded("a", { a: 1 }), claudeResult("b", { type: "expired" })),
  });
  const results = await provider(fetchFn).chatBatch(requests("a", "b", "c"));
  assert.deepEqual(results.map((r) => r.error), [undefined, "Batch expired before this request completed", "Batch expired before this request completed"]);
});

test("a cancelled batch throws `Anthropic batch cancelled`", async () => {
  const fetchFn = anthropicBatchApi({
    polls: ["in_progress", "canceling", { processing_status: "ended", results_url: RESULTS, cancel_initiated_at: "2024-10-01T00:00:00Z" }],
  });
  await assert.rejects(provider(fetchFn).chatBatch(requests("a", "b")), { message: "Anthropic batch cancelled" });
});

test("an ended batch without results_url: `Anthropic batch ended but no results_url`", async () => {
  const fetchFn = anthropicBatchApi({ polls: [{ processing_status: "ended", results_url: null }] });
  await assert.rejects(provider(fetchFn).chatBatch(requests("a", "b")), { message: "Anthropic batch ended but no results_url" });
});

test("custom_id must match ^[a-zA-Z0-9_-]{1,64}$: a bad id is rejected before anything is sent, by name", async () => {
  for (const bad of ["has space", "dot.ted", "", "x".repeat(65), "ünï"]) {
    const fetchFn = anthropicBatchApi();
    await assert.rejects(provider(fetchFn).chatBatch([...requests("good_1", "good-2"), { id: bad, messages }]), (err) => {
      assert.equal(err.constructor, Error);
      assert.ok(err.message.includes(JSON.stringify(bad)), err.message);
      assert.ok(err.message.includes("requests[2].id"), err.message);
      assert.ok(err.message.includes("^[a-zA-Z0-9_-]{1,64}$"), err.message);
      return true;
    });
    assert.equal(fetchFn.calls.length, 0, bad);
  }
  const fetchFn = anthropicBatchApi({ polls: ["ended"], results: jsonl(claudeSucceeded("A_z-9", {}), claudeSucceeded("x".repeat(64), {})) });
  assert.equal((await provider(fetchFn).chatBatch(requests("A_z-9", "x".repeat(64)))).length, 2);
});

test("step failures: `Anthropic batch create error`, `… poll error`, `… poll failed after 4 consecutive errors`, results download", async () => {
  const body = '{"type":"error","error":{"type":"invalid_request_error","message":"requests: too many"}}';
  let fetchFn = anthropicBatchApi({ create: errorResponse(400, body) });
  const created = [];
  await assert.rejects(provider(fetchFn).chatBatch(requests("a", "b"), { onBatchCreated: (id) => created.push(id) }), {
    message: `Anthropic batch create error: 400 Bad Request — ${body}`,
  });
  assert.deepEqual(created, []);

  fetchFn = anthropicBatchApi({ polls: [errorResponse(500), errorResponse(500), errorResponse(500), errorResponse(529, "", { statusText: "Overloaded" })] });
  await assert.rejects(provider(fetchFn).chatBatch(requests("a", "b")), { message: "Anthropic batch poll error: 529 Overloaded" });

  fetchFn = anthropicBatchApi({ polls: [errorResponse(404)] });
  await assert.rejects(provider(fetchFn).chatBatch(requests("a", "b")), { message: "Anthropic batch poll error: 404 Not Found" });

  const net = () => new Error("ECONNRESET");
  fetchFn = anthropicBatchApi({ polls: [net(), net(), net(), net()] });
  await assert.rejects(provider(fetchFn).chatBatch(requests("a", "b")), { message: "Anthropic batch poll failed after 4 consecutive errors: ECONNRESET" });

  fetchFn = anthropicBatchApi({ polls: ["ended"], results: errorResponse(404) });
  await assert.rejects(provider(fetchFn).chatBatch(requests("a", "b")), (err) => {
    assert.match(err.message, /^Anthropic batch .*404 Not Found/);
    return true;
  });
});

test("transient poll errors pass and are logged", async () => {
  const logger = recordingLogger();
  const fetchFn = anthropicBatchApi({
    polls: [errorResponse(500), new Error("ECONNRESET"), errorResponse(503), "ended"],
    results: jsonl(claudeSucceeded("a", {}), claudeSucceeded("b", {})),
  });
  assert.equal((await provider(fetchFn, { logger }).chatBatch(requests("a", "b"))).length, 2);
  assert.deepEqual(logger.find("Transient poll error").map((l) => l[2]), [
    { batchId: BATCH, status: 500, consecutiveErrors: 1 },
    { batchId: BATCH, status: 503, consecutiveErrors: 3 },
  ]);
  assert.deepEqual(logger.find("Transient poll error (network)").map((l) => l[2]), [{ batchId: BATCH, consecutiveErrors: 2, error: "ECONNRESET" }]);
});

test("resuming: no create, `Resuming existing batch`, onBatchCreated not fired", async () => {
  const logger = recordingLogger();
  const created = [];
  const fetchFn = anthropicBatchApi({ batchId: "msgbatch_old", resultsUrl: "https://r.example/results", polls: ["ended"], results: claudeSucceeded("only", { r: 1 }) });
  const results = await provider(fetchFn, { logger }).chatBatch(requests("only"), { existingBatchId: "msgbatch_old", onBatchCreated: (id) => created.push(id) });
  assert.deepEqual(results.map((r) => r.response), [{ r: 1 }]);
  assert.deepEqual(created, []);
  assert.deepEqual(fetchFn.calls.map((c) => c.url), ["https://api.anthropic.com/v1/messages/batches/msgbatch_old", "https://r.example/results"]);
  assert.deepEqual(logger.lines[0].slice(0, 3), ["info", "Resuming existing batch", { batchId: "msgbatch_old" }]);
});

test("baseUrl and maxTokens", async () => {
  const base = "http://127.0.0.1:9/anthropic/v1";
  const fetchFn = anthropicBatchApi({ base, polls: ["ended"], results: jsonl(claudeSucceeded("a", {}), claudeSucceeded("b", {})) });
  await provider(fetchFn, { baseUrl: base, maxTokens: 99 }).chatBatch(requests("a", "b"));
  assert.equal(fetchFn.calls[0].url, `${base}/messages/batches`);
  assert.deepEqual(fetchFn.calls[0].json.requests.map((r) => r.params.max_tokens), [99, 99]);
});

test("getters; chat() is the sync Messages call", async () => {
  const fetchFn = anthropicBatchApi({ sync: jsonResponse(claudeMessage('{"s":1}')) });
  const p = provider(fetchFn, { timeoutMs: 1234 });
  assert.equal(p.batch, true);
  assert.equal(p.timeoutMs, 1234);
  assert.equal(provider(fetchFn).timeoutMs, 86_400_000);
  assert.equal(p.maxContextTokens, 200_000);
  assert.deepEqual((await p.chat(messages)).response, { s: 1 });
});

test("a succeeded item cut at max_tokens names its cause and keeps its usage", async () => {
  const cut = claudeResult("cut", {
    type: "succeeded",
    message: { type: "message", role: "assistant", content: [{ type: "text", text: '{"a":' }], stop_reason: "max_tokens", usage: { input_tokens: 30, output_tokens: 8192 } },
  });
  const fetchFn = anthropicBatchApi({ polls: ["ended"], results: jsonl(cut, claudeSucceeded("ok", {})) });
  const [r] = await provider(fetchFn).chatBatch(requests("cut", "ok"));
  assert.deepEqual(r, { id: "cut", response: {}, usage: { inputTokens: 30, outputTokens: 8192 }, error: "response truncated (stop_reason: max_tokens)" });
});
