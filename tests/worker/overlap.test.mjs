// Two cron runs at once over the same batches (contract §4: "Two overlapping cron runs must
// not lose or corrupt anything"): both poll, both may collect the same batch; every batch
// still ends with exactly its results, once each, in input order, and leaves the open index.
import { test, before, after, beforeEach } from "node:test";
import assert from "node:assert/strict";
import { startWorker, createBatch, requests, allResults, closeOut, ENDED } from "./support/worker.mjs";

let w;
before(async () => { w = await startWorker(); });
after(async () => { await w?.close(); });
beforeEach(() => { w.fake.reset(); });

async function statusOf(id) {
  return (await w.api("GET", `/v1/batches/${id}`)).json;
}

/** Fires `runs` cron runs at once, again and again, until every batch ended (bounded). */
async function overlappingUntilDone(ids, runs = 2, max = 40) {
  for (let i = 0; i < max; i++) {
    const t = Date.now();
    await Promise.all(Array.from({ length: runs }, () => w.cron(t)));
    const statuses = await Promise.all(ids.map(statusOf));
    if (statuses.every((s) => ENDED.includes(s.status))) return statuses;
  }
  throw new Error(`not done after ${max} rounds: ${JSON.stringify(await Promise.all(ids.map(statusOf)))}`);
}

async function checkExact(id, reqs) {
  const { results } = await allResults(w, id);
  assert.equal(results.length, reqs.length, id);
  assert.deepEqual(results.map((r) => r.id), reqs.map((r) => r.id), id);
  const seen = new Set(results.map((r) => r.id));
  assert.equal(seen.size, reqs.length, `${id}: no duplicates`);
  return results;
}

test("two runs at once over many batches: every batch completes with exactly its results", async () => {
  w.fake.configure({ shuffleOutput: true, outputPadBytes: 200 });
  const batches = [];
  for (const [n, provider] of [[30, "openai"], [1200, "openai"], [7, "openai"], [25, "anthropic"], [1100, "anthropic"], [3, "openai"]]) {
    const reqs = requests(n, (i) => (i % 13 === 4 ? " [[status:400]]" : ""), `${provider[0]}${n}_`);
    const body = provider === "anthropic" ? { requests: reqs, provider, model: "claude-sonnet-4-5" } : { requests: reqs };
    batches.push({ id: (await createBatch(w, body)).id, reqs });
  }
  const statuses = await overlappingUntilDone(batches.map((b) => b.id));
  assert.ok(statuses.every((s) => s.status === "completed"), JSON.stringify(statuses.map((s) => s.status)));
  for (const { id, reqs } of batches) {
    const results = await checkExact(id, reqs);
    results.forEach((r, i) => (i % 13 === 4 ? assert.match(r.error, /400|Bad request/, r.id) : assert.equal(r.error, undefined, r.id)));
  }
  await closeOut(w);
  const keys = (await w.dumpKv()).map((k) => k.key);
  assert.ok(!keys.some((k) => k.startsWith("open:")), "every batch left the open index");
  const collected = w.lines().filter((l) => l.msg === "results stored");
  assert.ok(collected.length >= batches.length, "every batch was collected at least once");
});

test("a run whose download fails after another run stored the results does not undo them", async () => {
  const reqs = requests(40);
  w.fake.configure({ outputPadBytes: 500 });
  const { id } = await createBatch(w, { requests: reqs });
  // Walk it to upstream's last step before completion, one run at a time.
  for (let i = 0; i < 10 && (await statusOf(id)).status !== "finalizing"; i++) await w.cron();
  assert.equal((await statusOf(id)).status, "finalizing");
  // Both runs see `completed` and collect; the first download is slow and then cut.
  w.fake.configure({ faults: [{ method: "GET", path: "/files/.*/content", delayMs: 800, dropAfterBytes: 3000, times: 1 }] });
  const t = Date.now();
  await Promise.all([w.cron(t), w.cron(t)]);
  assert.ok(w.lines().some((l) => l.msg === "collecting results failed; trying again later" && l.batchId === id), "one run's download was cut");
  // Whatever the order, the batch ends completed with all its results.
  for (let i = 0; i < 5 && (await statusOf(id)).status !== "completed"; i++) await w.cron();
  const status = await statusOf(id);
  assert.equal(status.status, "completed", JSON.stringify(status));
  await checkExact(id, reqs);
  await closeOut(w);
  assert.ok(!(await w.dumpKv()).some((k) => k.key.startsWith("open:") && k.key.endsWith(id)));
  assert.equal((await statusOf(id)).status, "completed");
  await checkExact(id, reqs);
});

test("five runs at once: a batch is collected, counted and closed consistently", async () => {
  const reqs = requests(300);
  const { id } = await createBatch(w, { requests: reqs });
  const [status] = await overlappingUntilDone([id], 5);
  assert.equal(status.status, "completed");
  assert.deepEqual(status.requestCounts, { total: 300, completed: 300, failed: 0 });
  await checkExact(id, reqs);
  // Only one set of fragments is named by the record; others are orphans, never read.
  const record = JSON.parse(await w.kv.get(`batch:${id}`));
  const attempt = record.results.attempt;
  await w.kvOps({ reset: true });
  await allResults(w, id);
  const reads = (await w.kvOps({ reset: true })).filter((o) => o.key?.includes?.(":results:"));
  assert.ok(reads.every((o) => o.key.includes(`:results:${attempt}:`)), "reads come from the named attempt only");
});
