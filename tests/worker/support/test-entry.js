// The test entrypoint (loaded as build/__test_entry.mjs): the real Worker's fetch, scheduled
// and queue handlers, run unchanged, with `env.BATCHES` wrapped to record operations and to
// fail them on demand, and `env.BATCH_STEPS` (when the Worker has a queue) wrapped to record
// what is sent and to deliver some messages twice. Neither the `/__test/` routes nor the
// wrappers reach the Worker.
//
//   GET  /__test/kv-ops[?reset=1]       every KV operation since the last reset
//   POST /__test/kv-faults              {faults: [{op?, key?, times?, skip?}], killAfter?}
//   GET  /__test/queue-ops[?reset=1]    every queue operation (send, deliver, ack, retry)
//   GET  /__test/queue-stats            {sent, settled, inflight, duplicated, redelivered}
//   POST /__test/queue-faults           {duplicate?, redeliver?, seed?}
//   POST /__test/queue-send             {bodies: [...]}: put messages on the queue directly
//   POST /__test/kv-seed                {entries: [{key, value, expiration?, metadata?}]}
//
// KV faults: a fault whose `op` ("get", "getBulk", "put", "list", "delete"; any if absent)
// and `key` (a regex source; any if absent) match an operation makes it throw, as KV does
// when it fails; `skip` lets that many matches pass first, `times` bounds how many fail.
// `killAfter: n` lets n more operations through and fails every one after that — an
// isolate that died at that point, as far as KV can tell.
//
// Queue faults (at-least-once delivery, made to happen): `duplicate` is the share of sent
// messages sent a second time (a producer's send retried); `redeliver` the share of
// acknowledged messages delivered again afterwards (an acknowledgement lost).
import { WorkerEntrypoint } from "cloudflare:workers";
import Inner from "./index.js";

// Filled in by support/worker.mjs: the consumers' max_retries, as Miniflare is told.
const MAX_ATTEMPTS = { main: __MAIN_ATTEMPTS__, dead: __DEAD_ATTEMPTS__ };

const ops = [];
let faults = [];
let killAfter = null;
const size = (v) => typeof v === "string" ? v.length : v?.byteLength ?? 0;
function check(op, key) {
  if (killAfter !== null) {
    if (killAfter <= 0) throw new Error("KV " + op + " failed: injected (isolate killed)");
    killAfter -= 1;
  }
  const keys = Array.isArray(key) ? key : [key ?? ""];
  for (const f of faults) {
    if (f.op && f.op !== op) continue;
    if (f.key && !keys.some((k) => new RegExp(f.key).test(k))) continue;
    if (f.skip > 0) { f.skip -= 1; continue; }
    if (f.times !== undefined) { if (f.times <= 0) continue; f.times -= 1; }
    throw new Error("KV " + op + " failed: injected");
  }
}
function recording(kv) {
  return {
    get(key, options) { const op = Array.isArray(key) ? "getBulk" : "get"; ops.push({ op, key }); check(op, key); return kv.get(key, options); },
    getWithMetadata(key, options) { ops.push({ op: "get", key }); check("get", key); return kv.getWithMetadata(key, options); },
    put(key, value, options) { ops.push({ op: "put", key, bytes: size(value), ttl: options?.expirationTtl, expiration: options?.expiration, metadata: options?.metadata }); check("put", key); return kv.put(key, value, options); },
    list(options) { ops.push({ op: "list", prefix: options?.prefix }); check("list", options?.prefix); return kv.list(options); },
    delete(key) { ops.push({ op: "delete", key }); check("delete", key); return kv.delete(key); },
  };
}

// ---- the queue ----
const queueOps = [];
const stats = { sent: 0, settled: 0, inflight: 0, duplicated: 0, redelivered: 0 };
let queueFaults = { duplicate: 0, redeliver: 0 };
const redelivered = new Set();
let random = prng(1);
/** mulberry32: duplicates replay with the same seed. */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
// Named so: the Worker's `env.queue()` checks the binding's class name.
class WorkerQueue {
  constructor(inner) { this.inner = inner; }
  async send(body, options) {
    return this.sendBatch([{ body, ...options }]);
  }
  async sendBatch(messages, options) {
    // Counted before sending: a consumer may settle them before this returns.
    stats.sent += messages.length;
    for (const m of messages) queueOps.push({ op: "send", body: m.body });
    try {
      await this.inner.sendBatch(messages, options);
    } catch (e) {
      stats.sent -= messages.length;
      throw e;
    }
    const again = messages.filter(() => random() < queueFaults.duplicate);
    if (again.length > 0) {
      stats.sent += again.length;
      stats.duplicated += again.length;
      await this.inner.sendBatch(again, options);
    }
  }
}
/** The delivery as the Worker sees it, recording each message's fate. */
function watched(batch) {
  const queue = batch.queue;
  const dead = queue.endsWith("-dlq");
  const acked = [];
  const messages = batch.messages.map((m) => {
    queueOps.push({ op: "deliver", queue, attempts: m.attempts, body: m.body });
    let decided = false;
    return {
      get id() { return m.id; },
      get timestamp() { return m.timestamp; },
      get body() { return m.body; },
      get attempts() { return m.attempts; },
      ack() {
        if (!decided) {
          decided = true;
          queueOps.push({ op: "ack", queue });
          stats.settled += 1;
          if (!dead) acked.push(m.body);
        }
        m.ack();
      },
      retry(options) {
        if (!decided) {
          decided = true;
          queueOps.push({ op: "retry", queue, attempts: m.attempts, delaySeconds: options?.delaySeconds });
          // Out of attempts: the main queue's go to the dead-letter queue (settled there),
          // the dead-letter queue's are dropped.
          if (dead && m.attempts >= MAX_ATTEMPTS.dead) stats.settled += 1;
        }
        m.retry(options);
      },
    };
  });
  return {
    acked,
    batch: {
      queue,
      messages,
      ackAll() { for (const m of messages) m.ack(); },
      retryAll(options) { for (const m of messages) m.retry(options); },
    },
  };
}

let wrapped;
function envOf(env) {
  if (!wrapped || wrapped.inner !== env) {
    const extra = env.BATCH_STEPS ? { BATCH_STEPS: new WorkerQueue(env.BATCH_STEPS) } : {};
    wrapped = { inner: env, env: { ...env, BATCHES: recording(env.BATCHES), ...extra } };
  }
  return wrapped.env;
}

function listed(url, list) {
  const out = list.slice();
  if (url.searchParams.get("reset") === "1") list.length = 0;
  return Response.json(out);
}

export default class extends WorkerEntrypoint {
  async fetch(request) {
    const url = new URL(request.url);
    switch (url.pathname) {
      case "/__test/kv-ops": return listed(url, ops);
      case "/__test/queue-ops": return listed(url, queueOps);
      case "/__test/queue-stats": return Response.json(stats);
      case "/__test/kv-faults": {
        const body = await request.json();
        faults = body.faults ?? [];
        killAfter = body.killAfter ?? null;
        return Response.json({ ok: true });
      }
      case "/__test/queue-faults": {
        const body = await request.json();
        queueFaults = { duplicate: body.duplicate ?? 0, redeliver: body.redeliver ?? 0 };
        random = prng(body.seed ?? 1);
        return Response.json({ ok: true });
      }
      case "/__test/queue-send": {
        // Messages put on the queue as another deploy, or a stranger, might have.
        const { bodies } = await request.json();
        stats.sent += bodies.length;
        await this.env.BATCH_STEPS.sendBatch(bodies.map((body) => ({ body, contentType: typeof body === "string" ? "text" : "json" })));
        return Response.json({ sent: bodies.length });
      }
      case "/__test/kv-seed": {
        // Writes many keys at once, straight to KV (not recorded): tests that need thousands
        // of batches write what the create route writes, without a create each.
        const { entries } = await request.json();
        for (let i = 0; i < entries.length; i += 50) {
          await Promise.all(entries.slice(i, i + 50).map((e) => this.env.BATCHES.put(e.key, e.value, { expiration: e.expiration, metadata: e.metadata })));
        }
        return Response.json({ written: entries.length });
      }
    }
    return new Inner(this.ctx, envOf(this.env)).fetch(request);
  }
  scheduled(event) {
    return new Inner(this.ctx, envOf(this.env)).scheduled(event);
  }
  async queue(batch) {
    stats.inflight += 1;
    const { acked, batch: seen } = watched(batch);
    try {
      await new Inner(this.ctx, envOf(this.env)).queue(seen);
      // Each body at most once (at a share of 1 this would never end).
      const again = acked.filter((body) => !redelivered.has(JSON.stringify(body)) && random() < queueFaults.redeliver);
      for (const body of again) redelivered.add(JSON.stringify(body));
      if (again.length > 0) {
        stats.sent += again.length;
        stats.redelivered += again.length;
        await this.env.BATCH_STEPS.sendBatch(again.map((body) => ({ body, contentType: "json" })));
      }
    } finally {
      stats.inflight -= 1;
    }
  }
}
