// The Worker against a bare JavaScript forwarder, side by side in bare `workerd serve` (issue 10).
//
//   bash scripts/build-worker.sh && node benches/gateway/bench.mjs [--quick | --smoke] [--seconds N] [--runs N] [--build DIR] [--v8-flags "..."]
//
// Starts the fake upstream (tests/support/fake-provider, a separate process), an in-memory KV
// server, and each target in its own `workerd serve`: the edge-llm Worker (build/),
// workers/forwarder.js, and, for chat, workers/same-work.js (the forwarder plus the chat
// route's obligations, in JavaScript: what the contract costs apart from wasm). All get the
// same bodies from the same load tool — wrk (Debian package `wrk`), pinned to CPU 0, with
// workerd and the fake on CPU 1 — and the table is
// printed as ratios to the forwarder. CPU per request is workerd's own CPU time (from /proc)
// over the requests it answered. Cells alternate between the targets, each figure is the
// median of the runs, so a busy spell on a shared machine hits both alike.
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
    only: { type: "string" }, // chat alone, or chat and one other shape (tokens, "batch status"): quicker runs
    "v8-flags": { type: "string" }, // V8 flags for every workerd (a diagnostic, e.g. "--no-liftoff"; production sets none)
  },
});
const seconds = Number(opts.seconds ?? (opts.smoke ? 1 : opts.quick ? 3 : 8));
const runs = Number(opts.runs ?? (opts.smoke ? 1 : 3));
const useWrk = !opts.smoke && hasWrk();
if (!opts.smoke && !useWrk) {
  console.error("wrk is missing: `sudo apt-get install wrk` (or run with --smoke for a check without figures)");
  process.exit(2);
}
const buildDir = opts.build ?? join(root, "build");
if (!existsSync(join(buildDir, "index.js"))) {
  console.error(`${buildDir} has no index.js: run "bash scripts/build-worker.sh" first`);
  process.exit(2);
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
const v8Flags = opts["v8-flags"]?.split(" ").filter(Boolean) ?? [];
const servers = {};
for (const [name, t] of Object.entries(TARGETS)) {
  servers[name] = await startWorkerd({ modules: t.modules, bindings, kvAddress: kv.address, cpu: SERVER_CPU, readyPath: t.readyPath, v8Flags });
}

const statusShape = await shapes.batchStatus(servers["edge-llm"].url); // the forwarder reads the same KV
const SHAPES = {
  chat: { ...shapes.chat, peers: ["forwarder", "same work (JS)"] },
  tokens: { ...shapes.tokens, peers: [] },
  "batch status": { ...statusShape, peers: ["forwarder"] },
};

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

/** One cell: load `target` with `shape`; CPU ms per request from workerd's CPU time. */
async function cell(target, shape, connections) {
  const server = servers[target];
  const cpuBefore = server.cpuMs();
  const load = useWrk ? wrk : nodeLoad;
  const r = await load(server.url, shape, { connections, seconds, cpu: LOAD_CPU });
  const cpuMs = server.cpuMs() - cpuBefore;
  if (r.errors) throw new Error(`${target} ${shape.path}: ${r.errors} failed requests of ${r.requests}`);
  return { ...r, cpuPerRequest: cpuMs / r.requests };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
/** Runs every cell `runs` times, alternating the targets' order; medians per figure. */
async function measure(pairs) {
  const results = pairs.map(() => []);
  for (let run = 0; run < runs; run++) {
    const order = run % 2 ? [...pairs.keys()].reverse() : [...pairs.keys()];
    for (const i of order) results[i].push(await pairs[i]());
  }
  return results.map((rs) => Object.fromEntries(Object.keys(rs[0]).map((k) => [k, median(rs.map((r) => r[k]))])));
}

const WARMUP = { connections: 4 };
const ms = (x) => x.toFixed(3);
const ratio = (a, b) => `${(a / b).toFixed(2)}×`;
console.log(`# edge-llm Worker vs a JavaScript forwarder, bare workerd — ${new Date().toISOString().slice(0, 10)}, Node ${process.version}`);
console.log(`load: ${useWrk ? "wrk, 1 thread, pinned to CPU 0; workerd and the fake upstream on CPU 1" : "Node fetch loop (smoke run: figures not comparable)"}; ${seconds} s per cell, median of ${runs} run(s)\n`);

for (const target of Object.keys(servers)) await cell(target, SHAPES.chat, WARMUP.connections); // JIT, tier-up, pools

// Direct to the upstream, for the latency the targets add.
const direct = {
  method: "POST", path: "/chat/completions",
  headers: { authorization: `Bearer ${upstream.openaiKey}`, "content-type": "application/json" },
  body: JSON.stringify({ model: "gpt-4o-mini", max_tokens: 8192, response_format: { type: "json_object" }, messages: shapes.messages }),
};
const directP50 = (await measure([async () => {
  const load = useWrk ? wrk : nodeLoad;
  return load(upstream.openaiBaseUrl, direct, { connections: 1, seconds, cpu: LOAD_CPU });
}]))[0].p50Ms;

const rows = {};
for (const [name, shape] of Object.entries(SHAPES).filter(([name]) => !opts.only || name === opts.only || name === "chat")) {
  const targets = [...shape.peers, "edge-llm"];
  const [single, sixteen] = [
    await measure(targets.map((t) => () => cell(t, shape, 1))),
    await measure(targets.map((t) => () => cell(t, shape, 16))),
  ];
  rows[name] = targets.map((t, i) => ({ target: t, p50: single[i].p50Ms, rps: sixteen[i].rps, cpu: sixteen[i].cpuPerRequest }));
}
upstream.configure({ faults: [{ path: "/chat/completions", delayMs: 20 }] });
const slow = await measure([...SHAPES.chat.peers, "edge-llm"].map((t) => () => cell(t, SHAPES.chat, 16)));
upstream.configure({ faults: [] });

console.log("| route | target | +p50 ms (1 conn, upstream 0 ms) | req/s, 16 conns | req/s, 16 conns, upstream 20 ms | CPU ms / request | × forwarder CPU | × forwarder req/s |");
console.log("|---|---|---:|---:|---:|---:|---:|---:|");
const floor = rows.chat[0];
for (const [name, rs] of Object.entries(rows)) {
  for (const r of rs) {
    const added = name === "chat" ? `+${ms(r.p50 - directP50)}` : ms(r.p50);
    const slowRps = name === "chat" ? slow[rs.indexOf(r)].rps.toFixed(0) : "–";
    const peer = rs.find((p) => p.target === "forwarder") ?? floor;
    console.log(`| ${name} | ${r.target} | ${added} | ${r.rps.toFixed(0)} | ${slowRps} | ${ms(r.cpu)} | ${ratio(r.cpu, peer.cpu)} | ${ratio(r.rps, peer.rps)} |`);
  }
}
console.log(`\n(direct to the fake upstream: p50 ${ms(directP50)} ms; the tokens route has no JavaScript peer, so its ratios are to the forwarder's chat)`);

const cold = await coldStarts({ targets: { forwarder: TARGETS.forwarder, "edge-llm": TARGETS["edge-llm"] }, v8Flags, bindings, kvAddress: kv.address, cpu: SERVER_CPU, times: opts.smoke ? 1 : 7 });
console.log("\n| cold start (median) | process start → first answer, ms | of which wasm compile | of which wasm instantiate + first request |");
console.log("|---|---:|---:|---:|");
for (const c of cold) console.log(`| ${c.target} | ${c.firstAnswerMs.toFixed(1)} | ${c.compileMs === undefined ? "–" : c.compileMs.toFixed(1)} | ${c.instantiateMs === undefined ? "–" : c.instantiateMs.toFixed(1)} |`);

for (const s of Object.values(servers)) await s.close();
await kv.close();
await upstream.close();
if (opts.smoke) console.log("\nsmoke: every target answered every shape");
