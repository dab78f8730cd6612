#!/usr/bin/env node
// Builds the npm package into pkg/: two wasm modules (release) — the token counter and the
// providers, see npm/js/surface.js — their wasm-bindgen glue (--target web, one .wasm for
// every host), and three tiny entries:
//   index.node.js     Node/Deno/Bun: instantiates synchronously, no init call needed
//   index.workerd.js  Cloudflare Workers: the .wasm imported as a module (workerd forbids
//                     compiling wasm from bytes at run time)
//   web.js            browsers: `await init()` first
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, rmSync, writeFileSync, statSync, readFileSync, symlinkSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { PUBLIC_EXPORTS } from "../npm/js/exports.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const pkg = join(root, "pkg");
const js = join(root, "npm", "js");
const run = (cmd, args) => execFileSync(cmd, args, { cwd: root, stdio: "inherit" });

run("cargo", ["build", "--release", "--locked", "-p", "edge-llm-npm", "-p", "edge-llm-npm-tokens", "--target", "wasm32-unknown-unknown"]);
rmSync(pkg, { recursive: true, force: true });
mkdirSync(pkg);
const release = join(root, "target", "wasm32-unknown-unknown", "release");
const bindgen = (crate, name) => run("wasm-bindgen", ["--target", "web", "--no-typescript", "--out-dir", pkg, "--out-name", name, join(release, `${crate}.wasm`)]);
bindgen("edge_llm_npm", "edge_llm");
bindgen("edge_llm_npm_tokens", "edge_llm_tokens");

// Every entry exports the same names, from surface.js (see there why two modules).
const names = PUBLIC_EXPORTS.join(",\n  ");
const entry = (preamble) =>
  `${preamble}\nexport const {\n  ${names},\n} = api;\n`;
const imports =
  `import * as providers from "./edge_llm.js";\nimport * as tokens from "./edge_llm_tokens.js";\nimport { surface } from "./surface.js";\n\n` +
  `const NAMES = ${JSON.stringify(PUBLIC_EXPORTS)};\n`;
writeFileSync(
  join(pkg, "index.node.js"),
  entry(
    `// Node, Deno, Bun: no init call. The token module is instantiated on import, the provider\n` +
      `// module on first use of a class or function.\n` +
      `import { readFileSync } from "node:fs";\n${imports}\n` +
      `const file = (name) => readFileSync(new URL(name, import.meta.url));\n` +
      `tokens.initSync({ module: file("./edge_llm_tokens_bg.wasm") });\n` +
      `const api = surface(NAMES, {\n  tokens: () => {},\n  providers: () => providers.initSync({ module: file("./edge_llm_bg.wasm") }),\n});\n`,
  ),
);
writeFileSync(
  join(pkg, "index.workerd.js"),
  entry(
    `// Cloudflare Workers: wrangler bundles each .wasm as a compiled module (workerd forbids\n` +
      `// compiling wasm from bytes at run time).\n` +
      `import tokensModule from "./edge_llm_tokens_bg.wasm";\nimport providersModule from "./edge_llm_bg.wasm";\n${imports}\n` +
      `tokens.initSync({ module: tokensModule });\n` +
      `const api = surface(NAMES, {\n  tokens: () => {},\n  providers: () => providers.initSync({ module: providersModule }),\n});\n`,
  ),
);
writeFileSync(
  join(pkg, "web.js"),
  entry(
    `// Browsers: \`await init()\` first; it fetches both wasm modules next to this file.\n${imports}\n` +
      `let initialized = false;\n` +
      `/** Loads both modules; \`options.tokens\` / \`options.providers\` override where from. */\n` +
      `export default async function init(options = {}) {\n` +
      `  await Promise.all([tokens.default(options.tokens), providers.default(options.providers)]);\n` +
      `  initialized = true;\n}\n` +
      `/** The same from bytes or compiled modules you already have: \`{ tokens, providers }\`. */\n` +
      `export function initSync({ tokens: tokensModule, providers: providersModule }) {\n` +
      `  tokens.initSync({ module: tokensModule });\n` +
      `  providers.initSync({ module: providersModule });\n` +
      `  initialized = true;\n}\n` +
      `const notYet = () => {\n  if (!initialized) throw new Error("edge-llm/web: call \`await init()\` before using the package");\n};\n` +
      `const api = surface(NAMES, { tokens: notYet, providers: notYet });\n`,
  ),
);
for (const file of ["package.json", "edge-llm.d.ts", "web.d.ts", "README.md", "surface.js"]) {
  copyFileSync(join(js, file), join(pkg, file));
}

// Tests and examples import the package by its name, as a consumer would.
mkdirSync(join(root, "node_modules"), { recursive: true });
rmSync(join(root, "node_modules", "edge-llm"), { recursive: true, force: true });
symlinkSync("../pkg", join(root, "node_modules", "edge-llm"), "dir");

// The demo page loads the browser entry from www/pkg/ (served by the Worker's assets).
const www = join(root, "www", "pkg");
rmSync(www, { recursive: true, force: true });
mkdirSync(www, { recursive: true });
for (const file of ["web.js", "surface.js", "edge_llm.js", "edge_llm_bg.wasm", "edge_llm_tokens.js", "edge_llm_tokens_bg.wasm"]) {
  copyFileSync(join(pkg, file), join(www, file));
}

const kb = (n) => `${(n / 1024).toFixed(0)} KiB`;
for (const file of ["edge_llm_tokens_bg.wasm", "edge_llm_bg.wasm"]) {
  const wasm = readFileSync(join(pkg, file));
  console.log(`pkg/${file}: ${kb(statSync(join(pkg, file)).size)} raw, ${kb(gzipSync(wasm, { level: 9 }).length)} gzip`);
}
