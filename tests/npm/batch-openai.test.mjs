// OpenAIBatchChatProvider.chatBatch (contract §2, "OpenAI batch lifecycle"): every step, its
// requests and its messages, with a fetchFn double of the Files + Batches API. Polls use
// `pollIntervalMs: 0`; the schedule itself is tested with mocked timers in
// batch-schedule.test.mjs.

import { test } from "node:test";
import assert from "node:assert/strict";
import { OpenAIBatchChatProvider } from "edge-llm";
import { completion, errorResponse, jsonResponse, messages, mockClock, readForm, recordingLogger } from "./support/doubles.mjs";
import { errorFileLine, jsonl, okLine, openaiBatchApi, statusLine } from "./support/batch-doubles.mjs";
import { BATCH, completed, provider, requests } from "./support/openai-batch.mjs";

/** The line the reference writes for a request. */
const referenceLine = (r) =>
  JSON.stringify({
    custom_id: r.id,
    method: "POST",
    url: "/v1/chat/completions",
    body: { model: "gpt-4o", max_tokens: 8192, response_format: { type: "json_object" }, messages: r.messages },
  });

test("[] → [] without any request", async () => {
  const fetchFn = openaiBatchApi();
  assert.deepEqual(await provider(fetchFn).chatBatch([]), []);
  assert.equal(fetchFn.calls.length, 0);
});

test("one request without existingBatchId takes the sync path: one /chat/completions call", async () => {
  const fetchFn = openaiBatchApi({ sync: completion('{"solo":true}', { prompt: 4, completionTokens: 2 }) });
  const onBatchCreated = [];
  const results = await provider(fetchFn).chatBatch(requests("only"), { onBatchCreated: (id) => onBatchCreated.push(id) });
  assert.deepEqual(results, [{ id: "only", response: { solo: true }, usage: { inputTokens: 4, outputTokens: 2 } }]);
  assert.equal("error" in results[0], false);
  assert.equal(fetchFn.calls.length, 1);
  assert.equal(fetchFn.calls[0].url, "https://api.openai.com/v1/chat/completions");
  assert.deepEqual(fetchFn.calls[0].json.messages, requests("only")[0].messages);
  assert.deepEqual(onBatchCreated, []);
});

test("a sync-path failure rejects with the chat error", async () => {
  const fetchFn = openaiBatchApi({ sync: errorResponse(400, "bad") });
  await assert.rejects(provider(fetchFn).chatBatch(requests("only")), { message: "OpenAI chat error: 400 Bad Request — bad" });
});

test("the full lifecycle: upload, create, onBatchCreated, polls, download; results in input order", async () => {
  const reqs = requests("a", "b", "c");
  const fetchFn = openaiBatchApi({
    polls: ["validating", "in_progress", "finalizing", completed()],
    // Shuffled, with a blank line, CRLF and a trailing newline.
    files: { "file-out": `${okLine("c", { n: 3 })}\r\n\n${okLine("a", { n: 1 }, { prompt: 12, completionTokens: 6 })}\n${okLine("b", { n: 2 })}\n` },
  });
  const logger = recordingLogger();
  const created = [];
  const results = await provider(fetchFn, { logger }).chatBatch(reqs, { onBatchCreated: (id) => created.push(id) });

  assert.deepEqual(results, [
    { id: "a", response: { n: 1 }, usage: { inputTokens: 12, outputTokens: 6 } },
    { id: "b", response: { n: 2 }, usage: { inputTokens: 10, outputTokens: 5 } },
    { id: "c", response: { n: 3 }, usage: { inputTokens: 10, outputTokens: 5 } },
  ]);
  assert.deepEqual(created, [BATCH]);

  const [upload, create, ...rest] = fetchFn.calls;
  // Upload: multipart form, purpose=batch, file batch-input.jsonl with the reference's lines.
  assert.equal(upload.url, "https://api.openai.com/v1/files");
  assert.equal(upload.method, "POST");
  assert.deepEqual(Object.keys(upload.init), ["method", "headers", "body"]);
  assert.deepEqual(upload.headers, { Authorization: "Bearer sk-test" });
  assert.ok(upload.body instanceof FormData);
  const form = await readForm(upload.body);
  assert.deepEqual(form.fields, { purpose: "batch" });
  assert.equal(form.files.length, 1);
  assert.equal(form.files[0].field, "file");
  assert.equal(form.files[0].filename, "batch-input.jsonl");
  assert.equal(form.files[0].type, "application/jsonl");
  assert.equal(form.files[0].text, reqs.map(referenceLine).join("\n"));
  // Create.
  assert.equal(create.url, "https://api.openai.com/v1/batches");
  assert.equal(create.method, "POST");
  assert.deepEqual(create.headers, { "Content-Type": "application/json", Authorization: "Bearer sk-test" });
  assert.equal(create.body, '{"input_file_id":"file-in","endpoint":"/v1/chat/completions","completion_window":"24h"}');
  // Polls, then the download.
  const polls = rest.slice(0, 4);
  for (const p of polls) {
    assert.equal(p.url, `https://api.openai.com/v1/batches/${BATCH}`);
    assert.deepEqual(p.init, { method: "GET", headers: { Authorization: "Bearer sk-test" } });
  }
  const download = rest[4];
  assert.equal(download.url, "https://api.openai.com/v1/files/file-out/content");
  assert.deepEqual(download.init, { method: "GET", headers: { Authorization: "Bearer sk-test" } });
  assert.equal(fetchFn.calls.length, 7);

  // The reference's log lines.
  assert.deepEqual(logger.messages(), ["Batch created", "Polling batch", "Polling batch", "Polling batch", "Polling batch", "Batch completed"]);
  assert.deepEqual(logger.find("Batch created")[0].slice(0, 3), ["info", "Batch created", { batchId: BATCH }]);
  const polling = logger.find("Polling batch").map(([level, , meta]) => [level, meta.batchId, meta.status, typeof meta.elapsedMs]);
  assert.deepEqual(polling, [
    ["info", BATCH, "validating", "number"],
    ["info", BATCH, "in_progress", "number"],
    ["info", BATCH, "finalizing", "number"],
    ["info", BATCH, "completed", "number"],
  ]);
  const done = logger.find("Batch completed")[0];
  assert.equal(done[0], "info");
  assert.deepEqual(Object.keys(done[2]).sort(), ["batchId", "elapsedMs"]);
  assert.equal(done[2].batchId, BATCH);
});

test("onBatchCreated fires exactly once, before the first poll", async () => {
  const order = [];
  const fetchFn = openaiBatchApi({ polls: ["in_progress", "in_progress", completed()], files: { "file-out": jsonl(okLine("a", {}), okLine("b", {})) } });
  const wrapped = async (url, init) => {
    order.push(`${init.method} ${url.replace("https://api.openai.com/v1", "")}`);
    return fetchFn(url, init);
  };
  await provider(wrapped).chatBatch(requests("a", "b"), { onBatchCreated: (id) => order.push(`created ${id}`) });
  assert.deepEqual(order, [
    "POST /files",
    "POST /batches",
    `created ${BATCH}`,
    `GET /batches/${BATCH}`,
    `GET /batches/${BATCH}`,
    `GET /batches/${BATCH}`,
    "GET /files/file-out/content",
  ]);
});

test("the reference's minimal doubles: upload and create answer only {id}, polls only {status, output_file_id}", async () => {
  const fetchFn = openaiBatchApi({
    upload: { id: "file-in" },
    create: { id: BATCH },
    polls: [() => jsonResponse({ status: "in_progress" }), () => jsonResponse({ status: "completed", output_file_id: "file-out" })],
    files: { "file-out": jsonl(okLine("b", { b: 1 }), okLine("a", { a: 1 })) },
  });
  const created = [];
  const results = await provider(fetchFn).chatBatch(requests("a", "b"), { onBatchCreated: (id) => created.push(id) });
  assert.deepEqual(created, [BATCH]);
  assert.deepEqual(results.map((r) => r.response), [{ a: 1 }, { b: 1 }]);
});

test("errored items: `status <code>: <upstream message>`, response {}, and a `Batch item errored` log", async () => {
  const fetchFn = openaiBatchApi({
    polls: [completed()],
    files: { "file-out": jsonl(okLine("a", { a: 1 }), statusLine("b", 400, "Bad request"), statusLine("c", 500)) },
  });
  const logger = recordingLogger();
  const results = await provider(fetchFn, { logger }).chatBatch(requests("a", "b", "c"));
  assert.deepEqual(results[1], { id: "b", response: {}, usage: { inputTokens: 0, outputTokens: 0 }, error: "status 400: Bad request" });
  assert.equal(results[2].error, "status 500");
  assert.deepEqual(
    logger.find("Batch item errored").map((l) => [l[0], l[2]]),
    [
      ["warn", { customId: "b", error: "status 400: Bad request" }],
      ["warn", { customId: "c", error: "status 500" }],
    ],
  );
});

test("content that is not JSON: `Invalid JSON: <200 chars>`, usage kept, a `Batch item returned invalid JSON` log", async () => {
  const prose = `Sure! ${"y".repeat(250)}`;
  const fetchFn = openaiBatchApi({
    polls: [completed()],
    files: { "file-out": jsonl(okLine("a", prose, { prompt: 30, completionTokens: 70 }), okLine("b", { fine: true })) },
  });
  const logger = recordingLogger();
  const [a, b] = await provider(fetchFn, { logger }).chatBatch(requests("a", "b"));
  assert.deepEqual(a, { id: "a", response: {}, usage: { inputTokens: 30, outputTokens: 70 }, error: `Invalid JSON: ${prose.slice(0, 200)}` });
  assert.deepEqual(b.response, { fine: true });
  assert.deepEqual(logger.find("Batch item returned invalid JSON").map((l) => [l[0], l[2]]), [["warn", { customId: "a" }]]);
});

test("a request without a result line: `No result returned from batch`", async () => {
  const fetchFn = openaiBatchApi({ polls: [completed()], files: { "file-out": okLine("a", {}) } });
  const results = await provider(fetchFn).chatBatch(requests("a", "missing"));
  assert.deepEqual(results[1], { id: "missing", response: {}, usage: { inputTokens: 0, outputTokens: 0 }, error: "No result returned from batch" });
});

test("the error file is read too: its lines (response: null) carry code and message", async () => {
  const fetchFn = openaiBatchApi({
    polls: [completed({ error_file_id: "file-err" })],
    files: {
      "file-out": jsonl(okLine("a", { a: 1 })),
      "file-err": jsonl(errorFileLine("b", "server_error", "The server had an error while processing your request.")),
    },
  });
  const results = await provider(fetchFn).chatBatch(requests("a", "b"));
  assert.deepEqual(results[0].response, { a: 1 });
  assert.equal(results[1].error, "server_error: The server had an error while processing your request.");
  assert.deepEqual(results[1].response, {});
  assert.deepEqual(
    fetchFn.calls.filter((c) => c.url.endsWith("/content")).map((c) => c.url),
    ["https://api.openai.com/v1/files/file-out/content", "https://api.openai.com/v1/files/file-err/content"],
  );
});

test("expired with files: what finished is returned; the rest read `Batch expired before this request completed`", async () => {
  const fetchFn = openaiBatchApi({
    polls: ["in_progress", { status: "expired", output_file_id: "file-out", error_file_id: "file-err" }],
    files: {
      "file-out": okLine("a", { a: 1 }),
      "file-err": errorFileLine("b", "batch_expired", "This request could not be executed before the completion window expired."),
    },
  });
  const results = await provider(fetchFn).chatBatch(requests("a", "b", "c"));
  assert.deepEqual(results[0], { id: "a", response: { a: 1 }, usage: { inputTokens: 10, outputTokens: 5 } });
  assert.equal(results[1].error, "batch_expired: This request could not be executed before the completion window expired.");
  assert.deepEqual(results[2], { id: "c", response: {}, usage: { inputTokens: 0, outputTokens: 0 }, error: "Batch expired before this request completed" });
});

test("expired with only an error file still returns every item", async () => {
  const fetchFn = openaiBatchApi({
    polls: [{ status: "expired", output_file_id: null, error_file_id: "file-err" }],
    files: { "file-err": jsonl(errorFileLine("a", "batch_expired", "late"), errorFileLine("b", "batch_expired", "late")) },
  });
  const results = await provider(fetchFn).chatBatch(requests("a", "b"));
  assert.deepEqual(results.map((r) => r.error), ["batch_expired: late", "batch_expired: late"]);
});

test("expired with no files throws `OpenAI batch expired`", async () => {
  const fetchFn = openaiBatchApi({ polls: ["in_progress", "expired"] });
  await assert.rejects(provider(fetchFn).chatBatch(requests("a", "b")), { message: "OpenAI batch expired" });
});

test("failed and cancelled throw `OpenAI batch <status>[: <first error message>]`", async () => {
  const cases = [
    [{ status: "failed", errors: { object: "list", data: [{ code: "invalid_json_line", message: "Line 2 is not valid JSON." }, { message: "second" }] } }, "OpenAI batch failed: Line 2 is not valid JSON."],
    [{ status: "failed" }, "OpenAI batch failed"],
    [{ status: "failed", errors: { data: [] } }, "OpenAI batch failed"],
    [{ status: "cancelled" }, "OpenAI batch cancelled"],
  ];
  for (const [poll, message] of cases) {
    const fetchFn = openaiBatchApi({ polls: ["in_progress", "cancelling", poll] });
    await assert.rejects(provider(fetchFn).chatBatch(requests("a", "b")), (err) => {
      assert.equal(err.constructor, Error);
      assert.equal(err.message, message);
      return true;
    });
    assert.equal(fetchFn.calls.filter((c) => c.url.endsWith("/content")).length, 0);
  }
});

test("completed without output_file_id throws `OpenAI batch completed but no output_file_id`", async () => {
  const fetchFn = openaiBatchApi({ polls: [{ status: "completed", output_file_id: null }] });
  await assert.rejects(provider(fetchFn).chatBatch(requests("a", "b")), { message: "OpenAI batch completed but no output_file_id" });
});

test("upload failure: `OpenAI file upload error: <status> <statusText>`; nothing is created", async () => {
  const fetchFn = openaiBatchApi({ upload: errorResponse(500, "") });
  const created = [];
  await assert.rejects(provider(fetchFn).chatBatch(requests("a", "b"), { onBatchCreated: (id) => created.push(id) }), {
    message: "OpenAI file upload error: 500 Internal Server Error",
  });
  assert.deepEqual(fetchFn.calls.map((c) => c.url), ["https://api.openai.com/v1/files"]);
  assert.deepEqual(created, []);
});

test("upload network error rejects with its message", async () => {
  const fetchFn = openaiBatchApi({ upload: new TypeError("fetch failed") });
  await assert.rejects(provider(fetchFn).chatBatch(requests("a", "b")), { message: "fetch failed" });
});

test("create failure: `OpenAI batch create error: <status> <statusText>`; onBatchCreated does not fire", async () => {
  const fetchFn = openaiBatchApi({ create: errorResponse(400, "") });
  const created = [];
  await assert.rejects(provider(fetchFn).chatBatch(requests("a", "b"), { onBatchCreated: (id) => created.push(id) }), {
    message: "OpenAI batch create error: 400 Bad Request",
  });
  assert.deepEqual(created, []);
  assert.equal(fetchFn.calls.length, 2);
});

test("an upstream message of a failed step is kept after the prefix", async () => {
  const body = '{"error":{"message":"Invalid file format for Batch API."}}';
  const fetchFn = openaiBatchApi({ create: errorResponse(400, body) });
  await assert.rejects(provider(fetchFn).chatBatch(requests("a", "b")), (err) => {
    assert.ok(err.message.startsWith("OpenAI batch create error: 400 Bad Request"), err.message);
    assert.ok(err.message.includes("Invalid file format for Batch API."), err.message);
    return true;
  });
});

test("download failure: `OpenAI file download error: <status> <statusText>`", async () => {
  const fetchFn = openaiBatchApi({ polls: [completed()], files: { "file-out": errorResponse(404, "") } });
  await assert.rejects(provider(fetchFn).chatBatch(requests("a", "b")), { message: "OpenAI file download error: 404 Not Found" });
});

test("resuming: no upload or create, `Resuming existing batch` logged, onBatchCreated not fired (even for one request)", async () => {
  const logger = recordingLogger();
  const fetchFn = openaiBatchApi({ batchId: "batch_old", polls: ["in_progress", completed()], files: { "file-out": okLine("only", { resumed: true }) } });
  const created = [];
  const results = await provider(fetchFn, { logger }).chatBatch(requests("only"), {
    existingBatchId: "batch_old",
    onBatchCreated: (id) => created.push(id),
  });
  assert.deepEqual(results.map((r) => r.response), [{ resumed: true }]);
  assert.deepEqual(created, []);
  assert.deepEqual(fetchFn.calls.map((c) => `${c.method} ${c.url}`), [
    "GET https://api.openai.com/v1/batches/batch_old",
    "GET https://api.openai.com/v1/batches/batch_old",
    "GET https://api.openai.com/v1/files/file-out/content",
  ]);
  assert.deepEqual(logger.lines[0].slice(0, 3), ["info", "Resuming existing batch", { batchId: "batch_old" }]);
  assert.equal(logger.find("Batch created").length, 0);
});

test("baseUrl and maxTokens reach every call and every line", async () => {
  const base = "http://127.0.0.1:9/openai/v1";
  const fetchFn = openaiBatchApi({ base, polls: [completed()], files: { "file-out": jsonl(okLine("a", {}), okLine("b", {})) } });
  await provider(fetchFn, { baseUrl: `${base}/`, maxTokens: 77 }).chatBatch(requests("a", "b"));
  assert.ok(fetchFn.calls.every((c) => c.url.startsWith(`${base}/`)));
  const form = await readForm(fetchFn.calls[0].body);
  assert.deepEqual(form.files[0].text.split("\n").map((l) => JSON.parse(l).body.max_tokens), [77, 77]);
});

test("reasoning models: each JSONL line's body has max_completion_tokens", async () => {
  const fetchFn = openaiBatchApi({ polls: [completed()], files: { "file-out": jsonl(okLine("a", {}), okLine("b", {})) } });
  await new OpenAIBatchChatProvider({ apiKey: "k", model: "o3-mini", fetchFn, pollIntervalMs: 0 }).chatBatch(requests("a", "b"));
  const lines = (await readForm(fetchFn.calls[0].body)).files[0].text.split("\n").map((l) => JSON.parse(l));
  for (const line of lines) {
    assert.equal(line.body.max_completion_tokens, 8192);
    assert.equal("max_tokens" in line.body, false);
  }
});

test("a corrupt result line does not lose the others", async () => {
  const fetchFn = openaiBatchApi({ polls: [completed()], files: { "file-out": jsonl(okLine("a", { a: 1 }), "{not json", okLine("c", { c: 1 })) } });
  const results = await provider(fetchFn).chatBatch(requests("a", "b", "c"));
  assert.deepEqual(results.map((r) => r.error), [undefined, "No result returned from batch", undefined]);
});

test("batch, timeoutMs and maxContextTokens getters; chat() is the sync call", async () => {
  const p = provider(openaiBatchApi({ sync: completion('{"x":1}') }));
  assert.equal(p.batch, true);
  assert.equal(p.timeoutMs, 86_400_000);
  assert.equal(p.maxContextTokens, 128_000);
  assert.equal(new OpenAIBatchChatProvider({ apiKey: "k", model: "gpt-4o", timeoutMs: 5000 }).timeoutMs, 5000);
  assert.equal(p.countTokens("hello world"), 2);
  assert.deepEqual((await p.chat(messages)).response, { x: 1 });
});

test("chat() on the batch class sends exactly the reference request", async () => {
  const fetchFn = openaiBatchApi({ sync: completion("{}") });
  await provider(fetchFn).chat(messages);
  assert.deepEqual(fetchFn.calls[0].init, {
    method: "POST",
    headers: { "Content-Type": "application/json", Authorization: "Bearer sk-test" },
    body: '{"model":"gpt-4o","max_tokens":8192,"response_format":{"type":"json_object"},"messages":[{"role":"system","content":"Answer in JSON."},{"role":"user","content":"Three primary colours?"}]}',
  });
});

test("a truncated or refused item names its cause and keeps the usage it was billed", async () => {
  const line = (id, body) => JSON.stringify({ custom_id: id, response: { status_code: 200, body } });
  const fetchFn = openaiBatchApi({
    polls: [completed()],
    files: {
      "file-out": jsonl(
        line("cut", completion('{"a":', { prompt: 40, completionTokens: 8192, finish: "length" })),
        line("no", completion(null, { prompt: 12, completionTokens: 9, refusal: "I can't." })),
      ),
    },
  });
  const logger = recordingLogger();
  const [cut, no] = await provider(fetchFn, { logger }).chatBatch(requests("cut", "no"));
  assert.deepEqual(cut, { id: "cut", response: {}, usage: { inputTokens: 40, outputTokens: 8192 }, error: "response truncated (finish_reason: length)" });
  assert.deepEqual(no, { id: "no", response: {}, usage: { inputTokens: 12, outputTokens: 9 }, error: "the model refused: I can't." });
  assert.deepEqual(logger.find("Batch item errored").map((l) => l[2].customId), ["cut", "no"]);
});

test("maxRetries also covers upload, create and download (never polls)", async () => {
  const clock = mockClock();
  try {
    let uploads = 0;
    const inner = openaiBatchApi({
      polls: [errorResponse(500), completed()],
      files: { "file-out": jsonl(okLine("a", {}), okLine("b", {})) },
    });
    const fetchFn = async (url, init) => (url.endsWith("/files") && uploads++ === 0 ? errorResponse(503, "", { headers: { "retry-after-ms": "40" } }) : inner(url, init));
    const outcome = await clock.runUntilSettled(provider(fetchFn, { maxRetries: 2 }).chatBatch(requests("a", "b")));
    assert.equal(outcome.value?.length, 2, String(outcome.error));
    assert.equal(uploads, 2);
    assert.equal(inner.polls(), 2, "the 500 poll is the machine's transient error, not an HTTP retry");
  } finally {
    clock.restore();
  }
});

test("a logger with only some methods, or one that throws, never breaks the batch", async () => {
  const warns = [];
  const files = { "file-out": jsonl(okLine("a", {}), statusLine("b", 400, "Bad request")) };
  let results = await provider(openaiBatchApi({ polls: [errorResponse(500), completed()], files }), { logger: { warn: (m) => warns.push(m) } }).chatBatch(requests("a", "b"));
  assert.equal(results.length, 2);
  assert.deepEqual(warns, ["Transient poll error", "Batch item errored"]);
  const throwing = { info: () => { throw new Error("logger down"); }, warn: () => { throw new Error("logger down"); } };
  results = await provider(openaiBatchApi({ polls: [completed()], files }), { logger: throwing }).chatBatch(requests("a", "b"));
  assert.equal(results[1].error, "status 400: Bad request");
});

test("an onBatchCreated that throws does not lose the batch: the error is logged and polling goes on", async () => {
  const logger = recordingLogger();
  const fetchFn = openaiBatchApi({ polls: [completed()], files: { "file-out": jsonl(okLine("a", { a: 1 }), okLine("b", {})) } });
  const results = await provider(fetchFn, { logger }).chatBatch(requests("a", "b"), {
    onBatchCreated: () => {
      throw new Error("db down");
    },
  });
  assert.deepEqual(results[0].response, { a: 1 });
  assert.deepEqual(logger.find("onBatchCreated threw").map((l) => [l[0], l[2]]), [["error", { batchId: BATCH, error: "db down" }]]);
});

test("timeoutMs is only the batch deadline, not an HTTP timeout", async () => {
  const slow = () => new Promise((resolve) => setTimeout(() => resolve(jsonResponse(completion('{"slow":true}'))), 60));
  const fetchFn = openaiBatchApi({ sync: slow });
  const p = provider(fetchFn, { timeoutMs: 10 });
  assert.deepEqual((await p.chat(messages)).response, { slow: true });
  assert.equal("signal" in fetchFn.calls[0].init, false);
});
