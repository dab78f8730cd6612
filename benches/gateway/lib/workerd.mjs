// One target in bare `workerd serve` (no wrangler, no Miniflare): a config written for it, the
// process started pinned to a CPU, and its CPU time read from /proc, so CPU per request is
// the workerd process's own (the upstream and the load tool run in other processes).
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { freePort, waitForAnswer } from "./net.mjs";

const require = createRequire(import.meta.url);
/** The workerd binary Miniflare runs (npm package `workerd`, a dev dependency). */
export const WORKERD = join(require.resolve("workerd/package.json"), "..", "bin", "workerd");
const TICKS_PER_SECOND = 100; // USER_HZ, the unit of /proc/<pid>/stat times on Linux

/** Running workerd processes, killed if the bench exits first (an error, ^C). */
const live = new Set();
process.once("exit", () => { for (const child of live) child.kill("SIGKILL"); });

const capnpString = (s) => JSON.stringify(s); // capnp text strings take JSON's escapes

/**
 * The config: the target Worker with its bindings (all `text`: vars and secrets look alike to
 * a Worker), KV served by `kvAddress` (lib/kv-server.mjs), and an outbound network that may
 * reach loopback, where the fake upstream listens.
 * `modules`: [{name, path, type: "esModule" | "wasm"}]; the first is the entry.
 */
function config({ dir, modules, bindings, port, kvAddress, v8Flags }) {
  // capnp reads an absolute embed path against its import path, not the file system root.
  const mod = (m) => `(name = ${capnpString(m.name)}, ${m.type} = embed ${capnpString(relative(dir, m.path))})`;
  const text = Object.entries(bindings).map(([k, v]) => `(name = ${capnpString(k)}, text = ${capnpString(v)})`);
  return `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [
    (name = "target", worker = (
      modules = [${modules.map(mod).join(", ")}],
      compatibilityDate = "2025-11-01",
      bindings = [${[...text, '(name = "BATCHES", kvNamespace = "kv")'].join(", ")}],
    )),
    (name = "kv", external = (address = ${capnpString(kvAddress)}, http = ())),
    (name = "internet", network = (allow = ["public", "private", "local"])),
  ],
  v8Flags = [${v8Flags.map(capnpString).join(", ")}],
  sockets = [(name = "http", address = ${capnpString(`127.0.0.1:${port}`)}, http = (), service = "target")],
);
`;
}

/**
 * Starts `workerd serve` on a free loopback port; resolves once `readyPath` answers.
 * `cpu`: the CPU to pin it to (taskset), or undefined; `inspectorPort`: where workerd's
 * inspector listens (the V8 profiler, profile.mjs), or none; `v8Flags`: V8 flags for the
 * process (a diagnostic: production sets none). Resolves to
 * {url, pid, cpuMs(), startedAt, firstAnswerMs, close()}.
 */
export async function startWorkerd({ modules, bindings, kvAddress, cpu, readyPath = "/", headers = {}, inspectorPort, v8Flags = [] }) {
  const dir = mkdtempSync(join(tmpdir(), "edge-llm-bench-"));
  const port = await freePort();
  const file = join(dir, "config.capnp");
  writeFileSync(file, config({ dir, modules, bindings, port, kvAddress, v8Flags }));
  const serve = ["serve", file, ...(inspectorPort ? [`--inspector-addr=127.0.0.1:${inspectorPort}`] : [])];
  const [command, args] = cpu === undefined ? [WORKERD, serve] : ["taskset", ["-c", String(cpu), WORKERD, ...serve]];
  const startedAt = performance.now();
  const child = spawn(command, args, { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (d) => { stderr = (stderr + d).slice(-4000); });
  const exited = new Promise((resolve) => child.once("exit", resolve));
  live.add(child);
  exited.then(() => live.delete(child));
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitForAnswer(`${url}${readyPath}`, { headers, exited });
  } catch (e) {
    child.kill("SIGKILL");
    throw new Error(`workerd did not start: ${e.message}\n${stderr}`);
  }
  const firstAnswerMs = performance.now() - startedAt;
  return {
    url,
    pid: child.pid, // taskset execs workerd, so this is workerd's pid
    firstAnswerMs,
    stderr: () => stderr,
    /** CPU time (user + system) workerd has used so far, in ms. */
    cpuMs() {
      const fields = readFileSync(`/proc/${child.pid}/stat`, "utf8").split(") ")[1].split(" ");
      return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
    },
    async close() {
      child.kill("SIGTERM");
      await exited;
    },
  };
}
