// The package itself: its entries export exactly the public names, package.json points at
// files that exist (with a `workerd` condition for Cloudflare Workers), and the hand-written
// edge-llm.d.ts parses, declares the contract's types and matches the runtime classes.

import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { execFileSync } from "node:child_process";
import { transformSync } from "esbuild";
import * as edge from "edge-llm";
import { PUBLIC_EXPORTS } from "../../npm/js/exports.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const pkg = join(root, "pkg");
const manifest = JSON.parse(readFileSync(join(pkg, "package.json"), "utf8"));
const dts = readFileSync(join(pkg, "edge-llm.d.ts"), "utf8");
const sorted = (xs) => [...xs].sort();

test("`edge-llm` resolves to the Node entry, which exports exactly the public names", () => {
  assert.ok(import.meta.resolve("edge-llm").endsWith("/pkg/index.node.js"), import.meta.resolve("edge-llm"));
  assert.deepEqual(sorted(Object.keys(edge)), sorted(PUBLIC_EXPORTS));
  for (const name of PUBLIC_EXPORTS) assert.equal(typeof edge[name], "function", name);
});

test("the web entry exports the same names plus init/initSync, says to init first, and works after initSync", async () => {
  const web = await import(join(pkg, "web.js"));
  assert.deepEqual(sorted(Object.keys(web)), sorted([...PUBLIC_EXPORTS, "default", "initSync"]));
  assert.throws(() => web.countTokens("hello"), /call `await init\(\)` before using the package/);
  assert.throws(() => new web.OpenAIChatProvider({ apiKey: "k", model: "gpt-4o" }), /call `await init\(\)`/);
  web.initSync({ tokens: readFileSync(join(pkg, "edge_llm_tokens_bg.wasm")), providers: readFileSync(join(pkg, "edge_llm_bg.wasm")) });
  assert.equal(web.countTokens("hello world"), 2);
  assert.equal(new web.OpenAIChatProvider({ apiKey: "k", model: "gpt-4" }).countTokens("hello world"), 2);
});

test("the workerd entry imports both .wasm files as modules and exports the same names", () => {
  const text = readFileSync(join(pkg, "index.workerd.js"), "utf8");
  assert.match(text, /^import \w+ from "\.\/edge_llm_bg\.wasm";$/m);
  assert.match(text, /^import \w+ from "\.\/edge_llm_tokens_bg\.wasm";$/m);
  assert.doesNotMatch(text, /readFileSync|fetch\(|WebAssembly\.compile|node:/);
  const exported = /export const \{([^}]*)\} = api;/.exec(text);
  assert.ok(exported, "no exports");
  assert.deepEqual(sorted(exported[1].split(",").map((s) => s.trim()).filter(Boolean)), sorted(PUBLIC_EXPORTS));
});

test("counting needs only the token module: the provider module loads on first use", async () => {
  const code = `
    const m = await import(${JSON.stringify(join(pkg, "index.node.js"))});
    const providers = await import(${JSON.stringify(join(pkg, "edge_llm.js"))});
    const before = (() => { try { providers.initSync(); return "loaded"; } catch { return "not loaded"; } })();
    m.countTokens("hi");
    const counted = (() => { try { providers.initSync(); return "loaded"; } catch { return "not loaded"; } })();
    const p = new m.OpenAIChatProvider({ apiKey: "k", model: "gpt-4o" });
    const factory = new m.ServiceFactory({ llm: { provider: "openai", url: "", model: "gpt-4", apiKey: "k" } }).createLLMProvider();
    console.log(JSON.stringify([before, counted, p.countTokens("hello world"), factory instanceof m.OpenAIChatProvider, factory.countTokens("hello world")]));`;
  const out = execFileSync(process.execPath, ["--input-type=module", "-e", code], { encoding: "utf8" });
  assert.deepEqual(JSON.parse(out), ["not loaded", "not loaded", 2, true, 2]);
});

test("package.json: ESM, conditions in the right order, every referenced file exists", () => {
  assert.equal(manifest.name, "edge-llm");
  assert.equal(manifest.type, "module");
  const dot = manifest.exports["."];
  assert.deepEqual(Object.keys(dot), ["types", "workerd", "browser", "default"], "types first, workerd before browser, default last");
  assert.equal(dot.workerd, "./index.workerd.js");
  // Browser bundlers must not get the Node entry (it reads the .wasm with node:fs).
  assert.equal(dot.browser, "./web.js");
  assert.equal(dot.default, "./index.node.js");
  const referenced = [manifest.main, manifest.types, ...Object.values(manifest.exports).flatMap((e) => (typeof e === "string" ? [e] : Object.values(e)))];
  for (const file of referenced) assert.ok(existsSync(join(pkg, file)), `${file} is missing`);
  for (const file of manifest.files) assert.ok(existsSync(join(pkg, file)), `files lists ${file}, which is missing`);
  const built = readdirSync(pkg).filter((f) => f !== "package.json");
  assert.deepEqual(sorted(built), sorted(manifest.files), "pkg/ holds exactly the published files");
});

test("npm pack would publish the package's files", () => {
  const out = execFileSync("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], { cwd: pkg, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
  const [{ files }] = JSON.parse(out);
  assert.deepEqual(sorted(files.map((f) => f.path)), sorted([...manifest.files, "package.json"]));
});

test("edge-llm.d.ts parses as TypeScript and uses no `any`", () => {
  transformSync(dts, { loader: "ts" }); // throws on a syntax error
  const code = dts.replace(/\/\*[\s\S]*?\*\//g, "").replace(/\/\/.*$/gm, "");
  assert.doesNotMatch(code, /\bany\b/);
});

test("edge-llm.d.ts declares every public name and the contract's types", () => {
  for (const name of PUBLIC_EXPORTS) {
    assert.match(dts, new RegExp(`export declare (class|function) ${name}\\b`), name);
  }
  for (const type of ["Role", "Message", "TokenUsage", "ChatResult", "BatchChatRequest", "BatchChatResult", "BatchChatOptions", "Logger", "FetchFn", "ResponseLike", "ProviderConfig", "HealthCheckResult"]) {
    assert.match(dts, new RegExp(`export (interface|type) ${type}\\b`), type);
  }
  assert.match(dts, /export type Role = "system" \| "user" \| "assistant";/);
  assert.match(dts, /provider: "openai" \| "anthropic" \| "ollama";/);
  assert.match(dts, /checkLLMHealth\(config: HealthCheckConfig, fetchFn\?: FetchFn\): Promise<HealthCheckResult>/);
  assert.match(dts, /countTokens\(text: string, model\?: string\): number/);
});

/** The member names each `declare class` block of the d.ts lists. */
/** Every class's members: its own, and those of the interfaces merged into it (`export
 * interface X extends Y {}`) and theirs, recursively. */
function declaredMembers() {
  const names = (body) => [...body.matchAll(/^\s+(?:readonly\s+)?(\w+)\s*[(:?]/gm)].map((x) => x[1]).filter((n) => n !== "constructor");
  const interfaces = {};
  for (const m of dts.matchAll(/export interface (\w+)(?: extends ([\w, ]+))? \{([\s\S]*?)\}/g)) {
    interfaces[m[1]] = [...(interfaces[m[1]] ?? []), { parents: (m[2] ?? "").split(",").map((x) => x.trim()).filter(Boolean), own: names(m[3]) }];
  }
  const of = (name) => (interfaces[name] ?? []).flatMap(({ parents, own }) => [...own, ...parents.flatMap(of)]);
  const classes = {};
  for (const m of dts.matchAll(/export declare class (\w+)[^{]*\{([\s\S]*?)\n\}/g)) {
    classes[m[1]] = [...new Set([...names(m[2]), ...of(m[1])])];
  }
  return classes;
}

test("every member the d.ts declares exists at run time", () => {
  const classes = declaredMembers();
  assert.deepEqual(sorted(Object.keys(classes)), sorted(PUBLIC_EXPORTS.filter((n) => /^[A-Z]/.test(n))));
  const make = {
    ServiceFactory: () => new edge.ServiceFactory({ llm: { provider: "openai", url: "", model: "gpt-4o", apiKey: "k" } }),
  };
  for (const [name, members] of Object.entries(classes)) {
    assert.ok(members.length > 0, name);
    const instance = make[name]?.() ?? new edge[name]({ apiKey: "k", model: "gpt-4o" });
    for (const member of members) {
      assert.ok(member in instance, `${name}.${member} is declared but missing`);
      if (dts.includes(`readonly ${member}:`)) assert.notEqual(typeof instance[member], "function", `${name}.${member} should be a value`);
    }
  }
});

test("a constructor without options or with a bad fetchFn throws an Error naming the class", () => {
  assert.throws(() => new edge.OpenAIChatProvider(), /OpenAIChatProvider/);
  assert.throws(() => new edge.OpenAIChatProvider({ apiKey: "k" }), /OpenAIChatProvider: options\.model/);
  assert.throws(() => new edge.AnthropicChatProvider({ apiKey: "k", model: "m", fetchFn: "nope" }), /fetchFn must be a function/);
});
