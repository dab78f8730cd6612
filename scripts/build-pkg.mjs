#!/usr/bin/env node
// Builds the npm package into pkg/: the wasm (release), its wasm-bindgen glue (--target web,
// one .wasm for every host), and three tiny entries:
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

run("cargo", ["build", "--release", "--locked", "-p", "edge-llm-npm", "--target", "wasm32-unknown-unknown"]);
rmSync(pkg, { recursive: true, force: true });
mkdirSync(pkg);
const wasmIn = join(root, "target", "wasm32-unknown-unknown", "release", "edge_llm_npm.wasm");
run("wasm-bindgen", ["--target", "web", "--no-typescript", "--out-dir", pkg, "--out-name", "edge_llm", wasmIn]);

const names = PUBLIC_EXPORTS.join(",\n  ");
const entry = (preamble) => `${preamble}\nexport {\n  ${names},\n} from "./edge_llm.js";\n`;
writeFileSync(
  join(pkg, "index.node.js"),
  entry(
    `// Node, Deno, Bun: the module is compiled and instantiated on import; no init call.\n` +
      `import { readFileSync } from "node:fs";\nimport { initSync } from "./edge_llm.js";\n\n` +
      `initSync({ module: readFileSync(new URL("./edge_llm_bg.wasm", import.meta.url)) });\n`,
  ),
);
writeFileSync(
  join(pkg, "index.workerd.js"),
  entry(
    `// Cloudflare Workers: wrangler bundles the .wasm as a compiled module.\n` +
      `import wasmModule from "./edge_llm_bg.wasm";\nimport { initSync } from "./edge_llm.js";\n\n` +
      `initSync({ module: wasmModule });\n`,
  ),
);
writeFileSync(join(pkg, "web.js"), entry(`// Browsers: \`await init()\` before using anything.\nexport { default, initSync } from "./edge_llm.js";`));
for (const file of ["package.json", "edge-llm.d.ts", "web.d.ts", "README.md"]) {
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
for (const file of ["web.js", "edge_llm.js", "edge_llm_bg.wasm"]) copyFileSync(join(pkg, file), join(www, file));

const wasm = readFileSync(join(pkg, "edge_llm_bg.wasm"));
const kb = (n) => `${(n / 1024).toFixed(0)} KiB`;
console.log(`pkg/edge_llm_bg.wasm: ${kb(statSync(join(pkg, "edge_llm_bg.wasm")).size)} raw, ${kb(gzipSync(wasm, { level: 9 }).length)} gzip`);
