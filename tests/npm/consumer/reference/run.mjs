#!/usr/bin/env node
// Runs the consumer suite (tests/npm/consumer/*.test.mjs) unchanged against the TypeScript
// reference that edge-llm replaces, to show the suite tests the contract and not edge-llm.
//
// The reference is read from the contract folder beside the repository at run time (it is
// not ours to copy in): <repo>/../shared/contract/reference, or EDGE_LLM_REFERENCE_DIR. A
// clone with nothing beside it skips this run with one line saying so and exits 0; CI has
// the folder and runs it.
//
// The .ts files are transpiled with esbuild into a temporary directory, next to stand-ins
// for the modules they import that the contract folder does not hold:
//   ./llm-provider.js, ../logger.js  type-only imports; esbuild removes them
//   ./token-counting.js              a stand-in (≈ 4 characters a token), so exact token
//                                    counts are contract-only tests
// A module resolve hook, loaded in every test process through NODE_OPTIONS, maps the
// specifier "edge-llm" to the transpiled reference; EDGE_LLM_TARGET=reference makes the
// contract-only tests skip (see ../target.mjs).

import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { transformSync } from "esbuild";

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, "..", "..", "..", "..");
const explicitDir = process.env.EDGE_LLM_REFERENCE_DIR;
const referenceDir = explicitDir ?? resolve(repo, "..", "shared", "contract", "reference");
const MODULES = ["openai-chat-provider", "openai-batch-chat-provider", "provider-health"];

// No folder beside the repository is a normal clone: skip. A folder asked for by name, or
// one that exists without the modules, is a broken setup: fail.
if (!explicitDir && !existsSync(referenceDir)) {
  console.log(`SKIP consumer suite against the TypeScript reference: ${referenceDir} does not exist (the reference is not part of this repository; set EDGE_LLM_REFERENCE_DIR to run it)`);
  process.exit(0);
}
for (const name of MODULES) {
  if (!existsSync(join(referenceDir, `${name}.ts`))) {
    console.error(`The TypeScript reference has no ${name}.ts: ${join(referenceDir, `${name}.ts`)} is missing.`);
    process.exit(1);
  }
}

const out = mkdtempSync(join(tmpdir(), "edge-llm-reference-"));
const lib = join(out, "lib");
mkdirSync(lib);
writeFileSync(join(out, "package.json"), JSON.stringify({ type: "module" }));
for (const name of MODULES) {
  const { code } = transformSync(readFileSync(join(referenceDir, `${name}.ts`), "utf8"), { loader: "ts", format: "esm", target: "es2022", sourcefile: `${name}.ts` });
  writeFileSync(join(lib, `${name}.js`), code);
}
writeFileSync(
  join(lib, "token-counting.js"),
  `// Stand-in for the reference's tokenizer module (not in the contract folder).
export const createTiktokenEncoder = (model) => ({ model });
export const countTokensTiktoken = (_encoder, text) => Math.ceil(text.length / 4);
`,
);
writeFileSync(
  join(out, "index.js"),
  `export { OpenAIChatProvider } from "./lib/openai-chat-provider.js";
export { OpenAIBatchChatProvider } from "./lib/openai-batch-chat-provider.js";
export { checkLLMHealth, checkEmbeddingHealth } from "./lib/provider-health.js";
`,
);
writeFileSync(
  join(out, "hooks.js"),
  `const target = new URL("./index.js", import.meta.url).href;
export async function resolve(specifier, context, next) {
  return specifier === "edge-llm" ? { url: target, shortCircuit: true } : next(specifier, context);
}
`,
);
writeFileSync(join(out, "register.js"), `import { register } from "node:module";\nregister("./hooks.js", import.meta.url);\n`);

const consumerDir = resolve(here, "..");
const files = readdirSync(consumerDir).filter((f) => f.endsWith(".test.mjs")).map((f) => join(consumerDir, f));
const nodeOptions = [process.env.NODE_OPTIONS, `--import=${pathToFileURL(join(out, "register.js")).href}`].filter(Boolean).join(" ");
const run = spawnSync(process.execPath, ["--test", `--test-reporter=${process.env.TEST_REPORTER ?? "spec"}`, ...files], {
  stdio: "inherit",
  env: { ...process.env, NODE_OPTIONS: nodeOptions, EDGE_LLM_TARGET: "reference" },
});
rmSync(out, { recursive: true, force: true });
process.exit(run.status ?? 1);
