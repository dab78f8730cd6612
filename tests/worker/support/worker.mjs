// Starts the built Worker (build/, from scripts/build-worker.sh) in workerd through Miniflare,
// with local KV and the fake provider as upstream. Needs Node >= 22 (Miniflare 5).
//
// The Worker runs unchanged behind a thin test entrypoint (support/test-entry.js) that hands
// it a KV binding which records every operation, so tests can count KV reads and writes, and
// — with `WORKER_QUEUE=1` or `startWorker({queue: true})` — its `BATCH_STEPS` queue (Miniflare
// runs Cloudflare Queues locally), recorded the same way. The recorders forward every call
// to Miniflare's real local KV and queues.
import { Miniflare, convertV4MiniflareOptions } from "miniflare";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { startFakeProvider } from "../../support/fake-provider/index.mjs";
import { checkAnswer } from "./openapi.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
export const GATEWAY_TOKEN = "gw-test-token-0123456789abcdefghijkl";
export const OPENAI_KEY = "sk-test";
export const ANTHROPIC_KEY = "sk-ant-test";
export const MIB = 1024 * 1024;
const OPEN = ["validating", "in_progress", "finalizing", "cancelling"];
export const ENDED = ["completed", "failed", "expired", "cancelled"];

// The test entrypoint (support/test-entry.js) runs the Worker unchanged, with KV and the
// queue wrapped to record operations and inject faults.
const TEST_ENTRY = readFileSync(join(dirname(fileURLToPath(import.meta.url)), "test-entry.js"), "utf8");

/** The Worker's queues under Miniflare, as wrangler.toml names them. */
export const QUEUE = "edge-llm-batch-steps";
export const DEAD_LETTER_QUEUE = "edge-llm-batch-steps-dlq";
/** Consumer retries (wrangler.toml's max_retries) for the steps and the dead-letter queue. */
const QUEUE_RETRIES = { main: 5, dead: 2 };
/**
 * Whether suites run with the `BATCH_STEPS` queue (`WORKER_QUEUE=1`): the cron sends the
 * steps and the consumer does them. Without it the cron does them itself.
 */
export const QUEUE_MODE = process.env.WORKER_QUEUE === "1";

/**
 * A running Worker and fake provider.
 * `vars` override the defaults (the fake as OpenAI and Anthropic upstream, fast polling);
 * a var set to `undefined` is left out. `vars` may be a function of the fake provider.
 * `persist`: a folder for local KV, so a second Worker started on it sees the same data.
 * `queue`: give the Worker its `BATCH_STEPS` queue and dead-letter queue (default:
 * `WORKER_QUEUE=1`); `cron()` then also waits until every step it sent is done.
 */
export async function startWorker({ vars = {}, fakeOptions = {}, persist, queue = QUEUE_MODE } = {}) {
  if (!existsSync(join(root, "build", "index.js"))) {
    throw new Error("build/ is missing: run `bash scripts/build-worker.sh` first");
  }
  const fake = await startFakeProvider({ openaiKey: OPENAI_KEY, anthropicKey: ANTHROPIC_KEY, ...fakeOptions });
  const logs = [];
  /** The Worker's own log lines, parsed (lines that are not JSON are skipped). */
  const lines = () => logs.flatMap((l) => {
    try { return [JSON.parse(l.message)]; } catch { return []; }
  });
  const bindings = {
    LLM_PROVIDER: "openai",
    LLM_MODEL: "gpt-4o-mini",
    LLM_URL: "",
    EMBEDDING_PROVIDER: "openai",
    EMBEDDING_MODEL: "text-embedding-3-small",
    EMBEDDING_URL: "",
    OPENAI_BASE_URL: fake.openaiBaseUrl,
    ANTHROPIC_BASE_URL: fake.anthropicBaseUrl,
    BATCH_POLL_INTERVAL_MS: "1",
    BATCH_MAX_POLL_INTERVAL_MS: "1",
    OPENAI_API_KEY: fakeOptions.openaiKey ?? OPENAI_KEY,
    ANTHROPIC_API_KEY: fakeOptions.anthropicKey ?? ANTHROPIC_KEY,
    GATEWAY_TOKEN,
    // Failed steps are retried at once (production waits 30 s, doubling).
    BATCH_STEP_RETRY_DELAY_SECONDS: "0",
    ...(typeof vars === "function" ? vars(fake) : vars),
  };
  for (const [k, v] of Object.entries(bindings)) if (v === undefined) delete bindings[k];
  const mf = new Miniflare(
    convertV4MiniflareOptions({
      modules: [
        { type: "ESModule", path: join(root, "build", "__test_entry.mjs"), contents: TEST_ENTRY.replace("__MAIN_ATTEMPTS__", QUEUE_RETRIES.main + 1).replace("__DEAD_ATTEMPTS__", QUEUE_RETRIES.dead + 1) },
        { type: "ESModule", path: join(root, "build", "index.js"), contents: readFileSync(join(root, "build", "index.js"), "utf8") },
        { type: "CompiledWasm", path: join(root, "build", "index_bg.wasm"), contents: readFileSync(join(root, "build", "index_bg.wasm")) },
      ],
      modulesRoot: join(root, "build"),
      compatibilityDate: "2025-11-01",
      kvNamespaces: ["BATCHES"],
      // As wrangler.toml configures them, but delivered at once (no batching wait).
      ...(queue ? {
        queueProducers: { BATCH_STEPS: { queueName: QUEUE } },
        queueConsumers: {
          [QUEUE]: { maxBatchSize: 100, maxBatchTimeout: 0, maxRetries: QUEUE_RETRIES.main, deadLetterQueue: DEAD_LETTER_QUEUE },
          [DEAD_LETTER_QUEUE]: { maxBatchSize: 100, maxBatchTimeout: 0, maxRetries: QUEUE_RETRIES.dead },
        },
      } : {}),
      // A folder keeps KV across Workers started on it (a fresh isolate over the same data).
      ...(persist ? { resourcePersistencePath: persist } : {}),
      bindings,
      handleStructuredLogs: (log) => logs.push(log),
    }),
  );
  await mf.ready;
  const worker = await mf.getWorker();
  const kv = await mf.getKVNamespace("BATCHES");
  const token = bindings.GATEWAY_TOKEN;
  const responses = [];
  const api = async (method, path, { body, token: bearer = token, headers = {} } = {}) => {
    const init = { method, headers: { ...headers } };
    if (bearer !== null && bearer !== undefined) init.headers.authorization = `Bearer ${bearer}`;
    if (body !== undefined) {
      init.body = typeof body === "string" || body instanceof Uint8Array ? body : JSON.stringify(body);
      if (!Object.keys(init.headers).some((h) => h.toLowerCase() === "content-type")) init.headers["content-type"] = "application/json";
    }
    const res = await dispatch(mf, `http://localhost${path}`, init);
    const text = await res.text();
    let json;
    try { json = JSON.parse(text); } catch { json = undefined; }
    const answer = { status: res.status, headers: res.headers, text, json };
    responses.push({ method, path, status: res.status, headers: [...res.headers], text });
    checkAnswer(method, path, answer); // every answer must be one api/openapi.json describes
    return answer;
  };
  const test = async (path, body) => {
    const init = body === undefined ? {} : { method: "POST", body: JSON.stringify(body) };
    return (await mf.dispatchFetch(`http://localhost/__test/${path}`, init)).json();
  };
  /** Waits until every step message sent so far is done (acknowledged, or dead-lettered and seen). */
  const drain = async ({ timeoutMs = 600_000 } = {}) => {
    if (!queue) return;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const s = await test("queue-stats");
      if (s.sent === s.settled && s.inflight === 0) return s;
      if (Date.now() > deadline) throw new Error(`the step queue did not drain: ${JSON.stringify(s)}`);
      await new Promise((r) => setTimeout(r, s.sent - s.settled > 50 ? 50 : 5));
    }
  };
  /**
   * One cron run, as the trigger fires it, at `scheduledTime` (ms since the epoch). With a
   * queue, it returns once the steps the run sent (and their retries) are done.
   */
  const cron = async (scheduledTime = Date.now()) => {
    await fire(scheduledTime);
    await drain();
  };
  /** The cron run alone: returns when the run does, whatever it sent still on the queue. */
  const fire = (scheduledTime = Date.now()) => worker.scheduled({ cron: "* * * * *", scheduledTime: new Date(scheduledTime) });
  /**
   * What the last cron run and the steps it caused did: the run's summary line, with the
   * step counts of the queue deliveries since the run before it added in (queue mode).
   */
  const lastRun = () => {
    const all = lines();
    const at = all.findLastIndex((l) => l.msg === "cron run");
    if (at < 0) return undefined;
    const run = { ...all[at] };
    const from = all.slice(0, at).findLastIndex((l) => l.msg === "cron run") + 1;
    for (const l of all.slice(from)) {
      if (l.msg !== "queue delivery" || l.queue !== QUEUE) continue;
      for (const [k, v] of Object.entries(l.steps)) run[k] = k === "worstLateMs" ? Math.max(run[k] ?? 0, v) : (run[k] ?? 0) + v;
    }
    return run;
  };
  /** The queue operations (send, deliver, ack, retry) since the last reset. */
  const queueOps = ({ reset = false } = {}) => test(`queue-ops${reset ? "?reset=1" : ""}`);
  /** Duplicate deliveries on demand (see support/test-entry.js); `queueFaults()` clears them. */
  const queueFaults = (setting = {}) => test("queue-faults", setting);
  /** Puts `bodies` on the step queue as they are, not through the Worker. */
  const sendSteps = (bodies) => test("queue-send", { bodies });
  /** Writes `entries` ({key, value, expiration?, metadata?}) straight to KV, 50 at a time. */
  const seedKv = async (entries) => {
    for (let i = 0; i < entries.length; i += 2000) await test("kv-seed", { entries: entries.slice(i, i + 2000) });
  };
  /** The KV operations the Worker made (since the last reset). */
  const kvOps = async ({ reset = false } = {}) => {
    const res = await mf.dispatchFetch(`http://localhost/__test/kv-ops${reset ? "?reset=1" : ""}`);
    return res.json();
  };
  /** Makes KV operations fail (see support/test-entry.js); `kvFaults()` clears them. */
  const kvFaults = async (setting = {}) => {
    await mf.dispatchFetch("http://localhost/__test/kv-faults", { method: "POST", body: JSON.stringify(setting) });
  };
  /** The stored record of gateway batch `id` (parsed), or undefined. */
  const record = async (id) => {
    const text = await kv.get(`batch:${id}`);
    return text === null ? undefined : JSON.parse(text);
  };
  /** The upstream id of gateway batch `id`, once it has one. */
  const upstreamId = async (id) => {
    const stage = (await record(id))?.job?.stage;
    return stage?.batch_id ?? undefined;
  };
  /** Every KV key with its value, expiration and metadata. */
  const dumpKv = async () => {
    const out = [];
    let cursor;
    do {
      const page = await kv.list({ cursor });
      for (const k of page.keys) out.push({ key: k.name, expiration: k.expiration, metadata: k.metadata, value: await kv.get(k.name) });
      cursor = page.list_complete ? undefined : page.cursor;
    } while (cursor);
    return out;
  };

  return {
    mf, fake, kv, api, cron, fire, drain, lastRun, kvOps, kvFaults, queueOps, queueFaults, sendSteps, seedKv, queue,
    record, upstreamId, dumpKv, logs, lines, responses, bindings,
    async close() {
      await mf.dispose();
      await fake.close();
    },
  };
}

/**
 * `mf.dispatchFetch`, tried again when the upload died with EPIPE: when the Worker answers
 * without reading a large body (401, 413), workerd closes the connection and Node's fetch
 * may still be writing. The request was not processed, so sending it again is safe.
 */
async function dispatch(mf, url, init) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await mf.dispatchFetch(url, init);
    } catch (e) {
      if (attempt >= 8 || e?.cause?.code !== "EPIPE") throw e;
    }
  }
}

/** Runs cron until the batch leaves the open statuses (bounded), returning the last status. */
export async function cronUntilDone(w, id, maxRuns = 30) {
  let status;
  for (let i = 0; i < maxRuns; i++) {
    await w.cron();
    status = (await w.api("GET", `/v1/batches/${id}`)).json;
    if (ENDED.includes(status.status)) return status;
    if (!OPEN.includes(status.status)) throw new Error(`batch ${id}: unexpected status ${JSON.stringify(status)}`);
  }
  throw new Error(`batch ${id} still ${status?.status} after ${maxRuns} cron runs`);
}

/** How long an ended batch stays in the open index (src/cron/mod.rs CLOSE_AFTER_MS). */
export const CLOSE_AFTER_MS = 30 * 60_000;

/**
 * A cron run far enough ahead that every ended batch leaves the open index. Batches still
 * open are polled at that time too, and their next polls wait for the clock to get there:
 * call it last.
 */
export async function closeOut(w) {
  await w.cron(Date.now() + CLOSE_AFTER_MS + 60_000);
}

/** `n` batch requests `r0…`, each asking for JSON; `extra(i)` is added to the content. */
export function requests(n, extra = () => "", prefix = "r") {
  return Array.from({ length: n }, (_, i) => ({ id: `${prefix}${i}`, messages: [{ role: "user", content: `json please ${i}${extra(i)}` }] }));
}

/** Creates a batch and checks the 202. */
export async function createBatch(w, body) {
  const created = await w.api("POST", "/v1/batches", { body });
  if (created.status !== 202) throw new Error(`create answered ${created.status}: ${created.text}`);
  return created.json;
}

/** Every result of a batch, following `next` cursors; also returns the pages' sizes. */
export async function allResults(w, id) {
  const results = [];
  const pages = [];
  let cursor;
  for (;;) {
    const path = `/v1/batches/${id}/results${cursor === undefined ? "" : `?cursor=${encodeURIComponent(cursor)}`}`;
    const r = await w.api("GET", path);
    if (r.status !== 200) throw new Error(`${path} answered ${r.status}: ${r.text}`);
    results.push(...r.json.results);
    pages.push(r.json.results.length);
    if (r.json.next === undefined) return { results, pages };
    cursor = r.json.next;
  }
}

/** Checks the contract's error shape and returns the message. */
export function errorMessage(r) {
  const e = r.json?.error;
  if (!e || typeof e.type !== "string" || typeof e.message !== "string" || !e.message) {
    throw new Error(`not an {error:{type,message}} answer (${r.status}): ${r.text}`);
  }
  return e.message;
}

/**
 * The workerd processes this test process started (Miniflare spawns workerd as a child),
 * and a sampler of their resident memory from /proc: `stop()` gives the peak RSS seen and
 * each process's VmHWM (the kernel's own high-water mark).
 */
export function sampleWorkerdMemory(intervalMs = 50) {
  const pids = descendants(process.pid).filter((pid) => comm(pid) === "workerd");
  if (pids.length === 0) throw new Error("no workerd process found under this test process");
  const rss = () => pids.reduce((sum, pid) => sum + statusKb(pid, "VmRSS"), 0) * 1024;
  const start = rss();
  let peak = start;
  const timer = setInterval(() => { peak = Math.max(peak, rss()); }, intervalMs);
  return {
    pids,
    start,
    stop() {
      clearInterval(timer);
      peak = Math.max(peak, rss());
      return { startRss: start, peakRss: peak, hwm: pids.reduce((s, pid) => s + statusKb(pid, "VmHWM"), 0) * 1024 };
    },
  };
}

function comm(pid) {
  try { return readFileSync(`/proc/${pid}/comm`, "utf8").trim(); } catch { return ""; }
}

function statusKb(pid, field) {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) : 0;
  } catch { return 0; }
}

function descendants(root) {
  const parent = new Map();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // /proc/<pid>/stat: "pid (comm) state ppid …"; comm may contain spaces and parentheses.
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      parent.set(Number(entry), Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]));
    } catch { /* gone */ }
  }
  const out = [];
  const walk = (pid) => { for (const [child, p] of parent) if (p === pid) { out.push(child); walk(child); } };
  walk(root);
  return out;
}
