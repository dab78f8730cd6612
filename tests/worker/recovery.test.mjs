// A create that stops after writing the open index but before the record (the isolate was
// killed, KV failed) must not lose the batch: the index entry carries provider, model and
// size, and a cron run rebuilds the record once the create has had time to finish.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startWorker, createBatch, requests, allResults } from "./support/worker.mjs";

let w;
before(async () => { w = await startWorker(); });
after(async () => { await w?.close(); });

test("a batch whose record was never written is rebuilt from its open-index entry", async () => {
  const { id } = await createBatch(w, { requests: requests(4) });
  await w.kv.delete(`batch:${id}`); // as if the create stopped before its last write
  assert.equal((await w.api("GET", `/v1/batches/${id}`)).status, 404);

  // Within the grace period a create may still be writing: nothing is rebuilt yet.
  await w.cron(Date.now());
  assert.ok(w.lines().some((l) => l.msg === "open batch has no record yet" && l.batchId === id));
  assert.equal(await w.kv.get(`batch:${id}`), null);

  // Later, the cron rebuilds it and carries on as if nothing happened. (The runs keep
  // their clock ahead of the real one: a record polled "at t+3 min" is not due before.)
  const later = Date.now() + 3 * 60_000;
  await w.cron(later);
  assert.ok(w.lines().some((l) => l.msg.startsWith("recovered the record") && l.batchId === id));
  const status = (await w.api("GET", `/v1/batches/${id}`)).json;
  assert.deepEqual([status.provider, status.model, status.requestCounts.total], ["openai", "gpt-4o-mini", 4]);
  let current = status;
  for (let run = 1; run <= 20 && current.status !== "completed"; run++) {
    await w.cron(later + run * 60_000);
    current = (await w.api("GET", `/v1/batches/${id}`)).json;
  }
  assert.equal(current.status, "completed");
  const { results } = await allResults(w, id);
  assert.deepEqual(results.map((r) => r.id), ["r0", "r1", "r2", "r3"]);
  assert.ok(results.every((r) => r.error === undefined), JSON.stringify(results));
});
