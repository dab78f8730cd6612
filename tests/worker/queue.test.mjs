// Batch steps over the queue, at least once: duplicates do a step once, messages this Worker
// cannot read are dropped, an index entry of an older Worker is brought up to date, and a
// collection under way holds its batch's entry so the cron does not send another. Always with
// the queue; the production schedule (10 s × 1.5ⁿ up to 120 s), so a step has a window.
import { test, before, after, beforeEach } from "node:test";
import assert from "node:assert/strict";
import { startWorker, createBatch, requests, allResults } from "./support/worker.mjs";

const S = 1000;
let w;
before(async () => {
  w = await startWorker({ queue: true, vars: { BATCH_POLL_INTERVAL_MS: "10000", BATCH_MAX_POLL_INTERVAL_MS: "120000" } });
});
after(async () => { await w?.close(); });
beforeEach(async () => {
  w.fake.reset();
  await w.queueFaults();
  for (const { key } of await w.dumpKv()) await w.kv.delete(key);
  await w.queueOps({ reset: true });
});

async function batch() {
  const { id, createdAt } = await createBatch(w, { requests: requests(3) });
  const upstream = await w.upstreamId(id);
  const polls = () => w.fake.requests.filter((r) => r.method === "GET" && r.path.endsWith(`/batches/${upstream}`)).length;
  return { id, upstream, polls, t0: Date.parse(createdAt) };
}
const puts = (ops, prefix) => ops.filter((o) => o.op === "put" && o.key.startsWith(prefix)).length;

test("a step sent twice and delivered again after its acknowledgement polls once and writes once", async () => {
  const b = await batch();
  await w.kvOps({ reset: true });
  await w.queueFaults({ duplicate: 1, redeliver: 1 });
  await w.cron(b.t0 + 60 * S); // grid points at 10, 25 and 47.5 s: one poll, which sees in_progress
  const stats = await w.drain();
  assert.ok(stats.duplicated >= 1 && stats.redelivered >= 1, JSON.stringify(stats));
  assert.equal(b.polls(), 1, "upstream asked once");
  const ops = await w.kvOps({ reset: true });
  assert.equal(puts(ops, "batch:"), 1, "the record written once");
  assert.equal(puts(ops, "open:"), 1, "its entry written once (the copies read it and found it right)");
  assert.equal((await w.api("GET", `/v1/batches/${b.id}`)).json.status, "in_progress");
});

test("a collection delivered again finds the results stored: downloaded once, every result once", async () => {
  const b = await batch();
  for (let i = 0; i < 6; i++) w.fake.advanceAll([b.upstream]);
  await w.queueFaults({ duplicate: 1, redeliver: 1 });
  await w.cron(b.t0 + 60 * S);
  const downloads = w.fake.requests.filter((r) => r.method === "GET" && /\/files\/.*\/content$/.test(r.path)).length;
  assert.equal(downloads, 1);
  assert.equal(w.lines().filter((l) => l.msg === "results stored" && l.batchId === b.id).length, 1);
  const { results } = await allResults(w, b.id);
  assert.deepEqual(results.map((r) => r.id), ["r0", "r1", "r2"]);
});

test("messages this Worker cannot read are dropped, said so, and hold nothing up", async () => {
  const b = await batch();
  await w.sendSteps(["not json", { v: 99, batchId: b.id, step: "poll" }, { v: 1, batchId: "a/b", createdAt: 1, step: "poll", since: 0, clockOffsetMs: 0 }]);
  await w.drain();
  const dropped = w.lines().filter((l) => l.msg === "a step message this Worker cannot read was dropped");
  assert.equal(dropped.length, 3);
  await w.cron(b.t0 + 60 * S);
  assert.equal(b.polls(), 1, "the batch moves as usual");
});

test("an index entry of an older Worker (no wake) is read as due, and put right by its first step", async () => {
  const b = await batch();
  const entry = (await w.dumpKv()).find((k) => k.key.startsWith("open:"));
  await w.kv.put(entry.key, "", { expiration: entry.expiration, metadata: { provider: "openai" } });
  await w.cron(b.t0 + 5 * S); // not due by the grid, but the entry cannot say so
  const sent = (await w.queueOps({ reset: true })).filter((o) => o.op === "send").map((o) => o.body.step);
  assert.deepEqual(sent, ["check"]);
  assert.equal(b.polls(), 0, "nothing was due");
  const fixed = (await w.dumpKv()).find((k) => k.key === entry.key);
  assert.equal(fixed.metadata.wake.grid.polls, 0, JSON.stringify(fixed.metadata));
  await w.cron(b.t0 + 5 * S + 1);
  assert.deepEqual((await w.queueOps({ reset: true })).filter((o) => o.op === "send"), [], "now decided from the entry");
});

test("while a collection is under way the cron sends no other for that batch", async () => {
  const b = await batch();
  for (let i = 0; i < 6; i++) w.fake.advanceAll([b.upstream]);
  // The download takes 4 s: the next run comes while it is still under way.
  w.fake.configure({ faults: [{ method: "GET", path: "/files/.*/content", delayMs: 4000, times: 1 }] });
  await w.queueOps({ reset: true });
  await w.fire(b.t0 + 60 * S);
  const deadline = Date.now() + 10_000;
  while (!(await w.dumpKv()).some((k) => k.key.startsWith("open:") && k.metadata?.step === "collect")) {
    assert.ok(Date.now() < deadline, "the collection holds the entry");
    await new Promise((r) => setTimeout(r, 20));
  }
  await w.fire(b.t0 + 120 * S);
  await w.drain();
  const sent = (await w.queueOps({ reset: true })).filter((o) => o.op === "send").map((o) => o.body.step);
  assert.deepEqual(sent, ["poll"], "one step: the poll that started the collection");
  assert.equal(w.fake.requests.filter((r) => r.method === "GET" && /\/files\/.*\/content$/.test(r.path)).length, 1);
  assert.equal((await w.api("GET", `/v1/batches/${b.id}`)).json.status, "completed");
});
