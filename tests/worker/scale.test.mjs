// Batches at platform scale, through Cloudflare Queues (Miniflare runs them), real cron
// events and the Worker's default poll schedule (10 s × 1.5ⁿ up to 120 s):
//   - 10,000 open batches: every point of every batch's poll grid is served by a poll
//     within one poll period (120 s) — the worst lateness is reported;
//   - 100 batches that end upstream at once are all collected within two cron periods;
//   - with duplicate deliveries injected throughout: nothing lost, nothing collected twice,
//     and polls that change nothing write nothing.
// Always with the queue (that is what is measured here); tests/worker/cron-bounds.test.mjs
// has the cron doing the steps itself.
//
// The 10,000 are seeded: one batch is created through the Worker, and its KV keys are copied
// under new ids, moved in time (support/seed.mjs; checked against a second real create), with
// their upstream batches made on the fake provider by the same create call.
import { test } from "node:test";
import assert from "node:assert/strict";
import { startWorker, createBatch, requests, allResults } from "./support/worker.mjs";
import { template, seed, checkSeeds } from "./support/seed.mjs";

// SCALE_OPEN: fewer, while working on this file.
const OPEN = Number(process.env.SCALE_OPEN ?? 10_000);
const ROUNDS = 4;
const MINUTE = 60_000;
/** The Worker's default schedule: 10 s, × 1.5 each poll, at most 120 s. */
const FIRST_WAIT = 10_000;
const PERIOD = 120_000;

/** The poll grid's points in `(from, to]` of a batch last recorded at `anchor` with no polls (the test's own arithmetic). */
function gridPoints(anchor, from, to) {
  const out = [];
  let at = anchor;
  for (let n = 0; at <= to; n++) {
    const wait = Math.min(FIRST_WAIT * 1.5 ** n, PERIOD);
    if (wait === PERIOD && at + wait <= from) at += Math.floor((from - at) / PERIOD) * PERIOD;
    else at += wait;
    if (at > from && at <= to) out.push(at);
  }
  return out;
}

const quantile = (xs, q) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))];
const s = (ms) => `${(ms / 1000).toFixed(1)} s`;

test(`${OPEN.toLocaleString("en")} open batches polled on schedule; 100 that end at once collected within two cron periods`, { timeout: 1_200_000 }, async (t) => {
  const w = await startWorker({ queue: true, vars: { BATCH_POLL_INTERVAL_MS: undefined, BATCH_MAX_POLL_INTERVAL_MS: undefined } });
  try {
    // Upstream moves only when told to: polls see the same answer, as a long batch's do.
    w.fake.configure({ advanceOnGet: false });
    const seedStart = Date.now();
    const tpl = await template(w);
    checkSeeds(tpl, await template(w));
    assert.deepEqual(tpl.record.job.schedule, { pollIntervalMs: FIRST_WAIT, maxPollIntervalMs: PERIOD, timeoutMs: 86_400_000 });
    // Created over the two hours before the hour before the first run: past their first,
    // faster polls, so each falls due every 120 s, at its own moment.
    const t0 = Math.ceil(Date.now() / MINUTE) * MINUTE + MINUTE;
    const createdAt = (i) => tpl.createdAt - 3 * 3_600_000 + Math.floor((i * 7_200) / OPEN) * 1000;
    const seeded = await seed(w, tpl, OPEN, createdAt);
    const anchorAfterCreate = tpl.record.job.anchor_ms - tpl.createdAt;
    t.diagnostic(`seeded ${OPEN} batches (KV and upstream) in ${s(Date.now() - seedStart)}`);

    // ---- the cron, a minute apart, with some steps delivered twice ----
    await w.queueFaults({ duplicate: 0.05, redeliver: 0.05, seed: 12 });
    await w.kvOps({ reset: true });
    await w.queueOps({ reset: true });
    const rounds = [];
    for (let k = 0; k < ROUNDS; k++) {
      const at = t0 + k * MINUTE;
      const from = w.fake.requests.length;
      const real = Date.now();
      await w.cron(at);
      rounds.push({ at, offset: at - real, from, to: w.fake.requests.length, realMs: Date.now() - real });
    }
    const kvOps = await w.kvOps({ reset: true });
    const queueOps = await w.queueOps({ reset: true });
    const stats = await w.drain();

    // When each upstream batch was polled, on the runs' clock.
    const polled = new Map();
    for (const r of rounds) {
      for (const req of w.fake.requests.slice(r.from, r.to)) {
        const m = req.method === "GET" && /\/batches\/(batch_[^/]+)$/.exec(req.path);
        if (!m) continue;
        if (!polled.has(m[1])) polled.set(m[1], []);
        polled.get(m[1]).push(req.receivedAt + r.offset);
      }
    }
    const late = [];
    const missed = [];
    for (const b of seeded) {
      const polls = (polled.get(b.upstream) ?? []).sort((x, y) => x - y);
      for (const g of gridPoints(b.createdAt + anchorAfterCreate, t0 - MINUTE, t0 + (ROUNDS - 1) * MINUTE)) {
        const p = polls.find((x) => x >= g);
        if (p === undefined || p - g >= PERIOD) missed.push({ id: b.id, due: g, polled: p });
        else late.push(p - g);
      }
    }
    assert.deepEqual(missed.slice(0, 5), [], `${missed.length} grid points not served within ${PERIOD} ms`);
    assert.equal(late.length, OPEN * 2, "two grid points each in four minutes at 120 s");
    const worst = Math.max(...late);
    assert.ok(worst < PERIOD, `worst lateness ${worst} ms`);
    // A poll that changes nothing writes nothing, queued, duplicated or not.
    const writes = kvOps.filter((o) => o.op === "put" || o.op === "delete");
    assert.deepEqual(writes.slice(0, 3), [], `${writes.length} KV writes while nothing changed`);
    const runLines = w.lines().filter((l) => l.msg === "cron run").slice(-ROUNDS);
    for (const l of runLines) assert.ok(l.open >= OPEN && l.failed === 0, JSON.stringify(l));
    const count = (op) => queueOps.filter((o) => o.op === op).length;
    const gets = kvOps.filter((o) => o.op === "get").length;
    const bulk = kvOps.filter((o) => o.op === "getBulk");
    t.diagnostic(`${ROUNDS} cron runs over ${OPEN + 2} open batches: ${late.length} grid points, all served; lateness median ${s(quantile(late, 0.5))}, p99 ${s(quantile(late, 0.99))}, worst ${s(worst)} (period ${s(PERIOD)}); the consumer's own worst: ${s(Math.max(...w.lines().filter((l) => l.msg === "queue delivery").map((l) => l.steps.worstLateMs)))}`);
    t.diagnostic(`per run: ${runLines.map((l) => `${l.due} due, cron ${l.durationMs} ms`).join("; ")}; run + queue drained in ${rounds.map((r) => s(r.realMs)).join(", ")} (real time, 2 shared cores)`);
    t.diagnostic(`queue: ${count("send")} sent by the cron, ${stats.duplicated} duplicated and ${stats.redelivered} redelivered by the test, ${count("deliver")} delivered, ${count("ack")} acked, ${count("retry")} retried; KV: ${kvOps.filter((o) => o.op === "list").length} lists, ${bulk.length} bulk reads (${bulk.reduce((n, o) => n + o.key.length, 0)} records), ${gets} single reads, ${writes.length} writes`);

    // ---- 100 batches end upstream at once, while the 10,000 stay open ----
    await w.queueFaults({ duplicate: 0.3, redeliver: 0.3, seed: 99 });
    const fresh = [];
    for (let i = 0; i < 100; i++) {
      const reqs = requests(3, () => "", `c${i}_`);
      const body = i % 2 ? { requests: reqs } : { requests: reqs, provider: "anthropic", model: "claude-sonnet-4-5" };
      const { id } = await createBatch(w, body);
      fresh.push({ id, reqs, upstream: await w.upstreamId(id) });
    }
    const created = Math.max(...await Promise.all(fresh.map(async (b) => (await w.record(b.id)).createdAt)));
    // Runs a minute apart from a moment well past the fresh batches' first, faster polls:
    // each is polled every 120 s, so upstream's end is seen by the first or the second run.
    const at = Math.max(t0 + ROUNDS * MINUTE, Math.ceil((created + 7 * MINUTE) / MINUTE) * MINUTE);
    for (let k = 0; k < 6; k++) w.fake.advanceAll(fresh.map((b) => b.upstream));
    const state = await w.fake.state();
    const ended = [...state.batches, ...state.messageBatches].filter((b) => fresh.some((f) => f.upstream === b.id));
    assert.equal(ended.length, 100);
    assert.deepEqual(ended.filter((b) => !["completed", "ended"].includes(b.processing_status ?? b.status)).map((b) => [b.id, b.status, b.processing_status]), [], "upstream ended all hundred");
    const perRun = [];
    const drained = [];
    for (const run of [at, at + MINUTE]) {
      const real = Date.now();
      await w.cron(run);
      drained.push(Date.now() - real);
      const stages = await Promise.all(fresh.map(async (b) => (await w.record(b.id)).job.stage.stage));
      perRun.push(stages.filter((x) => x === "finished").length - (perRun.at(-1) ?? 0));
    }
    const records = await Promise.all(fresh.map((b) => w.record(b.id)));
    // On the runs' clock, from the run before which upstream ended them all.
    const collectedAt = records.map((r) => (r.job.stage.stage === "finished" ? r.updatedAt - at : Infinity));
    assert.ok(collectedAt.every((ms) => ms < 2 * MINUTE), `collected ${collectedAt.filter((ms) => ms < 2 * MINUTE).length} of 100 within two cron periods (${perRun})`);
    // Nothing lost, nothing collected twice.
    const stored = w.lines().filter((l) => l.msg === "results stored");
    const downloads = (b) => w.fake.requests.filter((r) => r.method === "GET" && (r.path.endsWith(`/messages/batches/${b.upstream}/results`) || ended.some((e) => e.id === b.upstream && e.output_file_id && r.path.endsWith(`/files/${e.output_file_id}/content`)))).length;
    for (const b of fresh) {
      assert.equal(stored.filter((l) => l.batchId === b.id).length, 1, `${b.id}: results stored once`);
      assert.equal(downloads(b), 1, `${b.id}: results downloaded once`);
      const { results } = await allResults(w, b.id);
      assert.deepEqual(results.map((r) => r.id), b.reqs.map((r) => r.id), `${b.id}: every result, in order`);
      assert.ok(results.every((r) => r.error === undefined && Object.keys(r.response).length > 0), `${b.id}: answered`);
    }
    const deliveries = w.lines().filter((l) => l.msg === "queue delivery" && l.queue === "edge-llm-batch-steps").slice(-1000);
    const final = await w.drain();
    t.diagnostic(`100 batches ended at once: ${perRun[0]} collected by the first run after, ${perRun[1]} by the second (the first poll that saw the end: every 120 s); the last ${s(Math.max(...collectedAt))} after the end on the runs' clock; runs + queue drained in ${drained.map(s).join(", ")} real time`);
    t.diagnostic(`each result set downloaded and stored once, with ${final.duplicated - stats.duplicated} messages duplicated and ${final.redelivered - stats.redelivered} redelivered; ${deliveries.reduce((n, l) => n + l.collectionsQueued, 0)} collections handed to a later delivery`);
  } finally {
    await w.close();
  }
});
