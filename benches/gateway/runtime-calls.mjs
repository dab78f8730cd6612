// What one call into the workerd runtime costs (issue 10): workers/runtime-calls.js repeats
// one kind of call 1,000 times per request in bare `workerd serve`; CPU per request (from
// /proc) less the empty path's, over 1,000, is the cost of one call.
//
//   node benches/gateway/runtime-calls.mjs [--seconds N]     (needs Debian's `wrk`)
import { join } from "node:path";
import { parseArgs } from "node:util";
import { hasWrk, wrk } from "./lib/load.mjs";
import { startWorkerd } from "./lib/workerd.mjs";

const { values: opts } = parseArgs({ options: { seconds: { type: "string", default: "2" } } });
if (!hasWrk()) {
  console.error("wrk is missing: `sudo apt-get install wrk`");
  process.exit(2);
}
const CALLS = 1000;
const script = join(import.meta.dirname, "workers", "runtime-calls.js");
const server = await startWorkerd({ modules: [{ name: "runtime-calls.js", path: script, type: "esModule" }], bindings: {}, kvAddress: "127.0.0.1:9", cpu: 1, readyPath: "/empty" });
const paths = await (await fetch(`${server.url}/list`)).json(); // a 404 that lists the paths
const cpuPerRequest = async (path) => {
  const before = server.cpuMs();
  const r = await wrk(server.url, { method: "GET", path, headers: { authorization: "Bearer x" } }, { connections: 4, seconds: Number(opts.seconds), cpu: 0 });
  return (server.cpuMs() - before) / r.requests;
};
for (const path of paths) await cpuPerRequest(path); // warm-up: JIT, tier-up
const empty = await cpuPerRequest("/empty");
console.log(`| call (bare workerd, ${new Date().toISOString().slice(0, 10)}) | µs per call |`);
console.log("|---|---:|");
for (const path of paths.filter((p) => p !== "/empty")) {
  console.log(`| ${path.slice(1)} | ${(((await cpuPerRequest(path)) - empty) * 1000 / CALLS).toFixed(2)} |`);
}
await server.close();
