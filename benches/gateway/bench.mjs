// The Worker against a bare JavaScript forwarder, side by side in bare `workerd serve` (issue 10).
//
//   bash scripts/build-worker.sh && node benches/gateway/bench.mjs [--quick | --smoke] [--seconds N] [--runs N] [--warmup S] [--build DIR] [--compare DIR] [--v8-flags "..."]
//
// Starts the fake upstream (tests/support/fake-provider, a separate process), an in-memory KV
// server, and each target in its own `workerd serve`: the edge-llm Worker (build/),
// workers/forwarder.js, and, for chat, workers/same-work.js (the forwarder plus the chat
// route's obligations, in JavaScript: what the contract costs apart from wasm). All get the
// same bodies from the same load tool — wrk (Debian package `wrk`), pinned to CPU 0, with
// workerd and the fake on CPU 1 — and the table is printed as ratios to the forwarder. CPU
// per request is workerd's own CPU time (from /proc) over the requests it answered. Each run
// starts every target afresh, in a shuffled order (one workerd process of a build can stay
// ~15% slower than another of the same build), warms it up, and alternates the targets'
// cells; each figure is the median of the runs, each ratio the median of the runs' own ratios
// (cells next to each other in time), so a busy spell hits both alike.
//
// `--smoke` (a test runs it): a few seconds with a Node load loop, checking that every target
// answers every shape correctly and that the table comes out; its figures mean nothing.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { isDeepStrictEqual, parseArgs } from "node:util";
import { startKvServer } from "./lib/kv-server.mjs";
import { hasWrk, nodeLoad, wrk } from "./lib/load.mjs";
import { startWorkerd } from "./lib/workerd.mjs";
import { coldStarts } from "./lib/cold.mjs";
import { startUpstream } from "./lib/upstream.mjs";
import * as shapes from "./lib/shapes.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const here = dirname(fileURLToPath(import.meta.url));
const { values: opts } = parseArgs({
  options: {
    quick: { type: "boolean" }, smoke: { type: "boolean" }, seconds: { type: "string" }, runs: { type: "string" },
    build: { type: "string" }, // another worker-build output to measure (e.g. an older commit's), default build/
    warmup: { type: "string" }, // seconds of load each target gets before a run's cells (V8 tiers wasm up for ~30 s)
    compare: { type: "string" }, // a second build measured on chat in the same cells: an A/B of a change, in one run
    only: { type: "string" }, // chat alone, or chat and one other shape (tokens, "batch status"): quicker runs
    "v8-flags": { type: "string" }, // V8 flags for every workerd (a diagnostic, e.g. "--no-liftoff"; production sets none)
  },
});
const seconds = Number(opts.seconds ?? (opts.smoke ? 1 : opts.quick ? 3 : 5));
const runs = Number(opts.runs ?? (opts.smoke ? 1 : opts.quick ? 3 : 5));
const warmupSeconds = Number(opts.warmup ?? (opts.smoke ? 1 : opts.quick ? 5 : 20));
const useWrk = !opts.smoke && hasWrk();
if (!opts.smoke && !useWrk) {
  console.error("wrk is missing: `sudo apt-get install wrk` (or run with --smoke for a check without figures)");
  process.exit(2);
}
const buildDir = opts.build ?? join(root, "build");
for (const dir of [buildDir, opts.compare].filter(Boolean)) {
  if (!existsSync(join(dir, "index.js"))) {
    console.error(`${dir} has no index.js: run "bash scripts/build-worker.sh" first`);
    process.exit(2);
  }
}
const [LOAD_CPU, SERVER_CPU] = opts.smoke ? [undefined, undefined] : [0, 1];

const upstream = await startUpstream({ cpu: SERVER_CPU });
const kv = await startKvServer();
const bindings = shapes.bindingsFor(upstream);
const build = (name, type = "esModule") => ({ name, path: join(buildDir, name), type });
const script = (name) => ({ modules: [{ name, path: join(here, "workers", name), type: "esModule" }], readyPath: "/" });
const TARGETS = {
  forwarder: script("forwarder.js"),
  "same work (JS)": script("same-work.js"),
  "edge-llm": { modules: [build("index.js"), build("index_bg.wasm", "wasm")], readyPath: "/v1/health/live" },
};
const COMPARED = opts.compare && `edge-llm @ ${opts.compare}`;
if (COMPARED) {
  const other = (name, type = "esModule") => ({ name, path: join(opts.compare, name), type });
  TARGETS[COMPARED] = { modules: [other("index.js"), other("index_bg.wasm", "wasm")], readyPath: "/v1/health/live" };
}
const v8Flags = opts["v8-flags"]?.split(" ").filter(Boolean) ?? [];
/**
 * Every target in a fresh `workerd serve`, started in a shuffled order. Each run starts its
 * own: one process of a build can stay ~15% slower than another of the same build for its
 * whole life (three copies side by side; the one started last was the slow one each time we
 * looked), so figures from one set of processes are a draw, not a measurement.
 */
async function startAll() {
  const servers = {};
  for (const name of Object.keys(TARGETS).sort(() => Math.random() - 0.5)) {
    const t = TARGETS[name];
    servers[name] = await startWorkerd({ modules: t.modules, bindings, kvAddress: kv.address, cpu: SERVER_CPU, readyPath: t.readyPath, v8Flags });
  }
  return servers;
}
let servers = await startAll();

const statusShape = await shapes.batchStatus(servers["edge-llm"].url); // the forwarder reads the same KV
const SHAPES = {
  chat: { ...shapes.chat, peers: ["forwarder", "same work (JS)", ...(COMPARED ? [COMPARED] : [])] },
  tokens: { ...shapes.tokens, peers: [] },
  "batch status": { ...statusShape, peers: ["forwarder"] },
};
const measured = Object.entries(SHAPES).filter(([name]) => !opts.only || name === opts.only || name === "chat");

// Identical answers first: the JavaScript peers' chat answers must equal the Worker's.
const answer = async (target, shape) => {
  const r = await fetch(`${servers[target].url}${shape.path}`, { method: shape.method, headers: shape.headers, body: shape.body });
  const text = await r.text();
  if (r.status !== 200) throw new Error(`${target} answered ${shape.path} with ${r.status}: ${text.slice(0, 300)}`);
  return JSON.parse(text);
};
const ours = await answer("edge-llm", SHAPES.chat);
for (const peer of SHAPES.chat.peers) {
  const theirs = await answer(peer, SHAPES.chat);
  if (!isDeepStrictEqual(ours, theirs)) throw new Error(`${peer}'s chat answer differs:\n${JSON.stringify(ours)}\n${JSON.stringify(theirs)}`);
}
await answer("edge-llm", SHAPES.tokens);
const status = await answer("edge-llm", SHAPES["batch status"]);
if (!statusShape.path.endsWith(`/${status.id}`)) throw new Error(`the status answer names ${status.id}, not the batch asked for`);
await answer("forwarder", SHAPES["batch status"]);

const load = useWrk ? wrk : nodeLoad;
/** One cell: load `target` with `shape`; CPU ms per request from workerd's CPU time. */
async function cell(target, shape, connections) {
  const server = servers[target];
  const cpuBefore = server.cpuMs();
  const r = await load(server.url, shape, { connections, seconds, cpu: LOAD_CPU });
  const cpuMs = server.cpuMs() - cpuBefore;
  if (r.errors) throw new Error(`${target} ${shape.path}: ${r.errors} failed requests of ${r.requests}`);
  return { ...r, cpuPerRequest: cpuMs / r.requests };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
/** `a[key]` over `b[key]`, median of each run's ratio (the two measured in the same processes'
 *  lifetime and in cells next to each other in time, so a busy spell cancels out). */
const pairedRatio = (a, b, key) => median(a.runs.map((r, i) => r[key] / b.runs[i][key]));

const ms = (x) => x.toFixed(3);
const times = (x) => `${x.toFixed(2)}×`;
console.log(`# edge-llm Worker vs a JavaScript forwarder, bare workerd — ${new Date().toISOString().slice(0, 10)}, Node ${process.version}`);
console.log(`load: ${useWrk ? "wrk, 1 thread, pinned to CPU 0; workerd and the fake upstream on CPU 1" : "Node fetch loop (smoke run: figures not comparable)"}; ${seconds} s per cell after ${warmupSeconds} s of warm-up, median of ${runs} run(s), each run in fresh workerd processes\n`);

// Direct to the upstream, for the latency the targets add.
const direct = {
  method: "POST", path: "/chat/completions",
  headers: { authorization: `Bearer ${upstream.openaiKey}`, "content-type": "application/json" },
  body: JSON.stringify({ model: "gpt-4o-mini", max_tokens: 8192, response_format: { type: "json_object" }, messages: shapes.messages }),
};
/** Per run: {direct, [shape]: {[target]: {single, sixteen}}, slow: {[target]: cell}}. */
const perRun = [];
for (let run = 0; run < runs; run++) {
  if (run > 0) {
    for (const s of Object.values(servers)) await s.close();
    servers = await startAll();
  }
  // JIT, pools, and V8's tier-up of the wasm: code run once per request leaves Liftoff only
  // after tens of thousands of requests (chat CPU falls ~20% over the first ~30 s at 16
  // connections), and a busy Worker's isolate lives far longer than that.
  for (const target of Object.keys(servers)) await load(servers[target].url, SHAPES.chat, { connections: 16, seconds: warmupSeconds, cpu: LOAD_CPU });
  const got = { direct: await load(upstream.openaiBaseUrl, direct, { connections: 1, seconds, cpu: LOAD_CPU }) };
  const alternate = (targets) => (run % 2 ? [...targets].reverse() : targets);
  for (const [name, shape] of measured) {
    got[name] = {};
    for (const t of alternate([...shape.peers, "edge-llm"])) got[name][t] = { single: await cell(t, shape, 1) };
    for (const t of alternate([...shape.peers, "edge-llm"])) got[name][t].sixteen = await cell(t, shape, 16);
  }
  upstream.configure({ faults: [{ path: "/chat/completions", delayMs: 20 }] });
  got.slow = {};
  for (const t of alternate([...SHAPES.chat.peers, "edge-llm"])) got.slow[t] = await cell(t, SHAPES.chat, 16);
  upstream.configure({ faults: [] });
  perRun.push(got);
}
const directP50 = median(perRun.map((r) => r.direct.p50Ms));
const rows = {};
for (const [name, shape] of measured) {
  rows[name] = [...shape.peers, "edge-llm"].map((t) => {
    const runsOf = perRun.map((r) => ({ p50: r[name][t].single.p50Ms, rps: r[name][t].sixteen.rps, cpu: r[name][t].sixteen.cpuPerRequest, slowRps: r.slow[t]?.rps }));
    const of = (key) => median(runsOf.map((r) => r[key]));
    return { target: t, p50: of("p50"), rps: of("rps"), cpu: of("cpu"), slowRps: name === "chat" ? of("slowRps") : undefined, runs: runsOf };
  });
}

console.log("| route | target | +p50 ms (1 conn, upstream 0 ms) | req/s, 16 conns | req/s, 16 conns, upstream 20 ms | CPU ms / request | × forwarder CPU (runs) | × forwarder req/s |");
console.log("|---|---|---:|---:|---:|---:|---:|---:|");
const floor = rows.chat[0];
for (const [name, rs] of Object.entries(rows)) {
  for (const r of rs) {
    const added = name === "chat" ? `+${ms(r.p50 - directP50)}` : ms(r.p50);
    const slowRps = r.slowRps === undefined ? "–" : r.slowRps.toFixed(0);
    const peer = rs.find((p) => p.target === "forwarder");
    const [cpuRatio, rpsRatio] = peer
      ? [pairedRatio(r, peer, "cpu"), pairedRatio(r, peer, "rps")]
      : [r.cpu / floor.cpu, r.rps / floor.rps]; // measured in other cells: medians only
    const spread = peer && runs > 1 ? ` (${r.runs.map((x, i) => (x.cpu / peer.runs[i].cpu).toFixed(2)).sort().join(", ")})` : "";
    console.log(`| ${name} | ${r.target} | ${added} | ${r.rps.toFixed(0)} | ${slowRps} | ${ms(r.cpu)} | ${times(cpuRatio)}${spread} | ${times(rpsRatio)} |`);
  }
}
console.log(`\n(direct to the fake upstream: p50 ${ms(directP50)} ms; ratios are medians of each run's ratio to the forwarder in the same run, each run's in brackets; the tokens route has no JavaScript peer, so its ratios are to the forwarder's chat, median to median)`);

const cold = await coldStarts({ targets: { forwarder: TARGETS.forwarder, "edge-llm": TARGETS["edge-llm"] }, v8Flags, bindings, kvAddress: kv.address, cpu: SERVER_CPU, times: opts.smoke ? 1 : 7 });
console.log("\n| cold start (median) | process start → first answer, ms | of which wasm compile | of which wasm instantiate + first request |");
console.log("|---|---:|---:|---:|");
for (const c of cold) console.log(`| ${c.target} | ${c.firstAnswerMs.toFixed(1)} | ${c.compileMs === undefined ? "–" : c.compileMs.toFixed(1)} | ${c.instantiateMs === undefined ? "–" : c.instantiateMs.toFixed(1)} |`);

for (const s of Object.values(servers)) await s.close();
await kv.close();
await upstream.close();
if (opts.smoke) console.log("\nsmoke: every target answered every shape");
