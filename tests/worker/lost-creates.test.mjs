// No billed batch without a record (contract §4.1): a create interrupted at any step ends as
// a normal batch or as nothing. The record is written as an intent before anything goes
// upstream; whatever stops the create after that (a KV write that fails, an answer that
// never arrives, the client or the isolate gone), a later cron run finds the upstream batch —
// by the gateway id in OpenAI's metadata, by its claim, or by time and size on Anthropic —
// and carries on, or records that nothing was created.
import { test, before, after, beforeEach } from "node:test";
import assert from "node:assert/strict";
import { startWorker, createBatch, requests, allResults, errorMessage } from "./support/worker.mjs";

const MINUTE = 60_000;
let w;
before(async () => { w = await startWorker(); });
after(async () => { await w?.close(); });
beforeEach(async () => {
  w.fake.reset();
  await w.kvFaults();
});

/** Every gateway record whose key is new since `before` (a dumpKv() key list). */
async function newRecords(before) {
  return (await w.dumpKv()).filter((k) => /^batch:eb_[0-9a-f]{24}$/.test(k.key) && !before.includes(k.key)).map((k) => JSON.parse(k.value));
}

/** Cron runs from `from`, a minute apart, until `id` has ended (bounded). */
async function runUntilEnded(id, from, max = 40) {
  let status;
  for (let i = 0; i < max; i++) {
    await w.cron(from + i * MINUTE);
    status = (await w.api("GET", `/v1/batches/${id}`)).json;
    if (["completed", "failed", "expired", "cancelled"].includes(status.status)) return status;
  }
  throw new Error(`${id} still ${JSON.stringify(status)}`);
}

const upstreamBatches = async (kind = "batches") => (await w.fake.state())[kind];

test("the record written after the create fails: the answer is still 202, and the cron finds the batch by its tag", async () => {
  // The intent is the first write of the record, the record after the create the second.
  await w.kvFaults({ faults: [{ op: "put", key: "^batch:eb_[0-9a-f]+$", skip: 1, times: 1 }] });
  const created = await createBatch(w, { requests: requests(3) });
  assert.equal(created.status, "validating");
  const intent = await w.record(created.id);
  assert.equal(intent.job.stage.stage, "upload", "the record is still the intent, written before the upload");
  assert.equal((await upstreamBatches()).length, 1, "upstream has the batch (billed)");
  assert.ok(w.lines().some((l) => /record could not be written/.test(l.msg) && l.batchId === created.id));
  // Within ten minutes a create may still be running: left alone.
  const t0 = Date.now();
  await w.cron(t0 + 5 * MINUTE);
  assert.equal((await w.record(created.id)).job.stage.stage, "upload");
  const done = await runUntilEnded(created.id, t0 + 11 * MINUTE);
  assert.equal(done.status, "completed");
  assert.equal((await w.record(created.id)).job.stage.batch_id, (await upstreamBatches())[0].id);
  assert.deepEqual((await allResults(w, created.id)).results.map((r) => r.id), ["r0", "r1", "r2"]);
  assert.ok(w.lines().some((l) => l.msg === "looked upstream for a create whose answer was lost" && /Found/.test(l.found)));
});

test("the create's answer is lost (the connection dropped after upstream made it): 502 with the id to follow, then a normal batch", async () => {
  w.fake.configure({ faults: [{ method: "POST", path: "/batches$", dropAfterHandling: true, times: 1 }] });
  const r = await w.api("POST", "/v1/batches", { body: { requests: requests(4) } });
  assert.equal(r.status, 502, r.text);
  const id = r.json.error.batchId;
  assert.match(id, /^eb_[0-9a-f]{24}$/);
  assert.match(errorMessage(r), /may still have been created upstream/);
  const upstream = await upstreamBatches();
  assert.equal(upstream.length, 1);
  assert.equal(upstream[0].metadata.edge_llm_id, id, "the gateway id travelled as metadata");
  assert.equal((await w.api("GET", `/v1/batches/${id}`)).json.status, "validating");
  const done = await runUntilEnded(id, Date.now() + 11 * MINUTE);
  assert.equal(done.status, "completed");
  assert.equal(done.requestCounts.total, 4);
  assert.deepEqual((await allResults(w, id)).results.map((r) => r.id), ["r0", "r1", "r2", "r3"]);
});

test("a create that failed upstream (a 500 that made nothing) ends as nothing: failed, saying it was never created", async () => {
  w.fake.configure({ faults: [{ method: "POST", path: "/batches$", status: 500, times: 1 }] });
  const r = await w.api("POST", "/v1/batches", { body: { requests: requests(2) } });
  assert.equal(r.status, 502, r.text);
  const id = r.json.error.batchId;
  assert.equal((await upstreamBatches()).length, 0);
  const t0 = Date.now();
  await w.cron(t0 + 11 * MINUTE);
  const waiting = (await w.api("GET", `/v1/batches/${id}`)).json;
  assert.equal(waiting.status, "validating");
  assert.match(waiting.lastError.message, /no batch made by it was found upstream/);
  const done = await runUntilEnded(id, t0 + 61 * MINUTE, 3);
  assert.equal(done.status, "failed");
  assert.match(done.error, /^OpenAI batch was not created upstream: /);
  const { results } = await allResults(w, id);
  assert.deepEqual(results.map((x) => x.error), ["Batch failed before this request completed", "Batch failed before this request completed"]);
});

test("KV failing before anything is sent: a 503, and nothing upstream", async () => {
  for (const fault of [
    { op: "put", key: "^batch:eb_[0-9a-f]+$", times: 1 }, // the intent
    { op: "put", key: "^open:", times: 1 }, // its open-index entry
    { op: "put", key: ":ids:", times: 1 }, // a page of ids, while the body streams
  ]) {
    w.fake.reset();
    const before = (await w.dumpKv()).map((k) => k.key);
    await w.kvFaults({ faults: [fault] });
    const r = await w.api("POST", "/v1/batches", { body: { requests: requests(3) } });
    assert.equal(r.status, 503, `${JSON.stringify(fault)}: ${r.text}`);
    assert.match(errorMessage(r), /Workers KV write failed/);
    assert.equal(r.json.error.batchId, undefined);
    assert.equal(w.fake.requests.filter((q) => q.path.endsWith("/batches")).length, 0, "no create was sent");
    await w.kvFaults();
    const left = (await newRecords(before));
    assert.deepEqual(left, [], `${JSON.stringify(fault)}: no record stays behind`);
  }
});

test("Anthropic keeps no metadata: a lost create's candidates are its time and size, and its first result says which is it", async () => {
  await w.kvFaults({ faults: [{ op: "put", key: "^batch:eb_[0-9a-f]+$", skip: 1, times: 1 }, { op: "put", key: "^claim:", times: 1 }] });
  const body = { requests: requests(5), provider: "anthropic", model: "claude-sonnet-4-5" };
  const lost = await createBatch(w, body);
  await w.kvFaults();
  // Another batch of another size, created meanwhile and recorded normally.
  const other = await createBatch(w, { ...body, requests: requests(7) });
  const mine = (await upstreamBatches("messageBatches")).find((b) => b.request_counts.processing === 5);
  assert.ok(mine);
  // A single unclaimed candidate is still only a candidate (its claim may have failed to be
  // written): it waits until the batch ends upstream and its results can be read.
  const t0 = Date.now();
  await w.cron(t0 + 11 * MINUTE);
  const waiting = (await w.api("GET", `/v1/batches/${lost.id}`)).json;
  assert.equal(waiting.status, "validating");
  assert.match(waiting.lastError.message, new RegExp(`upstream batches ${mine.id} could be this one`));
  for (let i = 0; i < 4; i++) w.fake.advanceAll();
  const done = await runUntilEnded(lost.id, t0 + 17 * MINUTE);
  assert.equal(done.status, "completed");
  assert.equal((await w.record(lost.id)).job.stage.batch_id, mine.id);
  assert.equal(await w.kv.get(`claim:anthropic:${mine.id}`), lost.id, "claimed, so no other lost create takes it");
  assert.notEqual((await w.record(other.id)).job.stage.batch_id, mine.id);
  assert.deepEqual((await allResults(w, lost.id)).results.map((r) => [r.id, r.error]), requests(5).map((r) => [r.id, undefined]));
});

test("two lost Anthropic creates of one size at one time are never guessed: their results tell them apart", async () => {
  const bodyOf = (prefix) => ({ requests: requests(3, () => "", prefix), provider: "anthropic", model: "claude-sonnet-4-5" });
  w.fake.configure({ faults: [{ method: "POST", path: "/messages/batches$", dropAfterHandling: true, times: 2 }] });
  const a = await w.api("POST", "/v1/batches", { body: bodyOf("a") });
  const b = await w.api("POST", "/v1/batches", { body: bodyOf("b") });
  assert.deepEqual([a.status, b.status], [502, 502]);
  const ids = [a.json.error.batchId, b.json.error.batchId];
  const t0 = Date.now();
  await w.cron(t0 + 11 * MINUTE);
  for (const id of ids) {
    const s = (await w.api("GET", `/v1/batches/${id}`)).json;
    assert.equal(s.status, "validating");
    assert.match(s.lastError.message, /upstream batches msgbatch_\w+, msgbatch_\w+ could be this one, told apart once they end/);
  }
  // Past the hour a lone "not found" would give up; candidates are waited for instead.
  await w.cron(t0 + 70 * MINUTE);
  assert.equal((await w.api("GET", `/v1/batches/${ids[0]}`)).json.status, "validating");
  // Upstream ends them; the name of each one's first result says whose it is.
  for (let i = 0; i < 4; i++) w.fake.advanceAll();
  for (const [id, prefix] of [[ids[0], "a"], [ids[1], "b"]]) {
    const done = await runUntilEnded(id, t0 + 80 * MINUTE);
    assert.equal(done.status, "completed");
    const { results } = await allResults(w, id);
    assert.deepEqual(results.map((r) => r.id), [`${prefix}0`, `${prefix}1`, `${prefix}2`]);
    assert.ok(results.every((r) => r.error === undefined), JSON.stringify(results));
  }
  assert.notEqual(await w.upstreamId(ids[0]), await w.upstreamId(ids[1]));
});

test("a create slower than the cron's patience still ends as a normal batch", async () => {
  // The upload takes a while; the cron looks meanwhile, finds nothing yet, and waits.
  w.fake.configure({ faults: [{ method: "POST", path: "/batches$", delayMs: 1500, times: 1 }] });
  const before = (await w.dumpKv()).map((k) => k.key);
  const pending = w.api("POST", "/v1/batches", { body: { requests: requests(2) } });
  let intent;
  for (let i = 0; i < 50 && !intent; i++) {
    await new Promise((r) => setTimeout(r, 20));
    intent = (await newRecords(before))[0];
  }
  assert.ok(intent, "the intent is written before the upstream call");
  await w.cron(Date.now() + 11 * MINUTE);
  assert.ok(w.lines().some((l) => l.msg === "looked upstream for a create whose answer was lost"));
  const created = await pending;
  assert.equal(created.status, 202, created.text);
  assert.equal(created.json.id, intent.id);
  const done = await runUntilEnded(intent.id, Date.now() + 20 * MINUTE);
  assert.equal(done.status, "completed");
});
