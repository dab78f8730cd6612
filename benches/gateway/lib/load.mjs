// The load tool: wrk (Debian package `wrk`) pinned to its own CPU, driven by a generated Lua
// script that sends one request shape and reports JSON. Without wrk (or for a smoke run) a
// small Node driver does the same on fewer requests; its figures are not comparable to wrk's.
import { execFile, execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

export function hasWrk() {
  try {
    execFileSync("wrk", ["--version"], { stdio: "ignore" });
    return true;
  } catch (e) {
    return e.status === 1; // wrk --version prints its version and exits 1
  }
}

const lua = (s) => JSON.stringify(s); // Lua accepts JSON's string escapes for these bodies

function script({ method, headers, body }) {
  return `wrk.method = ${lua(method)}
${body === undefined ? "" : `wrk.body = ${lua(body)}`}
${Object.entries(headers).map(([k, v]) => `wrk.headers[${lua(k)}] = ${lua(v)}`).join("\n")}
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('\\n@@{"requests":%d,"durationUs":%d,"errors":%d,"non2xx":%d,"p50Us":%d,"p99Us":%d}\\n',
    summary.requests, summary.duration, e.connect + e.read + e.write + e.timeout, e.status,
    latency:percentile(50), latency:percentile(99)))
end
`;
}

/**
 * Sends `shape` ({method, path, headers, body}) to `url` from `connections` connections for
 * `seconds`; resolves to {requests, rps, errors, p50Ms, p99Ms}.
 */
export async function wrk(url, shape, { connections, seconds, cpu }) {
  const dir = mkdtempSync(join(tmpdir(), "edge-llm-wrk-"));
  const file = join(dir, "shape.lua");
  writeFileSync(file, script(shape));
  const args = ["-t1", `-c${connections}`, `-d${seconds}s`, "-s", file, `${url}${shape.path}`];
  const [command, argv] = cpu === undefined ? ["wrk", args] : ["taskset", ["-c", String(cpu), "wrk", ...args]];
  const { stdout } = await promisify(execFile)(command, argv);
  const report = JSON.parse(stdout.split("@@")[1]);
  return {
    requests: report.requests,
    rps: report.requests / (report.durationUs / 1e6),
    errors: report.errors + report.non2xx,
    p50Ms: report.p50Us / 1000,
    p99Ms: report.p99Us / 1000,
  };
}

/** The Node driver: `connections` loops of fetch for `seconds` (a smoke run's load). */
export async function nodeLoad(url, shape, { connections, seconds }) {
  const times = [];
  let errors = 0;
  const started = performance.now();
  const end = started + seconds * 1000;
  const loop = async () => {
    while (performance.now() < end) {
      const t = performance.now();
      const response = await fetch(`${url}${shape.path}`, { method: shape.method, headers: shape.headers, body: shape.body });
      await response.arrayBuffer();
      if (response.status >= 300) errors++;
      times.push(performance.now() - t);
    }
  };
  await Promise.all(Array.from({ length: connections }, loop));
  const sorted = times.sort((a, b) => a - b);
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return { requests: times.length, rps: times.length / ((performance.now() - started) / 1000), errors, p50Ms: at(0.5), p99Ms: at(0.99) };
}
