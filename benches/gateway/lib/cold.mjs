// Cold start: from spawning `workerd serve` to the first answer, per target (median of
// `times` fresh processes). The wasm's share comes from a third config that loads the same
// wasm module but never instantiates it (workers/wasm-only.js): its extra time over the
// forwarder is compiling the module; the Worker's extra time over it is instantiating the
// module and the glue, and the first request.
import { join } from "node:path";
import { startWorkerd } from "./workerd.mjs";

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export async function coldStarts({ targets, v8Flags, bindings, kvAddress, cpu, times }) {
  const wasm = targets["edge-llm"].modules.find((m) => m.type === "wasm");
  const variants = {
    ...targets,
    "wasm only": { modules: [{ name: "wasm-only.js", path: join(import.meta.dirname, "..", "workers", "wasm-only.js"), type: "esModule" }, wasm], readyPath: "/" },
  };
  const samples = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
  for (let i = 0; i < times; i++) {
    for (const [name, v] of Object.entries(variants)) {
      const server = await startWorkerd({ modules: v.modules, bindings, kvAddress, cpu, readyPath: v.readyPath, v8Flags });
      samples[name].push(server.firstAnswerMs);
      await server.close();
    }
  }
  const [forwarder, wasmOnly, ours] = ["forwarder", "wasm only", "edge-llm"].map((k) => median(samples[k]));
  return [
    { target: "forwarder", firstAnswerMs: forwarder },
    { target: "edge-llm", firstAnswerMs: ours, compileMs: wasmOnly - forwarder, instantiateMs: ours - wasmOnly },
  ];
}
