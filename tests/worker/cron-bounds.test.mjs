// Without a queue the cron run does the steps itself: it polls the due batches once, oldest
// first, bounded per run to stay under the subrequest limit (contract §4): 40 polls and 1
// collection a run; the rest wait their turn, and under overload each run starts further
// along the list so every batch gets its turn. Always without the queue (with one, the
// consumer does the steps: tests/worker/scale.test.mjs).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startWorker, createBatch, requests, ENDED } from "./support/worker.mjs";

let w;
before(async () => { w = await startWorker({ queue: false }); });
after(async () => { await w?.close(); });

test("45 open batches: a run polls at most 40; under overload consecutive runs rotate, so none starves", async () => {
  w.fake.configure({ advanceOnGet: false });
  const ids = [];
  for (let i = 0; i < 45; i++) ids.push(await w.upstreamId((await createBatch(w, { requests: requests(2) })).id));
  let seen = 0;
  const polled = () => {
    const all = w.fake.requests.filter((r) => r.method === "GET" && /\/batches\/batch_[^/]+$/.test(r.path)).map((r) => r.path.split("/").pop());
    const fresh = all.slice(seen);
    seen = all.length;
    return fresh;
  };
  const summary = () => w.lines().filter((l) => l.msg === "cron run").at(-1);
  // Two consecutive runs, a minute apart as the trigger fires them. Nothing changes upstream,
  // so nothing is written between them: the rotation alone decides who is polled.
  const minute = 60_000;
  const t0 = Math.ceil(Date.now() / minute) * minute + minute;
  await w.cron(t0);
  const first = polled();
  assert.equal(first.length, 40);
  assert.equal(new Set(first).size, 40, "each batch at most once a run");
  assert.deepEqual([summary().open, summary().due, summary().polled, summary().deferred], [45, 45, 40, 5]);
  await w.cron(t0 + minute);
  const second = polled();
  assert.equal(second.length, 40);
  assert.deepEqual(new Set([...first, ...second]), new Set(ids), "every open batch was polled within two runs");
  w.fake.configure({ advanceOnGet: true });
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
