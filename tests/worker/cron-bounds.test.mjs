// Each cron run polls the due batches once, oldest first, bounded per run to stay under the
// subrequest limit (contract §4): 40 polls and 1 collection a run; the rest wait their turn.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startWorker, createBatch, requests, ENDED } from "./support/worker.mjs";

let w;
before(async () => { w = await startWorker(); });
after(async () => { await w?.close(); });

test("45 open batches: a run polls the 40 oldest; the newest wait until older ones stop needing polls", async () => {
  w.fake.configure({ advanceOnGet: false });
  const ids = [];
  for (let i = 0; i < 45; i++) ids.push((await createBatch(w, { requests: requests(2) })).id);
  let seen = 0;
  const polled = () => {
    const all = w.fake.requests.filter((r) => r.method === "GET" && /\/batches\/batch_[^/]+$/.test(r.path)).map((r) => r.path.split("/").pop());
    const fresh = all.slice(seen);
    seen = all.length;
    return fresh;
  };
  const summary = () => w.lines().filter((l) => l.msg === "cron run").at(-1);
  await w.cron();
  assert.deepEqual(polled(), ids.slice(0, 40), "the 40 oldest, oldest first");
  assert.deepEqual([summary().open, summary().due, summary().polled, summary().deferred], [45, 45, 40, 5]);
  // Nothing changed upstream, so nothing was written: the same 40 are due again and win
  // again (a deferred poll is not carried over; see the report on starvation).
  await w.cron();
  assert.deepEqual(polled(), ids.slice(0, 40));
  // Once the older batches are done polling (here: waiting to be collected), the newest
  // get their polls.
  w.fake.configure({ advanceOnGet: true });
  let newest = [];
  for (let run = 0; run < 12 && newest.length === 0; run++) {
    await w.cron();
    newest = polled().filter((id) => ids.slice(40).includes(id));
  }
  assert.deepEqual(newest, ids.slice(40));
});

test("one collection per run: batches that end together are collected on consecutive runs", async () => {
  w.fake.reset();
  for (const { key } of await w.dumpKv()) await w.kv.delete(key);
  const ids = [];
  for (let i = 0; i < 3; i++) ids.push((await createBatch(w, { requests: requests(3) })).id);
  let runs = 0;
  const collectedPerRun = [];
  while (runs < 30) {
    const before = w.lines().filter((l) => l.msg === "results stored").length;
    await w.cron();
    runs += 1;
    collectedPerRun.push(w.lines().filter((l) => l.msg === "results stored").length - before);
    const statuses = await Promise.all(ids.map(async (id) => (await w.api("GET", `/v1/batches/${id}`)).json.status));
    if (statuses.every((s) => ENDED.includes(s))) break;
  }
  assert.ok(collectedPerRun.every((n) => n <= 1), JSON.stringify(collectedPerRun));
  assert.equal(collectedPerRun.reduce((a, b) => a + b, 0), 3);
});
