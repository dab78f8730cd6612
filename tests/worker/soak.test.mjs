// The soak (contract §4.1): 200+ batches through random upstream faults (429s with
// retry-after, 5xx, dropped connections, timeouts, downloads cut half way, garbage answers),
// creates interrupted at every step (KV writes failing, answers lost after upstream made the
// batch, clients hanging up), overlapping cron runs and runs killed part way — then, with the
// faults gone and the clock moved on, every promise is checked:
//   - every batch reached a terminal status (those the client knows, and every record);
//   - every item is accounted for: an answer or an error that says why, none lost;
//   - no upstream batch lacks a record;
//   - the open index is empty, and every key expires with its batch.
// Seeded: a failure replays with the same faults (SOAK_SEED to vary it).
import { test } from "node:test";
import assert from "node:assert/strict";
import { startWorker, requests, allResults, CLOSE_AFTER_MS } from "./support/worker.mjs";

const SEED = Number(process.env.SOAK_SEED ?? 7);
const BATCHES = 210;
const MINUTE = 60_000;
const ENDED = ["completed", "failed", "expired", "cancelled"];

/** mulberry32, as the fake's: the soak's own choices, replayable. */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Upstream trouble while batches run: every kind the issue names, each now and then. */
const UPSTREAM_FAULTS = [
  { method: "GET", path: "/batches/batch_[^/]+$", status: 429, headers: { "retry-after": "90" }, rate: 0.08 },
  { method: "GET", path: "/messages/batches/msgbatch_[^/]+$", status: 529, rate: 0.08 },
  { method: "GET", path: "/batches/batch_[^/]+$", status: 503, rate: 0.06 },
  { method: "GET", path: "/batches", drop: true, rate: 0.05 },
  { method: "GET", path: "/batches/", delayMs: 600, rate: 0.03 }, // past UPSTREAM_TIMEOUT_MS
  { method: "GET", path: "/batches/", status: 200, body: "<html>gateway says hi</html>", rate: 0.04 },
  { method: "GET", path: "/files/.*/content", dropAfterBytes: 700, rate: 0.15 },
  { method: "GET", path: "/results$", dropAfterBytes: 500, rate: 0.15 },
  { method: "GET", path: "/files/.*/content", status: 500, rate: 0.05 },
  { method: "POST", path: "/cancel$", status: 500, rate: 0.2 },
];

/** What can stop a create: upstream, then KV (one write, by position), then the client. */
function createFault(r) {
  const x = r();
  if (x < 0.06) return { upstream: { method: "POST", path: "/batches$", dropAfterHandling: true, times: 1 } };
  if (x < 0.1) return { upstream: { method: "POST", path: "/messages/batches$", dropAfterHandling: true, times: 1 } };
  if (x < 0.13) return { upstream: { method: "POST", path: "/batches$", status: 500, times: 1 } };
  if (x < 0.16) return { upstream: { method: "POST", path: "/files$", drop: true, times: 1 } };
  if (x < 0.19) return { upstream: { method: "POST", path: "/files$", status: 429, headers: { "retry-after-ms": "5" }, times: 1 } };
  if (x < 0.3) return { kv: { op: "put", skip: Math.floor(r() * 6), times: 1 } }; // intent, open, ids, claim, record, …
  if (x < 0.34) return { hangUpAfterMs: Math.floor(r() * 40) };
  return {};
}

test(`soak: ${BATCHES} batches through random faults, overlapping and killed runs, interrupted creates`, { timeout: 900_000 }, async (t) => {
  const r = prng(SEED);
  const w = await startWorker({ vars: { UPSTREAM_TIMEOUT_MS: "300" }, fakeOptions: { faultSeed: SEED } });
  try {
    const known = new Map(); // gateway id → {reqs, how}
    const tally = { created: 0, inDoubt: 0, refused: 0, hungUp: 0, killedRuns: 0, overlappingRounds: 0 };
    // ---- creates, each with its own fault ----
    for (let i = 0; i < BATCHES; i++) {
      const anthropic = r() < 0.35;
      const n = i % 70 === 3 ? 1200 : 2 + Math.floor(r() * 6);
      const reqs = requests(n, (k) => (r() < 0.05 ? " [[status:400]]" : r() < 0.03 ? " [[invalid-json]]" : ""), `b${i}_`);
      const body = anthropic ? { requests: reqs, provider: "anthropic", model: "claude-sonnet-4-5" } : { requests: reqs };
      const outcome = r();
      w.fake.configure({
        batchOutcome: outcome < 0.85 ? "completed" : outcome < 0.92 ? "expired" : outcome < 0.96 ? "cancelled" : "failed",
        shuffleOutput: r() < 0.3,
        batchStepsToComplete: 1 + Math.floor(r() * 4),
        faults: [],
      });
      const fault = createFault(r);
      if (fault.upstream) w.fake.configure({ faults: [fault.upstream] });
      if (fault.kv) await w.kvFaults({ faults: [fault.kv] });
      let res;
      if (fault.hangUpAfterMs !== undefined) {
        const abort = new AbortController();
        setTimeout(() => abort.abort(), fault.hangUpAfterMs);
        try {
          const answer = await w.mf.dispatchFetch("http://localhost/v1/batches", {
            method: "POST", body: JSON.stringify(body), signal: abort.signal,
            headers: { authorization: `Bearer ${w.bindings.GATEWAY_TOKEN}`, "content-type": "application/json" },
          });
          res = { status: answer.status, json: await answer.json() };
        } catch {
          tally.hungUp += 1;
        }
      } else {
        res = await w.api("POST", "/v1/batches", { body });
      }
      await w.kvFaults();
      if (res?.status === 202) {
        tally.created += 1;
        known.set(res.json.id, { reqs });
      } else if (res?.json?.error?.batchId) {
        tally.inDoubt += 1;
        known.set(res.json.error.batchId, { reqs });
      } else if (res) {
        tally.refused += 1;
        assert.ok([502, 503].includes(res.status), JSON.stringify(res));
      }
    }
    w.fake.configure({ faults: UPSTREAM_FAULTS });

    // ---- cron rounds, a minute apart: some overlapping, some killed part way ----
    const t0 = Date.now();
    let round = 0;
    const statusOf = async (id) => (await w.api("GET", `/v1/batches/${id}`)).json.status;
    for (; round < 500; round++) {
      const at = t0 + round * MINUTE;
      const kill = r() < 0.1;
      if (kill) {
        tally.killedRuns += 1;
        await w.kvFaults({ killAfter: Math.floor(r() * 40) });
      }
      if (r() < 0.3) {
        tally.overlappingRounds += 1;
        await Promise.all([w.cron(at), w.cron(at + Math.floor(r() * 1000))]);
      } else {
        await w.cron(at);
      }
      if (kill) await w.kvFaults();
      // Upstream's own clock: batches move on whether polled or not (one nobody polls — a
      // lost create's — ends all the same).
      if (r() < 0.1) w.fake.advanceAll();
      if (round % 20 === 19) {
        const open = (await w.dumpKv()).filter((k) => k.key.startsWith("open:")).length;
        if (open === 0) break;
        let ended = 0;
        for (const id of known.keys()) if (ENDED.includes(await statusOf(id))) ended += 1;
        if (ended === known.size && round > 60) break;
      }
    }

    // ---- the faults stop; the clock moves on: lost creates settle, ended batches close ----
    w.fake.configure({ faults: [] });
    const drainFrom = t0 + (round + 1) * MINUTE;
    for (let m = 0; m <= 2 * 60 + CLOSE_AFTER_MS / MINUTE; m += 1) {
      if (m % 5 === 0) w.fake.advanceAll();
      await w.cron(drainFrom + m * MINUTE);
    }

    // ---- every promise ----
    const dump = await w.dumpKv();
    const records = dump.filter((k) => /^batch:eb_[0-9a-f]{24}$/.test(k.key)).map((k) => JSON.parse(k.value));
    const notEnded = records.filter((rec) => !["finished", "failed"].includes(rec.job.stage.stage));
    const why = (rec) => ({
      id: rec.id, provider: rec.provider, stage: rec.job.stage.stage, total: rec.total, trouble: rec.job.trouble,
      open: dump.some((k) => k.key.startsWith("open:") && k.key.endsWith(rec.id)),
      lines: w.lines().filter((l) => l.batchId === rec.id).map((l) => l.msg).slice(-6),
    });
    assert.deepEqual(notEnded.map(why), [], "every record reached a terminal status");
    for (const id of known.keys()) assert.ok(records.some((rec) => rec.id === id), `${id}: the client's id has a record`);

    const state = await w.fake.state();
    const upstreamIds = [...state.batches.map((b) => b.id), ...state.messageBatches.map((b) => b.id)];
    const recorded = new Set(records.map((rec) => rec.job.stage.batch_id).filter(Boolean));
    const orphans = upstreamIds.filter((id) => !recorded.has(id));
    assert.deepEqual(orphans, [], "no upstream batch lacks a record");

    let items = 0;
    let answered = 0;
    let explained = 0;
    const lost = [];
    for (const rec of records) {
      const { results } = await allResults(w, rec.id);
      assert.equal(results.length, rec.total, `${rec.id}: one result per request`);
      const reqs = known.get(rec.id)?.reqs;
      if (reqs) assert.deepEqual(results.map((x) => x.id), reqs.map((x) => x.id), `${rec.id}: in input order`);
      for (const item of results) {
        items += 1;
        if (item.error === undefined) {
          assert.ok(item.response && Object.keys(item.response).length > 0, `${rec.id}/${item.id}: an answer`);
          answered += 1;
        } else {
          assert.equal(typeof item.error, "string");
          explained += 1;
          if (item.error === "No result returned from batch") lost.push(`${rec.id}/${item.id}`);
        }
      }
    }
    const lostBatches = [...new Set(lost.map((x) => x.split("/")[0]))].map((id) => {
      const rec = records.find((x) => x.id === id);
      return { ...why(rec), upstream: rec.job.stage.batch_id, counts: rec.job.progress.counts, results: rec.results?.manifest, log: w.lines().filter((l) => l.batchId === id).map((l) => [l.msg, l.items, l.unknownIds, l.unreadableLines, l.error?.slice?.(0, 120), l.found?.slice?.(0, 80)]) };
    });
    assert.deepEqual(lostBatches, [], "no item of a completed batch went missing");

    const keys = dump.map((k) => k.key);
    assert.deepEqual(keys.filter((k) => k.startsWith("open:")), [], "the open index is empty");
    const now = Date.now() / 1000;
    for (const k of dump) {
      assert.ok(Number.isInteger(k.expiration), `${k.key} expires`);
      assert.ok(k.expiration <= now + 34 * 86_400, `${k.key} expires within the retention`);
    }

    const byStatus = {};
    for (const rec of records) byStatus[rec.job.stage.outcome ?? rec.job.stage.stage] = (byStatus[rec.job.stage.outcome ?? rec.job.stage.stage] ?? 0) + 1;
    t.diagnostic(`seed ${SEED}: ${BATCHES} creates → ${tally.created} accepted, ${tally.inDoubt} answered 502 with an id to follow, ${tally.refused} refused before anything was made, ${tally.hungUp} clients hung up`);
    t.diagnostic(`${records.length} records (${JSON.stringify(byStatus)}); ${upstreamIds.length} upstream batches, ${orphans.length} without a record`);
    t.diagnostic(`${round + 1} cron rounds under faults (${tally.overlappingRounds} overlapping, ${tally.killedRuns} killed part way), ${state.faultsApplied} upstream faults injected`);
    t.diagnostic(`${items} items: ${answered} answered, ${explained} with an error saying why, ${lost.length} lost; ${dump.length} KV keys left, all expiring, none open`);
  } finally {
    await w.close();
  }
});
