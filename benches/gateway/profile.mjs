// Where the Worker's CPU goes on one route: a V8 CPU profile of the Worker in bare workerd,
// taken through workerd's inspector while a load loop runs, summed by function (issue 10).
//
//   source scripts/env.sh && "$NODE22" benches/gateway/profile.mjs [--target edge-llm|forwarder] [--shape chat|tokens|status] [--seconds N] [--build DIR]
//
// Prints the functions with the most self time (JavaScript glue, wasm functions by their Rust
// names, V8 builtins, "(garbage collector)", "(program)" for the runtime outside V8), each
// as a share of all samples and as µs per request, then the same grouped into stages.
// Node 22 for its global WebSocket (the inspector speaks the Chrome DevTools Protocol).
import { join } from "node:path";
import { parseArgs } from "node:util";
import { startKvServer } from "./lib/kv-server.mjs";
import { nodeLoad } from "./lib/load.mjs";
import { freePort } from "./lib/net.mjs";
import { startUpstream } from "./lib/upstream.mjs";
import { startWorkerd } from "./lib/workerd.mjs";
import * as shapes from "./lib/shapes.mjs";

const root = join(import.meta.dirname, "..", "..");
const { values: opts } = parseArgs({
  options: { top: { type: "string", default: "30" }, target: { type: "string", default: "edge-llm" }, shape: { type: "string", default: "chat" }, seconds: { type: "string", default: "5" }, build: { type: "string" } },
});
if (!globalThis.WebSocket) {
  console.error("run this with Node 22 or later: source scripts/env.sh && \"$NODE22\" benches/gateway/profile.mjs");
  process.exit(2);
}
const buildDir = opts.build ?? join(root, "build");
const upstream = await startUpstream({});
const kv = await startKvServer();
const inspectorPort = await freePort();
const server = await startWorkerd({
  modules: opts.target === "forwarder"
    ? [{ name: "forwarder.js", path: join(import.meta.dirname, "workers", "forwarder.js"), type: "esModule" }]
    : [
      { name: "index.js", path: join(buildDir, "index.js"), type: "esModule" },
      { name: "index_bg.wasm", path: join(buildDir, "index_bg.wasm"), type: "wasm" },
    ],
  bindings: shapes.bindingsFor(upstream),
  kvAddress: kv.address,
  readyPath: "/v1/health/live",
  inspectorPort,
});

if (opts.shape === "status" && opts.target === "forwarder") throw new Error("the forwarder has no batch create route: profile its chat");
const shape = opts.shape === "status" ? await shapes.batchStatus(server.url) : opts.shape === "tokens" ? shapes.tokens : shapes.chat;

await nodeLoad(server.url, shape, { connections: 4, seconds: 2 }); // warm-up: JIT, tier-up

const targets = await (await fetch(`http://127.0.0.1:${inspectorPort}/json`)).json();
const socket = new WebSocket(targets[0].webSocketDebuggerUrl);
await new Promise((resolve, reject) => { socket.onopen = resolve; socket.onerror = reject; });
let nextId = 1;
const pending = new Map();
socket.onmessage = (event) => {
  const message = JSON.parse(event.data);
  pending.get(message.id)?.(message);
  pending.delete(message.id);
};
const send = (method, params = {}) => new Promise((resolve, reject) => {
  const id = nextId++;
  pending.set(id, (m) => (m.error ? reject(new Error(`${method}: ${m.error.message}`)) : resolve(m.result)));
  socket.send(JSON.stringify({ id, method, params }));
});

await send("Profiler.enable");
await send("Profiler.setSamplingInterval", { interval: 50 }); // µs
await send("Profiler.start");
const load = await nodeLoad(server.url, shape, { connections: 4, seconds: Number(opts.seconds) });
const { profile } = await send("Profiler.stop");
socket.close();

// Self time per function: each sample is charged to the node it landed in.
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const self = new Map();
profile.samples.forEach((id, i) => {
  const { functionName, url, lineNumber } = byId.get(id).callFrame;
  const where = url ? ` ${url.split("/").pop()}:${lineNumber + 1}` : "";
  // Short names are minified runtime JavaScript: say where they live.
  const name = functionName.length > 2 ? functionName : `${functionName || "(anonymous)"}${where}`;
  self.set(name, (self.get(name) ?? 0) + (profile.timeDeltas[i] ?? 0));
});
const total = [...self.values()].reduce((a, b) => a + b, 0);
// The same samples by where the code lives: Rust compiled to wasm, the wasm-bindgen glue
// (index.js, the `__wbg_*` imports among it), and the runtime (builtins, fetch, GC, idle).
const kinds = new Map();
profile.samples.forEach((id, i) => {
  const { url, functionName } = byId.get(id).callFrame;
  const kind = url.startsWith("wasm://") ? "Rust (wasm)"
    : url.endsWith("index.js") ? (functionName.startsWith("__wbg_") ? "glue: imports wasm calls (__wbg_*)" : "glue: other index.js")
    : url.endsWith("forwarder.js") ? "forwarder.js"
    : ["(idle)", "(program)", "(garbage collector)"].includes(functionName) ? functionName
    : "runtime builtins (fetch, Response, timers, …)";
  kinds.set(kind, (kinds.get(kind) ?? 0) + (profile.timeDeltas[i] ?? 0));
});
const perRequest = (us) => (us / load.requests).toFixed(1);
console.log(`# ${opts.target}, ${opts.shape}: ${load.requests} requests in ${opts.seconds} s, ${profile.samples.length} samples; µs/request is profile time (not all of it CPU: idle shows as "(idle)")\n`);
console.log("| function | share | µs / request |\n|---|---:|---:|");
for (const [kind, us] of [...kinds].sort((a, b) => b[1] - a[1])) {
  console.log(`| **${kind}** | ${((100 * us) / total).toFixed(1)}% | ${perRequest(us)} |`);
}
for (const [name, us] of [...self].sort((a, b) => b[1] - a[1]).slice(0, Number(opts.top))) {
  console.log(`| ${name.slice(0, 90)} | ${((100 * us) / total).toFixed(1)}% | ${perRequest(us)} |`);
}

await server.close();
await kv.close();
await upstream.close();
