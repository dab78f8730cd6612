// A batch body larger than the read-ahead (8 MiB) is streamed upstream as it is read, so a
// body up to the 100 MiB limit never has to fit in the isolate's 128 MB at once. Checks the
// upload is whole and correct, that memory stays small, and that a problem found late in
// the body (a lint error, a late `provider`) aborts the call instead of creating a batch.
import { test, afterEach } from "node:test";
import assert from "node:assert/strict";
import { startWorker, createBatch, cronUntilDone, allResults, MIB } from "./support/worker.mjs";

let w;
afterEach(async () => { await w?.close(); w = undefined; });

/** `n` requests of about `bytes` each, every one asking for JSON. */
function bigRequests(n, bytes) {
  const pad = "lorem ipsum dolor sit amet ".repeat(Math.ceil(bytes / 27)).slice(0, bytes);
  return Array.from({ length: n }, (_, i) => ({ id: `big-${i}`, messages: [{ role: "user", content: `json please ${i}: ${pad}` }] }));
}

const batches = async () => (await (await fetch(`${w.fake.url}/__control/state`)).json()).batches ?? [];

test("a 40 MiB body is streamed upstream whole, in order, with small memory", async (t) => {
  w = await startWorker();
  const reqs = bigRequests(10_000, 4_000);
  const body = JSON.stringify({ requests: reqs });
  assert.ok(body.length > 38 * MIB, `${body.length} bytes`);
  const { id } = await createBatch(w, body);
  const accepted = w.lines().find((l) => l.msg === "batch accepted");
  t.diagnostic(`body ${(body.length / MIB).toFixed(1)} MiB → wasm memory ${(accepted.wasmMemoryBytes / MIB).toFixed(1)} MiB`);
  assert.ok(accepted.wasmMemoryBytes < 40 * MIB, `wasm memory ${accepted.wasmMemoryBytes}`);

  // The upload arrived as one multipart form whose JSONL has every request, in order.
  const upload = w.fake.requests.find((r) => r.method === "POST" && r.path.endsWith("/files"));
  assert.equal(upload.multipart.fields.purpose, "batch");
  const [file] = upload.multipart.files;
  assert.equal(file.filename, "batch-input.jsonl");
  const lines = file.content.split("\n");
  assert.equal(lines.length, reqs.length);
  for (const i of [0, 1, 4_999, 9_999]) {
    const line = JSON.parse(lines[i]);
    assert.equal(line.custom_id, reqs[i].id);
    assert.deepEqual(line.body.messages, reqs[i].messages);
    assert.equal(line.body.model, "gpt-4o-mini");
  }
  assert.equal((await cronUntilDone(w, id)).status, "completed");
  const { results } = await allResults(w, id);
  assert.deepEqual(results.map((r) => r.id), reqs.map((r) => r.id));
});

test("an Anthropic create body is streamed the same way", async () => {
  w = await startWorker({ vars: { LLM_PROVIDER: "anthropic", LLM_MODEL: "claude-sonnet-4-5" } });
  const reqs = bigRequests(3_000, 4_000);
  const { id } = await createBatch(w, JSON.stringify({ requests: reqs }));
  const create = w.fake.requests.find((r) => r.method === "POST" && r.path.endsWith("/messages/batches"));
  assert.equal(create.json.requests.length, reqs.length);
  assert.deepEqual(create.json.requests.map((r) => r.custom_id), reqs.map((r, i) => `${id}-${i}`));
  assert.equal(create.json.requests[7].params.model, "claude-sonnet-4-5");
  assert.equal((await cronUntilDone(w, id)).status, "completed");
  const { results } = await allResults(w, id);
  assert.deepEqual(results.map((r) => r.id), reqs.map((r) => r.id), "results carry the client's ids");
});

test("a lint error past the read-ahead aborts the upload: a 400 naming it, no batch", async () => {
  w = await startWorker();
  const reqs = bigRequests(4_000, 4_000);
  reqs[3_500] = { id: reqs[10].id, messages: reqs[3_500].messages }; // a duplicate id, ~14 MiB in
  const r = await w.api("POST", "/v1/batches", { body: JSON.stringify({ requests: reqs }) });
  assert.equal(r.status, 400, r.text.slice(0, 300));
  assert.match(r.json.error.message, /^requests\[3500\]\.id: "big-10" is used by an earlier request/);
  assert.deepEqual(await batches(), []);
  assert.equal(await w.kv.list({ prefix: "open:" }).then((l) => l.keys.length), 0);
});

test("in a large body, provider and model must come before the requests unless they agree", async () => {
  w = await startWorker();
  const reqs = bigRequests(3_000, 4_000);
  const late = await w.api("POST", "/v1/batches", { body: JSON.stringify({ requests: reqs, provider: "anthropic", model: "claude-sonnet-4-5" }) });
  assert.equal(late.status, 400, late.text.slice(0, 300));
  assert.match(late.json.error.message, /^provider: must come before `requests`/);
  assert.deepEqual(await batches(), []);
  // The same fields first are fine; after the requests they are fine if they say what the
  // gateway would have used anyway.
  const first = await w.api("POST", "/v1/batches", { body: JSON.stringify({ provider: "anthropic", model: "claude-sonnet-4-5", requests: reqs }) });
  assert.equal(first.status, 202, first.text.slice(0, 300));
  assert.equal(first.json.provider, "anthropic");
  const agreeing = await w.api("POST", "/v1/batches", { body: JSON.stringify({ requests: reqs, model: "gpt-4o-mini" }) });
  assert.equal(agreeing.status, 202, agreeing.text.slice(0, 300));
});
