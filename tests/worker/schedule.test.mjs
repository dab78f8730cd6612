// The §2 poll schedule across cron runs, §4.1's window (upstream is the clock), with the runs'
// scheduled times moving time forward (the cron's clock is its scheduledTime), and "a poll
// that changes nothing writes nothing to KV" (contract §4), counted on the KV binding itself.
import { test, before, after, beforeEach } from "node:test";
import assert from "node:assert/strict";
import { startWorker, createBatch, requests, allResults, CLOSE_AFTER_MS } from "./support/worker.mjs";

const S = 1000;
let w;
before(async () => {
  // The production schedule: 10 s, ×1.5 per poll, at most 120 s; 24 h deadline.
  w = await startWorker({ vars: { BATCH_POLL_INTERVAL_MS: "10000", BATCH_MAX_POLL_INTERVAL_MS: "120000" } });
});
after(async () => { await w?.close(); });
beforeEach(() => { w.fake.reset(); });

/** A batch that upstream never moves on its own (polls do not advance it). */
async function stillBatch() {
  w.fake.configure({ advanceOnGet: false });
  const b = await createBatch(w, { requests: requests(3) });
  await w.kvOps({ reset: true });
  const { updatedAt } = (await w.api("GET", `/v1/batches/${b.id}`)).json;
  await w.kvOps({ reset: true });
  return { ...b, updatedAt, upstream: await w.upstreamId(b.id), t0: Date.parse(b.createdAt) };
}

const pollsOf = (b) => w.fake.requests.filter((r) => r.method === "GET" && r.path.endsWith(`/batches/${b.upstream}`)).length;
const writes = (ops) => ops.filter((o) => o.op === "put" || o.op === "delete");

test("polls follow 10 s × 1.5ⁿ capped at 120 s across minute-apart runs; unchanged polls write nothing", async () => {
  const b = await stillBatch();
  // Poll times after creation: 10, 25, 47.5, 81.25, 131.9, 207.8, 321.7, then every 120 s
  // (441.7, 561.7, 681.7, 801.7, …). A run at minute k polls when one of them fell in
  // (k-1, k]: minutes 1-4, 6, 8, 10, 12.
  const polled = [];
  for (let k = 1; k <= 12; k++) {
    const before = pollsOf(b);
    await w.cron(b.t0 + k * 60 * S);
    const n = pollsOf(b) - before;
    assert.ok(n <= 1, `one poll per run at most (minute ${k}: ${n})`);
    if (n) polled.push(k);
  }
  assert.deepEqual(polled, [1, 2, 3, 4, 6, 8, 10, 12]);
  const ops = await w.kvOps({ reset: true });
  assert.deepEqual(writes(ops), [], "eight polls that changed nothing wrote nothing");
  assert.ok(ops.every((o) => ["list", "getBulk"].includes(o.op)), JSON.stringify(ops.filter((o) => !["list", "getBulk"].includes(o.op))));
  const status = (await w.api("GET", `/v1/batches/${b.id}`)).json;
  assert.equal(status.status, "validating");
  assert.equal(status.updatedAt, b.updatedAt, "no write, no new updatedAt");

  // Upstream moves: the next due poll writes once, and the schedule restarts from it.
  w.fake.advanceAll();
  await w.cron(b.t0 + 13 * 60 * S); // nothing due in (720, 780]
  assert.equal(pollsOf(b), 8);
  await w.cron(b.t0 + 14 * 60 * S); // 801.7 s is due
  assert.equal(pollsOf(b), 9);
  const changed = await w.kvOps({ reset: true });
  // The record, then its index entry with the grid restarted from this poll.
  assert.deepEqual(writes(changed).map((o) => o.key.split(":")[0]), ["batch", "open"]);
  assert.equal(writes(changed)[0].key, `batch:${b.id}`);
  assert.equal((await w.api("GET", `/v1/batches/${b.id}`)).json.status, "in_progress");
  // 120 s after that poll: nothing at +60 s, a poll by +150 s.
  await w.cron(b.t0 + 15 * 60 * S);
  assert.equal(pollsOf(b), 9);
  await w.cron(b.t0 + 16.5 * 60 * S);
  assert.equal(pollsOf(b), 10);
  assert.deepEqual(writes(await w.kvOps({ reset: true })), []);
});

test("a run that is not due for any batch lists the open index and reads nothing else", async () => {
  const b = await stillBatch();
  await w.cron(b.t0 + 5 * S); // the first poll is due at 10 s
  assert.equal(pollsOf(b), 0);
  const ops = await w.kvOps({ reset: true });
  // Whether a batch is due is in its index entry's metadata: no record is read.
  assert.deepEqual(ops.map((o) => o.op), ["list"]);
});

test("upstream is the clock: still polled past 24 h; still open 6 h past its window, it is cancelled upstream and what finished is collected", async () => {
  const b = await stillBatch();
  const H = 3600 * S;
  // Poll times settle 120 s apart from 441.7 s: 86 481.7 s is one.
  await w.cron(b.t0 + 86_500 * S);
  assert.equal(pollsOf(b), 1);
  assert.equal((await w.api("GET", `/v1/batches/${b.id}`)).json.status, "validating", "no deadline of the gateway's own at 24 h");
  const cancels = () => w.fake.requests.filter((r) => r.method === "POST" && r.path.endsWith(`/batches/${b.upstream}/cancel`)).length;
  await w.cron(b.t0 + 30 * H - 60 * S);
  assert.equal(cancels(), 0);
  await w.cron(b.t0 + 30 * H + 30 * S);
  assert.equal(cancels(), 1, "cancelled upstream 24 h + 6 h after creation");
  assert.ok(w.lines().some((l) => /still open past its window/.test(l.msg) && l.batchId === b.id));
  assert.equal((await w.api("GET", `/v1/batches/${b.id}`)).json.status, "cancelling");
  // Upstream ends it (cancelled, keeping what finished); the next polls collect.
  w.fake.advanceAll();
  w.fake.advanceAll();
  let status;
  for (let m = 1; m <= 10; m++) {
    await w.cron(b.t0 + 30 * H + m * 60 * S);
    status = (await w.api("GET", `/v1/batches/${b.id}`)).json;
    if (status.status === "cancelled") break;
  }
  assert.equal(status.status, "cancelled", JSON.stringify(status));
  assert.match(status.error, /the gateway cancelled this batch: upstream still had it open 6h past its 24h window/);
  assert.equal(cancels(), 1, "one cancel");
  const { results } = await allResults(w, b.id);
  assert.equal(results.length, 3);
  // Ended batches leave the open index (half an hour on); later runs do not poll them.
  const polls = pollsOf(b);
  await w.cron(b.t0 + 30 * H + CLOSE_AFTER_MS + 20 * 60 * S);
  assert.ok(!(await w.dumpKv()).some((k) => k.key.startsWith("open:") && k.key.endsWith(b.id)));
  await w.cron(b.t0 + 31 * H);
  assert.equal(pollsOf(b), polls);
});

test("after missed runs one run polls once, and the waits keep growing", async () => {
  const b = await stillBatch();
  await w.cron(b.t0 + 330 * S); // seven poll times passed since creation: one poll
  assert.equal(pollsOf(b), 1);
  // The next poll time is 441.7 s, not 330 s + 10 s.
  await w.cron(b.t0 + 390 * S);
  assert.equal(pollsOf(b), 1);
  await w.cron(b.t0 + 450 * S);
  assert.equal(pollsOf(b), 2);
});
