// KV writes per batch lifecycle phase, counted on the KV binding: what a batch costs in the
// Workers KV write budget (1000 writes a day on the free plan), and that each phase writes
// only what it must — and, with the queue (WORKER_QUEUE=1), the queue operations per phase
// (Cloudflare bills a write, a read and a delete per message). The table goes to the test
// output as diagnostics.
import { test, before, after, beforeEach } from "node:test";
import assert from "node:assert/strict";
import { startWorker, createBatch, requests, allResults, closeOut, ENDED } from "./support/worker.mjs";

let w;
before(async () => { w = await startWorker(); });
after(async () => { await w?.close(); });
beforeEach(async () => { w.fake.reset(); await w.kvOps({ reset: true }); await w.queueOps({ reset: true }); });

const kind = (key) =>
  key.startsWith("open:") ? "open" : key.startsWith("claim:") ? "claim" : key.includes(":results:") ? "results" : key.includes(":ids:") ? "ids" : "record";

function tally(ops, queueOps = []) {
  const t = { reads: 0, puts: 0, deletes: 0, byKind: {}, queue: {} };
  for (const o of queueOps) t.queue[o.op] = (t.queue[o.op] ?? 0) + 1;
  for (const o of ops) {
    if (o.op === "put" || o.op === "delete") {
      t[o.op === "put" ? "puts" : "deletes"] += 1;
      const k = `${o.op} ${kind(o.key)}`;
      t.byKind[k] = (t.byKind[k] ?? 0) + 1;
    } else t.reads += 1;
  }
  return t;
}

/** Runs a batch through its phases, returning the KV operations of each. */
async function phases(body) {
  const out = [];
  const raw = {};
  const created = await createBatch(w, body);
  out.push(["create", tally(await w.kvOps({ reset: true }), await w.queueOps({ reset: true }))]);
  for (let run = 1; run <= 20; run++) {
    await w.cron();
    const ops = await w.kvOps({ reset: true });
    const queued = await w.queueOps({ reset: true });
    const status = (await w.api("GET", `/v1/batches/${created.id}`)).json.status;
    await w.kvOps({ reset: true });
    const phase = ENDED.includes(status) ? "poll + collect" : `poll ${run} (${status})`;
    out.push([phase, tally(ops, queued)]);
    raw[phase] = ops;
    if (ENDED.includes(status)) break;
  }
  await allResults(w, created.id);
  out.push(["read results", tally(await w.kvOps({ reset: true }))]);
  await closeOut(w);
  out.push(["close (30 min on)", tally(await w.kvOps({ reset: true }), await w.queueOps({ reset: true }))]);
  return { id: created.id, out, raw };
}

function report(t, title, out) {
  t.diagnostic(`${title}: KV operations per phase`);
  for (const [phase, c] of out) {
    const queue = w.queue ? `  queue ${JSON.stringify(c.queue)}` : "";
    t.diagnostic(`  ${phase.padEnd(24)} puts ${String(c.puts).padStart(3)}  deletes ${c.deletes}  reads ${String(c.reads).padStart(3)}  ${JSON.stringify(c.byKind)}${queue}`);
  }
  const total = out.reduce((s, [, c]) => s + c.puts + c.deletes, 0);
  const reads = out.reduce((s, [, c]) => s + c.reads, 0);
  const messages = out.reduce((s, [, c]) => s + (c.queue.send ?? 0), 0);
  t.diagnostic(`  total writes (puts + deletes): ${total}; reads (lists and bulk reads counted once): ${reads}`);
  if (w.queue) t.diagnostic(`  queue: ${messages} messages, ${3 * messages} billed operations (write, read, delete each)`);
  return total;
}

test("OpenAI, 2,500 requests: writes per phase", async (t) => {
  const { out, raw } = await phases({ requests: requests(2500) });
  const total = report(t, "OpenAI batch, 2,500 requests (3 pages)", out);
  // The record that says "collect" (and its entry, leased to this collection), results, then
  // the record that names them (and its entry, saying when it leaves the index).
  const writes = raw["poll + collect"].filter((o) => o.op === "put" || o.op === "delete").map((o) => `${o.op} ${kind(o.key)}`);
  assert.deepEqual(writes, ["put record", "put open", "put results", "put results", "put results", "put record", "put open"]);
  const [create, ...rest] = out;
  // The intent and its index entry before anything goes upstream, the ids as they are read,
  // then the claim, and the record of the created batch with its entry (now on the poll grid).
  assert.deepEqual(create[1].byKind, { "put record": 2, "put open": 2, "put ids": 3, "put claim": 1 });
  const polls = rest.filter(([p]) => /^poll \d/.test(p));
  // A poll that changes something writes the record and its index entry (the grid restarts).
  for (const [phase, c] of polls) assert.deepEqual(c.byKind, { "put record": 1, "put open": 1 }, phase);
  const [, last] = rest.find(([p]) => p === "poll + collect");
  assert.deepEqual(last.byKind, { "put record": 2, "put open": 2, "put results": 3 });
  const [, read] = out.at(-2);
  assert.equal(read.puts + read.deletes, 0);
  assert.deepEqual(out.at(-1)[1].byKind, { "delete open": 1 });
  assert.equal(total, 8 + 2 * polls.length + 7 + 1);
  if (w.queue) {
    // One message per step, each sent, delivered and acknowledged once; none at create.
    assert.deepEqual(create[1].queue, {});
    for (const [phase, c] of rest.filter(([p]) => p !== "read results")) assert.deepEqual(c.queue, { send: 1, deliver: 1, ack: 1 }, phase);
  }
});

test("Anthropic, 10 requests: writes per phase", async (t) => {
  const { out } = await phases({ requests: requests(10), provider: "anthropic", model: "claude-sonnet-4-5" });
  report(t, "Anthropic batch, 10 requests", out);
  assert.deepEqual(out[0][1].byKind, { "put record": 2, "put open": 2, "put ids": 1, "put claim": 1 });
  const [, last] = out.find(([p]) => p === "poll + collect");
  assert.deepEqual(last.byKind, { "put record": 2, "put open": 2, "put results": 1 });
});

test("a one-request batch: three writes, no cron work", async (t) => {
  const created = await createBatch(w, { requests: requests(1) });
  const create = tally(await w.kvOps({ reset: true }));
  await w.cron();
  const cron = tally(await w.kvOps({ reset: true }));
  report(t, "one-request (sync) batch", [["create", create], ["cron run", cron]]);
  assert.deepEqual(create.byKind, { "put ids": 1, "put results": 1, "put record": 1 });
  assert.equal(cron.puts + cron.deletes, 0);
  assert.equal((await w.api("GET", `/v1/batches/${created.id}/results`)).status, 200);
});

test("every key of a batch expires at the same moment, retention after its longest life", async () => {
  // A TTL from each write let the ids (written at creation) expire up to a day before the
  // record and results (written at completion) that need them.
  for (const body of [{ requests: requests(1200) }, { requests: requests(1) }]) {
    const created = await createBatch(w, body);
    for (let i = 0; i < 20 && !ENDED.includes((await w.api("GET", `/v1/batches/${created.id}`)).json.status); i++) await w.cron();
  }
  // Writes name the moment (`expiration`), not a time from now (`expirationTtl`).
  for (const o of (await w.kvOps({ reset: true })).filter((x) => x.op === "put")) {
    assert.equal(o.ttl, undefined, o.key);
    assert.ok(Number.isInteger(o.expiration), o.key);
  }
  // Open-index entries and claims too: nothing of a batch outlives it.
  const dump = await w.dumpKv();
  const byBatch = new Map();
  for (const { key, expiration, value } of dump) {
    const id = key.startsWith("open:") ? key.split(":")[2] : key.startsWith("claim:") ? value : key.split(":")[1];
    if (!byBatch.has(id)) byBatch.set(id, new Set());
    byBatch.get(id).add(expiration);
  }
  assert.ok(byBatch.size >= 2);
  for (const [id, expirations] of byBatch) {
    assert.equal(expirations.size, 1, `${id}: ${[...expirations]}`);
    const [at] = expirations;
    const created = Date.parse((await w.api("GET", `/v1/batches/${id}`)).json.createdAt) / 1000;
    const days = (at - created) / 86400;
    // Three days of life at most (24 h window, 6 h past it, 6 h after a cancel, slack) and 30 of retention.
    assert.ok(days >= 32.99 && days <= 33.01, `${id} expires ${days.toFixed(2)} days after creation`);
  }
});
