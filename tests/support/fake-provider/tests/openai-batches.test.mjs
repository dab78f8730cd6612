// The fake OpenAI Files + Batches over real HTTP: the full lifecycle, input validation,
// outcomes (failed / expired / cancelled), cancel, shuffle and the output-file switches.

import { test } from "node:test";
import assert from "node:assert/strict";
import {
  call, chatLine, createOpenAIBatch, fileContent, openaiHeaders, pollOpenAIBatch, uploadBatchFile, useFake,
} from "./helpers.mjs";

const ctx = useFake();
const base = () => ctx.fake.openaiBaseUrl;
const createBatch = (body) => call(`${base()}/batches`, { method: "POST", headers: openaiHeaders, body });

// Every property of the spec's Batch schema (specs/openai-openapi.yaml).
const BATCH_FIELDS = [
  "id", "object", "endpoint", "errors", "input_file_id", "completion_window", "status", "output_file_id", "error_file_id",
  "created_at", "in_progress_at", "expires_at", "finalizing_at", "completed_at", "failed_at", "expired_at", "cancelling_at",
  "cancelled_at", "request_counts", "usage", "metadata",
];

test("full lifecycle: upload → create → polls → output file and error file", async () => {
  const lines = [
    chatLine("ok-1", "first"),
    chatLine("bad-400", "please fail [[status:400]]"),
    chatLine("ok-2", "second"),
    chatLine("err-file", "lost [[error-file]]"),
    chatLine("not-json", "[[invalid-json]]"),
    chatLine("cut", "[[truncate]]"),
    chatLine("no", "[[refuse]]"),
  ];
  const file = await uploadBatchFile(ctx.fake, lines.join("\n"));
  assert.match(file.id, /^file-/);
  assert.equal(file.object, "file");
  assert.equal(file.purpose, "batch");
  assert.equal(file.filename, "batch-input.jsonl");
  assert.equal(file.bytes, Buffer.byteLength(lines.join("\n")));
  const upload = ctx.fake.requests.at(-1);
  assert.deepEqual(upload.multipart.fields, { purpose: "batch" });
  assert.equal(upload.multipart.files[0].field, "file");
  assert.equal(upload.multipart.files[0].filename, "batch-input.jsonl");
  assert.equal(upload.multipart.files[0].contentType, "application/jsonl");
  assert.equal(upload.multipart.files[0].content, lines.join("\n"));

  const created = await createBatch({ input_file_id: file.id, endpoint: "/v1/chat/completions", completion_window: "24h", metadata: { job: "t" } });
  assert.equal(created.status, 200);
  const b0 = created.json;
  assert.match(b0.id, /^batch_/);
  for (const f of BATCH_FIELDS) assert.ok(f in b0, `created batch lacks ${f}`);
  assert.equal(b0.object, "batch");
  assert.equal(b0.status, "validating");
  assert.deepEqual(b0.metadata, { job: "t" });
  assert.deepEqual(b0.request_counts, { total: 0, completed: 0, failed: 0 });
  assert.equal(b0.output_file_id, null);

  const seen = await pollOpenAIBatch(ctx.fake, b0.id);
  assert.deepEqual(seen.map((b) => b.status), ["in_progress", "in_progress", "in_progress", "finalizing", "completed"]);
  assert.deepEqual(seen.map((b) => b.request_counts.completed + b.request_counts.failed), [0, 2, 5, 7, 7]);
  const done = seen.at(-1);
  assert.equal(done.model, "gpt-4o");
  assert.deepEqual(done.request_counts, { total: 7, completed: 5, failed: 2 });
  for (const f of ["in_progress_at", "finalizing_at", "completed_at"]) assert.equal(typeof done[f], "number", f);
  assert.ok(done.usage.input_tokens > 0 && done.usage.output_tokens > 0);
  assert.match(done.output_file_id, /^file-/);
  assert.match(done.error_file_id, /^file-/);

  const out = await fileContent(ctx.fake, done.output_file_id);
  assert.deepEqual(out.map((l) => l.custom_id), ["ok-1", "bad-400", "ok-2", "not-json", "cut", "no"]);
  for (const l of out) {
    assert.match(l.id, /^batch_req_/);
    assert.equal(l.error, null);
    assert.equal(typeof l.response.request_id, "string");
  }
  const byId = Object.fromEntries(out.map((l) => [l.custom_id, l.response]));
  assert.equal(byId["ok-1"].status_code, 200);
  assert.deepEqual(JSON.parse(byId["ok-1"].body.choices[0].message.content), { echo: "first", model: "gpt-4o" });
  assert.equal(byId["ok-1"].body.object, "chat.completion");
  assert.equal(byId["bad-400"].status_code, 400);
  assert.equal(byId["bad-400"].body.error.message, "Bad request");
  assert.equal(byId["bad-400"].body.error.type, "invalid_request_error");
  assert.throws(() => JSON.parse(byId["not-json"].body.choices[0].message.content));
  assert.equal(byId.cut.body.choices[0].finish_reason, "length");
  assert.equal(byId.no.body.choices[0].message.content, null);
  assert.equal(typeof byId.no.body.choices[0].message.refusal, "string");

  // The batch body is what the sync route answers for the same request body.
  const sync = await call(`${base()}/chat/completions`, { method: "POST", headers: openaiHeaders, body: JSON.parse(lines[0]).body });
  assert.equal(sync.json.choices[0].message.content, byId["ok-1"].body.choices[0].message.content);

  const errs = await fileContent(ctx.fake, done.error_file_id);
  assert.equal(errs.length, 1);
  assert.equal(errs[0].custom_id, "err-file");
  assert.equal(errs[0].response, null);
  assert.equal(typeof errs[0].error.code, "string");
  assert.equal(typeof errs[0].error.message, "string");

  const outFile = await call(`${base()}/files/${done.output_file_id}`, { headers: openaiHeaders });
  assert.equal(outFile.json.purpose, "batch_output");
  const raw = await call(`${base()}/files/${done.output_file_id}/content`, { headers: openaiHeaders });
  assert.equal(outFile.json.bytes, Buffer.byteLength(raw.text));
  assert.ok(raw.text.endsWith("\n"));

  // Further polls do not change a finished batch; output is regenerated identically.
  const again = await call(`${base()}/batches/${done.id}`, { headers: openaiHeaders });
  assert.deepEqual(again.json, done);
  assert.equal((await call(`${base()}/files/${done.output_file_id}/content`, { headers: openaiHeaders })).text, raw.text);
});

test("an invalid input file sends the batch to failed with per-line errors", async () => {
  const lines = [
    chatLine("a", "x"),
    "{not json",
    chatLine("a", "dup"),
    chatLine("c", "x", { url: "/v1/embeddings" }),
    JSON.stringify({ custom_id: "d", method: "GET", url: "/v1/chat/completions", body: { model: "gpt-4o", messages: [] } }),
    JSON.stringify({ custom_id: "e", method: "POST", url: "/v1/chat/completions", body: { messages: [] } }),
    chatLine("f", "x", { model: "gpt-4o-mini" }),
    JSON.stringify({ method: "POST", url: "/v1/chat/completions", body: { model: "gpt-4o" } }),
  ];
  const b = await createOpenAIBatch(ctx.fake, lines);
  const [failed] = await pollOpenAIBatch(ctx.fake, b.id);
  assert.equal(failed.status, "failed");
  assert.equal(typeof failed.failed_at, "number");
  assert.equal(failed.errors.object, "list");
  const byLine = Object.fromEntries(failed.errors.data.map((e) => [e.line, e.code]));
  assert.deepEqual(byLine, {
    2: "invalid_json_line", 3: "duplicate_custom_id", 4: "invalid_url", 5: "invalid_value", 6: "missing_required_parameter",
    7: "mismatched_model", 8: "missing_required_parameter",
  });
  for (const e of failed.errors.data) assert.equal(typeof e.message, "string");
  assert.equal(failed.output_file_id, null);

  const empty = await createOpenAIBatch(ctx.fake, ["", ""]);
  const [f2] = await pollOpenAIBatch(ctx.fake, empty.id);
  assert.equal(f2.errors.data[0].code, "empty_file");
});

test("batchOutcome failed / expired / cancelled", async () => {
  const lines = ["a", "b", "c", "d"].map((id) => chatLine(id, `q ${id}`));

  ctx.fake.configure({ batchOutcome: "failed" });
  const f = (await pollOpenAIBatch(ctx.fake, (await createOpenAIBatch(ctx.fake, lines)).id)).at(-1);
  assert.equal(f.status, "failed");
  assert.equal(f.errors.data[0].code, "token_limit_exceeded");

  ctx.fake.configure({ batchOutcome: "expired", expiredCompletedFraction: 0.5 });
  const e = (await pollOpenAIBatch(ctx.fake, (await createOpenAIBatch(ctx.fake, lines)).id)).at(-1);
  assert.equal(e.status, "expired");
  assert.equal(typeof e.expired_at, "number");
  assert.deepEqual(e.request_counts, { total: 4, completed: 2, failed: 2 });
  assert.deepEqual((await fileContent(ctx.fake, e.output_file_id)).map((l) => l.custom_id), ["a", "b"]);
  const expired = await fileContent(ctx.fake, e.error_file_id);
  assert.deepEqual(expired.map((l) => [l.custom_id, l.response, l.error.code]), [["c", null, "batch_expired"], ["d", null, "batch_expired"]]);

  ctx.fake.configure({ batchOutcome: "expired", expiredCompletedFraction: 0 });
  const e0 = (await pollOpenAIBatch(ctx.fake, (await createOpenAIBatch(ctx.fake, lines)).id)).at(-1);
  assert.equal(e0.output_file_id, null);
  assert.equal((await fileContent(ctx.fake, e0.error_file_id)).length, 4);

  ctx.fake.configure({ batchOutcome: "cancelled", cancelledCompletedFraction: 0.25 });
  const seen = await pollOpenAIBatch(ctx.fake, (await createOpenAIBatch(ctx.fake, lines)).id);
  assert.deepEqual(seen.slice(-2).map((b) => b.status), ["cancelling", "cancelled"]);
  const c = seen.at(-1);
  assert.equal(typeof c.cancelling_at, "number");
  assert.equal(typeof c.cancelled_at, "number");
  assert.deepEqual((await fileContent(ctx.fake, c.output_file_id)).map((l) => l.custom_id), ["a"]);
  assert.deepEqual((await fileContent(ctx.fake, c.error_file_id)).map((l) => l.error.code), ["batch_cancelled", "batch_cancelled", "batch_cancelled"]);
});

test("POST /batches/{id}/cancel: cancelling, then cancelled with partial output; 409 once ended", async () => {
  ctx.fake.configure({ batchStepsToComplete: 4 });
  const lines = ["a", "b", "c", "d"].map((id) => chatLine(id, id));
  const b = await createOpenAIBatch(ctx.fake, lines);
  await pollOpenAIBatch(ctx.fake, b.id, (x) => x.request_counts.completed === 2);
  const cancelling = await call(`${base()}/batches/${b.id}/cancel`, { method: "POST", headers: openaiHeaders });
  assert.equal(cancelling.json.status, "cancelling");
  const again = await call(`${base()}/batches/${b.id}/cancel`, { method: "POST", headers: openaiHeaders });
  assert.equal(again.json.status, "cancelling");
  const [cancelled] = await pollOpenAIBatch(ctx.fake, b.id);
  assert.equal(cancelled.status, "cancelled");
  assert.deepEqual(cancelled.request_counts, { total: 4, completed: 2, failed: 2 });
  assert.deepEqual((await fileContent(ctx.fake, cancelled.output_file_id)).map((l) => l.custom_id), ["a", "b"]);
  const late = await call(`${base()}/batches/${b.id}/cancel`, { method: "POST", headers: openaiHeaders });
  assert.equal(late.status, 409);
  assert.equal((await call(`${base()}/batches/batch_nope/cancel`, { method: "POST", headers: openaiHeaders })).status, 404);
});

test("shuffleOutput: seeded order, every line present, same order for the same seed", async () => {
  ctx.fake.configure({ shuffleOutput: true, batchStepsToComplete: 1 });
  const ids = Array.from({ length: 30 }, (_, i) => `r${i}`);
  const lines = ids.map((id) => chatLine(id, id));
  const run = async () => fileContent(ctx.fake, (await pollOpenAIBatch(ctx.fake, (await createOpenAIBatch(ctx.fake, lines)).id)).at(-1).output_file_id);
  const first = (await run()).map((l) => l.custom_id);
  const second = (await run()).map((l) => l.custom_id);
  assert.notDeepEqual(first, ids);
  assert.deepEqual([...first].sort(), [...ids].sort());
  assert.deepEqual(second, first);
  ctx.fake.configure({ seed: 7 });
  assert.notDeepEqual((await run()).map((l) => l.custom_id), first);
});

test("outputWithoutFile and httpErrorsInErrorFile", async () => {
  const lines = [chatLine("a", "a"), chatLine("b", "[[status:400]]")];
  ctx.fake.configure({ outputWithoutFile: true });
  const done = (await pollOpenAIBatch(ctx.fake, (await createOpenAIBatch(ctx.fake, lines)).id)).at(-1);
  assert.equal(done.status, "completed");
  assert.equal(done.output_file_id, null);

  ctx.fake.configure({ outputWithoutFile: false, httpErrorsInErrorFile: true });
  const d2 = (await pollOpenAIBatch(ctx.fake, (await createOpenAIBatch(ctx.fake, lines)).id)).at(-1);
  assert.deepEqual((await fileContent(ctx.fake, d2.output_file_id)).map((l) => l.custom_id), ["a"]);
  const [err] = await fileContent(ctx.fake, d2.error_file_id);
  assert.equal(err.custom_id, "b");
  assert.equal(err.response.status_code, 400);
  assert.equal(err.response.body.error.message, "Bad request");
});

test("embeddings batches: /v1/embeddings lines give the sync /embeddings bodies", async () => {
  const line = (id, input) => JSON.stringify({ custom_id: id, method: "POST", url: "/v1/embeddings", body: { model: "text-embedding-3-small", input } });
  const b = await createOpenAIBatch(ctx.fake, [line("e1", "hello"), line("e2", ["x", "y"]), line("e3", "[[status:400]]")], "/v1/embeddings");
  const done = (await pollOpenAIBatch(ctx.fake, b.id)).at(-1);
  assert.deepEqual(done.request_counts, { total: 3, completed: 2, failed: 1 });
  const out = Object.fromEntries((await fileContent(ctx.fake, done.output_file_id)).map((l) => [l.custom_id, l.response]));
  const sync = await call(`${base()}/embeddings`, { method: "POST", headers: openaiHeaders, body: { model: "text-embedding-3-small", input: "hello" } });
  assert.deepEqual(out.e1.body.data, sync.json.data);
  assert.equal(out.e2.body.data.length, 2);
  assert.equal(out.e3.status_code, 400);
});

test("create and upload validation", async () => {
  const file = await uploadBatchFile(ctx.fake, chatLine("a", "a"));
  const ok = { input_file_id: file.id, endpoint: "/v1/chat/completions", completion_window: "24h" };
  for (const p of Object.keys(ok)) {
    const r = await createBatch({ ...ok, [p]: undefined });
    assert.equal(r.status, 400, p);
    assert.equal(r.json.error.param, p);
  }
  assert.equal((await createBatch({ ...ok, endpoint: "/v1/images" })).json.error.code, "invalid_value");
  assert.equal((await createBatch({ ...ok, completion_window: "48h" })).json.error.param, "completion_window");
  assert.equal((await createBatch({ ...ok, input_file_id: "file-missing" })).status, 404);
  assert.equal((await createBatch({ ...ok, metadata: { n: 1 } })).json.error.param, "metadata");

  const form = (fields, file) => {
    const f = new FormData();
    for (const [k, v] of Object.entries(fields)) f.append(k, v);
    if (file) f.append("file", new Blob([file.content]), file.name);
    return f;
  };
  const upload = (body, headers = { authorization: openaiHeaders.authorization }) => call(`${base()}/files`, { method: "POST", headers, body });
  assert.equal((await upload(form({}, { content: "x", name: "a.jsonl" }))).json.error.param, "purpose");
  assert.equal((await upload(form({ purpose: "batch" }))).json.error.param, "file");
  assert.equal((await upload(form({ purpose: "nonsense" }, { content: "x", name: "a.jsonl" }))).json.error.code, "invalid_value");
  assert.match((await upload(form({ purpose: "batch" }, { content: "x", name: "a.txt" }))).json.error.message, /Must be \.jsonl/);
  assert.match((await upload("{}", openaiHeaders)).json.error.message, /multipart\/form-data/);

  const asst = await upload(form({ purpose: "assistants" }, { content: "x", name: "notes.txt" }));
  assert.equal(asst.status, 200);
  assert.equal((await createBatch({ ...ok, input_file_id: asst.json.id })).status, 400);
});

test("files and batches: retrieve, list, delete; advanceAll and advanceOnGet=false", async () => {
  ctx.fake.configure({ advanceOnGet: false, batchStepsToComplete: 1 });
  const b = await createOpenAIBatch(ctx.fake, [chatLine("a", "a"), chatLine("b", "b")]);
  const get = async () => (await call(`${base()}/batches/${b.id}`, { headers: openaiHeaders })).json;
  assert.equal((await get()).status, "validating");
  assert.equal((await get()).status, "validating");
  ctx.fake.advanceAll(["batch_other"]); // only the batches named move
  assert.equal((await get()).status, "validating");
  ctx.fake.advanceAll([b.id]);
  assert.equal((await get()).status, "in_progress");
  ctx.fake.advanceAll();
  ctx.fake.advanceAll();
  assert.equal((await get()).status, "completed");

  const list = await call(`${base()}/batches?limit=1`, { headers: openaiHeaders });
  assert.equal(list.json.object, "list");
  assert.deepEqual(list.json.data.map((x) => x.id), [b.id]);
  assert.equal(list.json.has_more, false);

  const files = await call(`${base()}/files`, { headers: openaiHeaders });
  assert.equal(files.json.data.length, 2); // input + output
  const inputId = b.input_file_id;
  assert.equal((await call(`${base()}/files/${inputId}`, { headers: openaiHeaders })).json.id, inputId);
  assert.equal((await call(`${base()}/files/${inputId}/content`, { headers: openaiHeaders })).text, [chatLine("a", "a"), chatLine("b", "b")].join("\n"));
  const del = await call(`${base()}/files/${inputId}`, { method: "DELETE", headers: openaiHeaders });
  assert.deepEqual(del.json, { id: inputId, object: "file", deleted: true });
  assert.equal((await call(`${base()}/files/${inputId}`, { headers: openaiHeaders })).status, 404);
  assert.equal((await call(`${base()}/batches/batch_nope`, { headers: openaiHeaders })).status, 404);

  const state = await ctx.fake.state();
  assert.equal(state.batches[0].status, "completed");
  assert.equal(state.files.length, 1);
});
