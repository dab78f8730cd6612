// Consumer suite: OpenAIBatchChatProvider.chatBatch, written only against the contract's
// API. Results are compared field by field (`r.error === undefined`), not with deepEqual on
// whole objects, so an absent `error` and an `error: undefined` key both pass.

import { test, afterEach } from "node:test";
import assert from "node:assert/strict";
import { OpenAIBatchChatProvider } from "edge-llm";
import { completion, errorResponse, jsonResponse, mockClock, readForm, recordingLogger } from "../support/doubles.mjs";
import { errorFileLine, jsonl, okLine, openaiBatchApi, statusLine } from "../support/batch-doubles.mjs";
import { contractOnly } from "./target.mjs";

const BATCH = "batch_abc123";
const requests = (...ids) => ids.map((id) => ({ id, messages: [{ role: "user", content: `json ${id}` }] }));
const provider = (fetchFn, extra = {}) => new OpenAIBatchChatProvider({ apiKey: "sk-test", model: "gpt-4o", fetchFn, pollIntervalMs: 0, ...extra });
const done = { status: "completed", output_file_id: "file-out" };

let clock;
afterEach(() => clock?.restore());

test("[] → [] without a request; one request is one sync call", async () => {
  const fetchFn = openaiBatchApi({ sync: completion('{"one":1}', { prompt: 3, completionTokens: 1 }) });
  assert.deepEqual(await provider(fetchFn).chatBatch([]), []);
  assert.equal(fetchFn.calls.length, 0);
  const [r] = await provider(fetchFn).chatBatch(requests("x"));
  assert.equal(r.id, "x");
  assert.deepEqual(r.response, { one: 1 });
  assert.deepEqual(r.usage, { inputTokens: 3, outputTokens: 1 });
  assert.equal(r.error, undefined);
  assert.deepEqual(fetchFn.calls.map((c) => c.url), ["https://api.openai.com/v1/chat/completions"]);
});

test("upload, create, onBatchCreated once, polls, download; results in input order", async () => {
  const logger = recordingLogger();
  const created = [];
  const fetchFn = openaiBatchApi({
    polls: ["validating", "in_progress", done],
    files: { "file-out": jsonl(okLine("b", { n: 2 }), okLine("c", "not json", { prompt: 4, completionTokens: 2 }), okLine("a", { n: 1 })) },
  });
  const results = await provider(fetchFn, { logger }).chatBatch(requests("a", "b", "c", "d"), { onBatchCreated: (id) => created.push(id) });
  assert.deepEqual(created, [BATCH]);
  assert.deepEqual(results.map((r) => r.id), ["a", "b", "c", "d"]);
  assert.deepEqual(results[0].response, { n: 1 });
  assert.equal(results[0].error, undefined);
  assert.deepEqual(results[1].response, { n: 2 });
  assert.equal(results[2].error, "Invalid JSON: not json");
  assert.deepEqual(results[2].usage, { inputTokens: 4, outputTokens: 2 });
  assert.equal(results[3].error, "No result returned from batch");
  assert.deepEqual(results[3].response, {});

  const [upload, create] = fetchFn.calls;
  assert.equal(upload.url, "https://api.openai.com/v1/files");
  assert.deepEqual(upload.headers, { Authorization: "Bearer sk-test" });
  const form = await readForm(upload.body);
  assert.equal(form.fields.purpose, "batch");
  assert.equal(form.files[0].filename, "batch-input.jsonl");
  assert.deepEqual(form.files[0].text.split("\n").map((l) => JSON.parse(l).custom_id), ["a", "b", "c", "d"]);
  assert.deepEqual(JSON.parse(create.body), { input_file_id: "file-in", endpoint: "/v1/chat/completions", completion_window: "24h" });
  assert.deepEqual(logger.messages(), ["Batch created", "Polling batch", "Polling batch", "Polling batch", "Batch completed", "Batch item returned invalid JSON"]);
  assert.deepEqual(logger.find("Batch created")[0][2], { batchId: BATCH });
});

test("an errored item carries the upstream message", async () => {
  const fetchFn = openaiBatchApi({ polls: [done], files: { "file-out": jsonl(okLine("a", {}), statusLine("b", 400, "Bad request")) } });
  const [, b] = await provider(fetchFn).chatBatch(requests("a", "b"));
  assert.ok(b.error.includes("Bad request"), b.error);
  assert.deepEqual(b.response, {});
});

test("an errored item also names its status", { skip: contractOnly("the reference keeps only the upstream message") }, async () => {
  const fetchFn = openaiBatchApi({ polls: [done], files: { "file-out": jsonl(okLine("a", {}), statusLine("b", 400, "Bad request")) } });
  const [, b] = await provider(fetchFn).chatBatch(requests("a", "b"));
  assert.equal(b.error, "status 400: Bad request");
});

test("failed, cancelled, expired without files, and completed without output_file_id throw", async () => {
  const cases = [
    [{ status: "failed", errors: { data: [{ message: "Line 1 is bad." }] } }, "OpenAI batch failed: Line 1 is bad."],
    ["cancelled", "OpenAI batch cancelled"],
    ["expired", "OpenAI batch expired"],
    [{ status: "completed" }, "OpenAI batch completed but no output_file_id"],
  ];
  for (const [poll, message] of cases) {
    await assert.rejects(provider(openaiBatchApi({ polls: ["in_progress", poll] })).chatBatch(requests("a", "b")), { message });
  }
});

test("upload, create and download failures", async () => {
  await assert.rejects(provider(openaiBatchApi({ upload: errorResponse(500) })).chatBatch(requests("a", "b")), {
    message: "OpenAI file upload error: 500 Internal Server Error",
  });
  const created = [];
  await assert.rejects(provider(openaiBatchApi({ create: errorResponse(400) })).chatBatch(requests("a", "b"), { onBatchCreated: (id) => created.push(id) }), {
    message: "OpenAI batch create error: 400 Bad Request",
  });
  assert.deepEqual(created, []);
  await assert.rejects(provider(openaiBatchApi({ polls: [done], files: { "file-out": errorResponse(404) } })).chatBatch(requests("a", "b")), {
    message: "OpenAI file download error: 404 Not Found",
  });
});

test("transient poll errors: three 5xx pass, the fourth throws; four network errors throw", async () => {
  const ok = openaiBatchApi({ polls: [errorResponse(500), errorResponse(502), errorResponse(503), done], files: { "file-out": jsonl(okLine("a", {}), okLine("b", {})) } });
  assert.equal((await provider(ok).chatBatch(requests("a", "b"))).length, 2);
  const fifth = openaiBatchApi({ polls: [errorResponse(500), errorResponse(500), errorResponse(500), errorResponse(500), done] });
  await assert.rejects(provider(fifth).chatBatch(requests("a", "b")), { message: "OpenAI batch poll error: 500 Internal Server Error" });
  const net = () => new Error("ECONNRESET");
  const down = openaiBatchApi({ polls: [net(), net(), net(), net(), done] });
  await assert.rejects(provider(down).chatBatch(requests("a", "b")), { message: "OpenAI batch poll failed after 4 consecutive errors: ECONNRESET" });
  const reset = openaiBatchApi({ polls: [net(), net(), net(), "in_progress", net(), net(), net(), done], files: { "file-out": jsonl(okLine("a", {}), okLine("b", {})) } });
  assert.equal((await provider(reset).chatBatch(requests("a", "b"))).length, 2);
});

test("resuming an existing batch: no upload or create, onBatchCreated not fired", async () => {
  const logger = recordingLogger();
  const created = [];
  const fetchFn = openaiBatchApi({ batchId: "batch_old", polls: [done], files: { "file-out": okLine("only", { r: 1 }) } });
  const [r] = await provider(fetchFn, { logger }).chatBatch(requests("only"), { existingBatchId: "batch_old", onBatchCreated: (id) => created.push(id) });
  assert.deepEqual(r.response, { r: 1 });
  assert.deepEqual(created, []);
  assert.deepEqual(fetchFn.calls.map((c) => c.url), ["https://api.openai.com/v1/batches/batch_old", "https://api.openai.com/v1/files/file-out/content"]);
  assert.equal(logger.lines[0][1], "Resuming existing batch");
});

test("the poll schedule and the deadline (mocked timers)", async () => {
  clock = mockClock();
  const fetchFn = openaiBatchApi({ polls: ["in_progress"] });
  const p = new OpenAIBatchChatProvider({ apiKey: "k", model: "gpt-4o", fetchFn, timeoutMs: 100_000 });
  const outcome = await clock.runUntilSettled(p.chatBatch(requests("a", "b")));
  assert.equal(outcome.error?.message, "OpenAI batch timed out after 100000ms");
  const created = fetchFn.calls[1].at;
  assert.deepEqual(fetchFn.calls.slice(2).map((c) => c.at - created), [10_000, 25_000, 47_500, 81_250]);
});

test("getters", () => {
  const p = provider(openaiBatchApi(), { timeoutMs: 5000 });
  assert.equal(p.batch, true);
  assert.equal(p.timeoutMs, 5000);
  assert.equal(p.maxContextTokens, 128_000);
  assert.equal(new OpenAIBatchChatProvider({ apiKey: "k", model: "m" }).timeoutMs, 86_400_000);
});

test("the error file is read", { skip: contractOnly("the reference forgot error_file_id") }, async () => {
  const fetchFn = openaiBatchApi({
    polls: [{ ...done, error_file_id: "file-err" }],
    files: { "file-out": okLine("a", {}), "file-err": errorFileLine("b", "server_error", "try again") },
  });
  const [, b] = await provider(fetchFn).chatBatch(requests("a", "b"));
  assert.equal(b.error, "server_error: try again");
});

test("an expired batch returns what finished", { skip: contractOnly("the reference throws on expired") }, async () => {
  const fetchFn = openaiBatchApi({ polls: [{ status: "expired", output_file_id: "file-out" }], files: { "file-out": okLine("a", { a: 1 }) } });
  const [a, b] = await provider(fetchFn).chatBatch(requests("a", "b"));
  assert.deepEqual(a.response, { a: 1 });
  assert.equal(b.error, "Batch expired before this request completed");
});

test("a failed step with a double that is only {ok: false}", async () => {
  const fetchFn = openaiBatchApi({ create: { ok: false } });
  await assert.rejects(provider(fetchFn).chatBatch(requests("a", "b")), { message: "OpenAI batch create error: undefined undefined" });
});
