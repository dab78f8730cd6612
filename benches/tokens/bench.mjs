#!/usr/bin/env node
// Token counting, side by side: edge-llm's npm package against the JS tokenizers on npm.
//
//   node benches/tokens/bench.mjs            (after `npm run build` at the repo root)
//
// Installs the peers (benches/tokens/package-lock.json) and builds the corpus
// (benches/corpus/make-corpus.mjs) if they are missing, then for o200k_base and cl100k_base:
//   * init ms: a fresh `node` process per tokenizer imports it, makes the encoder and counts
//     "hello world"; median of --cold-runs processes (default 7). For edge-llm that is the
//     package import (read, compile and instantiate the wasm) plus the first count.
//   * MB/s: another fresh process counts every corpus document (one call per document, as
//     prompts are counted), one warm-up pass then timed passes; the median pass, and the
//     better of two such processes run in opposite orders (a shared machine is noisy).
//   * counts: every document's count is compared with the npm `tiktoken`'s.
//   * memory: a process that loads both vocabularies reports process.memoryUsage().
// Flags: --quick (fewer runs), --module PATH (an edge-llm build other than pkg/index.node.js).

import { execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readFileSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { gzipSync } from "node:zlib";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "../..");
const corpusPath = join(root, "benches/corpus/corpus.txt");
const args = process.argv.slice(2);
const flag = (name) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const edgeModule = resolve(flag("--module") ?? join(root, "pkg/index.node.js"));
const ENCODINGS = { o200k_base: "gpt-4o", cl100k_base: "gpt-4" };

// ---- Tokenizers: how to load each and count with it, special tokens as ordinary text. ----
const peers = createRequire(join(here, "package.json"));
const TOKENIZERS = {
  "edge-llm": async (encoding) => {
    const { countTokens } = await import(pathToFileURL(edgeModule).href);
    const model = ENCODINGS[encoding];
    return (text) => countTokens(text, model);
  },
  "gpt-tokenizer": async (encoding) => {
    const enc = await import(peers.resolve(`gpt-tokenizer/encoding/${encoding}`));
    return (text) => enc.countTokens(text, { disallowedSpecial: new Set() });
  },
  tiktoken: async (encoding) => {
    const enc = peers("tiktoken").get_encoding(encoding);
    return (text) => enc.encode_ordinary(text).length;
  },
  "js-tiktoken": async (encoding) => {
    const { getEncoding } = await import(peers.resolve("js-tiktoken"));
    const enc = getEncoding(encoding);
    return (text) => enc.encode(text, [], []).length;
  },
};
const REFERENCE = "tiktoken";

// ---- Child modes: one measurement per fresh process, result as JSON on stdout. ----
if (args[0] === "--child") {
  const [, mode, name, encoding] = args;
  const t0 = performance.now();
  const count = await TOKENIZERS[name](encoding);
  count("hello world");
  const init = performance.now() - t0;
  if (mode === "cold") {
    console.log(JSON.stringify({ init }));
  } else if (mode === "memory") {
    const other = Object.keys(ENCODINGS).find((e) => e !== encoding);
    (await TOKENIZERS[name](other))("hello world");
    globalThis.gc?.();
    const usage = process.memoryUsage();
    if (name === "edge-llm") {
      // The token module's glue hands back the live instance's exports, memory included
      // (the provider module is not loaded by counting).
      const glue = await import(pathToFileURL(join(dirname(edgeModule), "edge_llm_tokens.js")).href);
      usage.wasmMemory = glue.initSync?.().memory?.buffer.byteLength;
    }
    console.log(JSON.stringify(usage));
  } else {
    const docs = readFileSync(corpusPath, "utf8").split("\0");
    const bytes = docs.reduce((n, d) => n + Buffer.byteLength(d), 0);
    const counts = docs.map(count); // warm-up pass, and the counts
    const budget = Number(mode.split(":")[1]);
    const times = [];
    const start = performance.now();
    while (times.length < 3 || (performance.now() - start < budget && times.length < 9)) {
      const t = performance.now();
      for (const d of docs) count(d);
      times.push(performance.now() - t);
    }
    times.sort((a, b) => a - b);
    const median = times[times.length >> 1];
    console.log(JSON.stringify({ counts, mbps: bytes / 1e6 / (median / 1e3), passes: times.length }));
  }
  process.exit(0);
}

// ---- The parent: set up, run the children, print the tables. ----
function setUp() {
  if (!existsSync(edgeModule)) {
    console.error(`bench: ${edgeModule} is missing: build the npm package first (\`npm run build\` at the repo root).`);
    process.exit(1);
  }
  if (!existsSync(join(here, "node_modules/tiktoken"))) {
    console.log("bench: installing the peers (npm ci in benches/tokens)...");
    execFileSync("npm", ["ci", "--no-audit", "--no-fund"], { cwd: here, stdio: "inherit" });
  }
  if (!existsSync(corpusPath)) {
    execFileSync(process.execPath, [join(root, "benches/corpus/make-corpus.mjs")], { stdio: "inherit" });
  }
}

function child(mode, name, encoding) {
  const r = spawnSync(process.execPath, ["--expose-gc", fileURLToPath(import.meta.url), "--child", mode, name, encoding, ...(flag("--module") ? ["--module", edgeModule] : [])], {
    encoding: "utf8",
    maxBuffer: 64 << 20,
  });
  if (r.status !== 0) throw new Error(`${name} ${encoding} ${mode} failed:\n${r.stderr}`);
  return JSON.parse(r.stdout);
}

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const version = (name) =>
  name === "edge-llm"
    ? JSON.parse(readFileSync(join(dirname(edgeModule), "package.json"), "utf8")).version
    : JSON.parse(readFileSync(join(here, "node_modules", name, "package.json"), "utf8")).version;
const fmt = (x, digits = 1) => x.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });

setUp();
const quick = args.includes("--quick");
const coldRuns = Number(flag("--cold-runs") ?? (quick ? 3 : 7));
const budgetMs = quick ? 1500 : 4000;
const corpus = readFileSync(corpusPath, "utf8");
const docs = corpus.split("\0");
const corpusBytes = Buffer.byteLength(corpus);
console.log(
  `corpus: ${docs.length} documents, ${fmt(corpusBytes / 1e6, 2)} MB, sha256 ${createHash("sha256").update(corpus).digest("hex").slice(0, 16)}; ` +
    `node ${process.version}; ${coldRuns} cold processes per init figure`,
);

// Interleaved, so that a busy spell on a shared machine lands on every tokenizer alike:
// the cold runs round-robin, and the throughput runs twice, in opposite orders, keeping
// each tokenizer's better run.
const pairs = Object.keys(ENCODINGS).flatMap((encoding) => Object.keys(TOKENIZERS).map((name) => [encoding, name]));
const results = Object.fromEntries(Object.keys(ENCODINGS).map((e) => [e, {}]));
const colds = new Map(pairs.map((p) => [p.join(), []]));
for (let k = 0; k < coldRuns; k++) {
  process.stderr.write(`\r  cold starts: round ${k + 1}/${coldRuns}`);
  for (const [encoding, name] of pairs) colds.get(`${encoding},${name}`).push(child("cold", name, encoding).init);
}
process.stderr.write("\n");
for (const round of quick ? [0] : [0, 1]) {
  for (const [encoding, name] of round === 0 ? pairs : [...pairs].reverse()) {
    process.stderr.write(`  throughput ${encoding} ${name}...`);
    const { counts, mbps } = child(`speed:${budgetMs}`, name, encoding);
    const r = (results[encoding][name] ??= { init: median(colds.get(`${encoding},${name}`)), mbps: 0, counts });
    r.mbps = Math.max(r.mbps, mbps);
    process.stderr.write(` ${fmt(mbps)} MB/s\n`);
  }
}

const goals = [];
for (const [encoding, byName] of Object.entries(results)) {
  const reference = byName[REFERENCE].counts;
  const total = reference.reduce((a, b) => a + b, 0);
  const fastestPeer = Math.max(...Object.entries(byName).filter(([n]) => n !== "edge-llm").map(([, r]) => r.mbps));
  console.log(`\n${encoding} (${ENCODINGS[encoding]}), ${fmt(total, 0)} tokens by npm tiktoken:\n`);
  console.log("| tokenizer | version | init ms (cold) | MB/s | × fastest peer | counts vs tiktoken |");
  console.log("|---|---|---:|---:|---:|---|");
  for (const [name, r] of Object.entries(byName)) {
    const differ = r.counts.filter((c, i) => c !== reference[i]).length;
    const agree = differ === 0 ? `all ${docs.length} documents agree` : `**${differ} documents differ**`;
    console.log(`| ${name} | ${version(name)} | ${fmt(r.init)} | ${fmt(r.mbps)} | ${fmt(r.mbps / fastestPeer, 2)}× | ${agree} |`);
    if (name === "edge-llm") {
      goals.push([`${encoding}: throughput ≥ 3× the fastest peer`, r.mbps >= 3 * fastestPeer, `${fmt(r.mbps / fastestPeer, 2)}×`]);
      goals.push([`${encoding}: cold start to first count ≤ 20 ms`, r.init <= 20, `${fmt(r.init)} ms`]);
      goals.push([`${encoding}: every count equals tiktoken's`, differ === 0, agree]);
    }
  }
}

// The package's two wasm modules: counting loads only the first.
const wasmFiles = ["edge_llm_tokens_bg.wasm", "edge_llm_bg.wasm"].map((f) => join(dirname(edgeModule), f));
const memory = {};
for (const name of Object.keys(TOKENIZERS)) memory[name] = child("memory", name, "o200k_base");
console.log("\nmemory after both vocabularies have counted (MB; process.memoryUsage(), where a wasm memory counts as external):\n");
console.log("| tokenizer | rss | JS heap used | external | wasm linear memory |");
console.log("|---|---:|---:|---:|---:|");
for (const [name, m] of Object.entries(memory)) {
  const mb = (x) => (x === undefined ? "–" : fmt(x / 1e6));
  console.log(`| ${name} | ${mb(m.rss)} | ${mb(m.heapUsed)} | ${mb(m.external)} | ${mb(m.wasmMemory)} |`);
}
for (const path of wasmFiles.filter(existsSync)) {
  const wasm = readFileSync(path);
  console.log(`edge-llm ${basename(path)}: ${fmt(statSync(path).size / 1e6, 2)} MB raw, ${fmt(gzipSync(wasm, { level: 9 }).length / 1e6, 2)} MB gzip`);
}
console.log("\ngoals:");
for (const [what, ok, detail] of goals) console.log(`  ${ok ? "PASS" : "FAIL"}  ${what} (${detail})`);
process.exitCode = goals.every(([, ok]) => ok) ? 0 : 1;
