// The fake upstream (tests/support/fake-provider, real OpenAI wire format) in its own process,
// pinned to a CPU, so its work is never counted as a target's.
import { spawn } from "node:child_process";
import { join } from "node:path";
import { createInterface } from "node:readline";

const CLI = join(import.meta.dirname, "..", "..", "..", "tests", "support", "fake-provider", "cli.mjs");

export async function startUpstream({ cpu }) {
  const [command, args] = cpu === undefined
    ? [process.execPath, [CLI]]
    : ["taskset", ["-c", String(cpu), process.execPath, CLI]];
  const child = spawn(command, args, { stdio: ["ignore", "pipe", "inherit"] });
  const exited = new Promise((resolve) => child.once("exit", resolve));
  process.once("exit", () => child.kill("SIGKILL")); // never outlive the bench
  const [line] = await Promise.race([
    createInterface({ input: child.stdout })[Symbol.asyncIterator]().next().then((r) => [r.value]),
    exited.then((code) => { throw new Error(`the fake upstream exited with ${code}`); }),
  ]);
  const urls = JSON.parse(line);
  return {
    ...urls,
    openaiKey: "sk-test", // the fake's default
    /** Patches the fake's scenario (e.g. a delay on every chat). */
    async configure(patch) {
      const r = await fetch(`${urls.url}/__control/configure`, { method: "POST", body: JSON.stringify(patch) });
      if (!r.ok) throw new Error(`configure: ${r.status} ${await r.text()}`);
    },
    /** Forgets the requests it recorded (they pile up over a long run). */
    async forget() {
      await fetch(`${urls.url}/__control/reset`, { method: "POST" });
    },
    async close() {
      child.kill("SIGTERM");
      await exited;
    },
  };
}
