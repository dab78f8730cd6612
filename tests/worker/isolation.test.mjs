// One bad batch never stops the others (contract §4.1): a record that cannot be read, a
// record written by a newer deploy, an index entry whose record is gone or past retention,
// a provider whose key was removed, a bulk read that fails — each is logged, counted and set
// aside or dropped on its own, and every other batch moves in the same run.
import { test, before, after, beforeEach } from "node:test";
import assert from "node:assert/strict";
import { startWorker, createBatch, requests, cronUntilDone } from "./support/worker.mjs";

const DAY = 86_400_000;
let w;
before(async () => { w = await startWorker(); });
after(async () => { await w?.close(); });
beforeEach(async () => { w.fake.reset(); await w.kvFaults(); });

// The last run's counts, with those of the queued steps it sent (WORKER_QUEUE=1).
const lastRun = () => w.lastRun();
const openKey = (createdAt, id) => `open:${String(createdAt).padStart(15, "0")}:${id}`;
/** A healthy batch, and a helper saying whether the last run polled it. */
async function healthy() {
  const { id } = await createBatch(w, { requests: requests(2) });
  const upstream = await w.upstreamId(id);
  const polls = () => w.fake.requests.filter((r) => r.method === "GET" && r.path.endsWith(`/batches/${upstream}`)).length;
  return { id, polls };
}

test("an open-index entry whose record is gone and past retention is dropped, and the run goes on", async () => {
  const h = await healthy();
  // As the old layout left them: never expiring, the record long gone (40 days old).
  const stale = openKey(Date.now() - 40 * DAY, "eb_000000000000000000000001");
  await w.kv.put(stale, "", { metadata: { provider: "openai", model: "gpt-4o-mini", total: 2 } });
  await w.cron();
  const run = lastRun();
  assert.equal(run.dropped, 1, JSON.stringify(run));
  assert.equal(run.failed, 0);
  assert.equal(h.polls(), 1, "the healthy batch was polled in the same run");
  assert.equal(await w.kv.get(stale), null);
  assert.ok(!w.lines().some((l) => l.msg === "cron run failed"));
  assert.equal((await cronUntilDone(w, h.id)).status, "completed");
});

test("a young entry without a record is waited for (KV may lag); a malformed key is dropped", async () => {
  const young = openKey(Date.now(), "eb_000000000000000000000002");
  await w.kv.put(young, "");
  await w.kv.put("open:not-a-time:x y", "");
  const h = await healthy();
  await w.cron();
  assert.equal(h.polls(), 1);
  assert.notEqual(await w.kv.get(young), null, "kept: its record may still be on its way");
  assert.equal(await w.kv.get("open:not-a-time:x y"), null);
  assert.ok(w.lines().some((l) => l.msg === "open batch has no record yet" && l.batchId === "eb_000000000000000000000002"));
  await w.cron(Date.now() + 61 * 60_000);
  assert.equal(await w.kv.get(young), null, "an hour on, it is dropped");
});

test("a record that cannot be read is set aside (kept, counted, logged); the others move", async () => {
  const id = "eb_000000000000000000000003";
  const created = Date.now();
  await w.kv.put(`batch:${id}`, '{"v":2,"id":"eb_0000', { expiration: Math.floor(created / 1000) + 3600 });
  await w.kv.put(openKey(created, id), "");
  const h = await healthy();
  await w.cron();
  assert.equal(lastRun().unreadable, 1);
  assert.equal(h.polls(), 1);
  assert.ok(w.lines().some((l) => l.msg === "record set aside" && l.batchId === id && /cannot be read/.test(l.error)));
  assert.equal(await w.kv.get(`batch:${id}`), '{"v":2,"id":"eb_0000', "left as it was");
  const r = await w.api("GET", `/v1/batches/${id}`);
  assert.equal(r.status, 500);
  assert.match(r.json.error.message, /stored record cannot be read/);
  await w.kv.delete(openKey(created, id));
});

test("a record written by a newer deploy is left alone, never overwritten", async () => {
  const h = await healthy();
  const rec = await w.record(h.id);
  const newer = JSON.stringify({ ...rec, v: 99, somethingNew: true });
  await w.kv.put(`batch:${h.id}`, newer);
  const other = await healthy();
  await w.cron();
  assert.equal(await w.kv.get(`batch:${h.id}`), newer);
  assert.equal(other.polls(), 1);
  assert.ok(w.lines().some((l) => l.msg === "record set aside" && /format 99, newer than this Worker's 2/.test(l.error)));
  await w.kv.put(`batch:${h.id}`, JSON.stringify(rec));
});

test("a failing bulk read is retried key by key; a key that still fails costs only its batch", async () => {
  const a = await healthy();
  const b = await healthy();
  await w.kvFaults({ faults: [{ op: "getBulk" }, { op: "get", key: `^batch:${a.id}$`, times: 1 }] });
  await w.cron();
  await w.kvFaults();
  const run = lastRun();
  if (w.queue) {
    // Its step failed on its own and the queue tried it again (the fault was spent).
    assert.equal(run.failed, 1, JSON.stringify(run));
    assert.equal(a.polls(), 1);
  } else {
    assert.equal(run.unreadable, 1, JSON.stringify(run));
    assert.equal(a.polls(), 0);
  }
  assert.equal(b.polls(), 1, "the other batch moved");
  assert.equal((await cronUntilDone(w, a.id)).status, "completed");
});

test("a listing that fails ends only that run, loudly; the next run carries on", async () => {
  const h = await healthy();
  await w.kvFaults({ faults: [{ op: "list", times: 1 }] });
  await w.cron();
  assert.ok(w.lines().some((l) => l.msg === "cron run failed" && /list failed/.test(l.error)));
  await w.cron();
  assert.equal(h.polls(), 1);
});

test("a provider whose key was removed: its batches wait and say why; the others move", async () => {
  const anth = await createBatch(w, { requests: requests(2), provider: "anthropic", model: "claude-sonnet-4-5" });
  const record = await w.kv.get(`batch:${anth.id}`);
  const openEntry = (await w.dumpKv()).find((k) => k.key.startsWith("open:") && k.key.endsWith(anth.id));
  // The same KV under a Worker deployed without ANTHROPIC_API_KEY.
  const keyless = await startWorker({ vars: { ANTHROPIC_API_KEY: undefined } });
  try {
    await keyless.kv.put(`batch:${anth.id}`, record);
    await keyless.kv.put(openEntry.key, "", { metadata: { provider: "anthropic" } });
    const other = await createBatch(keyless, { requests: requests(2) });
    await keyless.cron();
    const run = keyless.lastRun();
    // Once by the run itself; with the queue, once per delivery until it is set aside.
    assert.equal(run.failed, keyless.queue ? 6 : 1, JSON.stringify(run));
    assert.ok(keyless.lines().some((l) => /^batch step failed/.test(l.msg) && l.batchId === anth.id && /ANTHROPIC_API_KEY/.test(l.error)));
    const status = (await keyless.api("GET", `/v1/batches/${anth.id}`)).json;
    assert.equal(status.status, "in_progress", "still open: a key put back resumes it");
    // The status says why it waits.
    assert.match(status.lastError.message, /the gateway's \w+ step failed: .*ANTHROPIC_API_KEY/);
    if (keyless.queue) {
      assert.match(status.lastError.message, /set aside after the queue's retries/);
      assert.equal(status.lastError.attempts, 6);
      assert.ok(keyless.lines().some((l) => /dead-letter queue/.test(l.msg) && l.level === "error" && l.batchId === anth.id));
    }
    assert.equal((await cronUntilDone(keyless, other.id)).status, "completed");
    // Back under a Worker with the key: the next step works and the note goes.
    await w.kv.put(`batch:${anth.id}`, await keyless.kv.get(`batch:${anth.id}`));
    await cronUntilDone(w, anth.id);
    assert.equal((await w.api("GET", `/v1/batches/${anth.id}`)).json.lastError, undefined);
  } finally {
    await keyless.close();
  }
});
