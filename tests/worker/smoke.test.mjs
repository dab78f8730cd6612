import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startWorker, cronUntilDone } from "./support/worker.mjs";

let w;
before(async () => { w = await startWorker(); });
after(async () => { await w?.close(); });

test("chat through the Worker", async () => {
  const r = await w.api("POST", "/v1/chat", { body: { messages: [{ role: "user", content: "Say hi in json" }] } });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.provider, "openai");
  assert.ok(r.json.response);
});

test("a batch completes through cron runs", async () => {
  const requests = ["a", "b", "c"].map((id) => ({ id, messages: [{ role: "user", content: `json ${id}` }] }));
  const created = await w.api("POST", "/v1/batches", { body: { requests } });
  assert.equal(created.status, 202, created.text);
  const done = await cronUntilDone(w, created.json.id);
  assert.equal(done.status, "completed");
  const results = await w.api("GET", `/v1/batches/${created.json.id}/results`);
  assert.equal(results.status, 200, results.text);
  assert.deepEqual(results.json.results.map((r) => r.id), ["a", "b", "c"]);
});
