// Starts the built Worker (build/, from scripts/build-worker.sh) in workerd through Miniflare,
// with local KV and the fake provider as upstream. Needs Node >= 22 (Miniflare 5).
import { Miniflare, convertV4MiniflareOptions } from "miniflare";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";
import { existsSync } from "node:fs";
import { startFakeProvider } from "../../support/fake-provider/index.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
export const GATEWAY_TOKEN = "gw-test-token-0123456789";
export const OPENAI_KEY = "sk-test";
export const ANTHROPIC_KEY = "sk-ant-test";

/**
 * A running Worker and fake provider.
 * `vars` override the defaults (the fake as OpenAI and Anthropic upstream, fast polling).
 */
export async function startWorker({ vars = {}, fakeOptions = {} } = {}) {
  if (!existsSync(join(root, "build", "index.js"))) {
    throw new Error("build/ is missing: run `bash scripts/build-worker.sh` first");
  }
  const fake = await startFakeProvider({ openaiKey: OPENAI_KEY, anthropicKey: ANTHROPIC_KEY, ...fakeOptions });
  const logs = [];
  const bindings = {
    LLM_PROVIDER: "openai",
    LLM_MODEL: "gpt-4o-mini",
    LLM_URL: "",
    EMBEDDING_PROVIDER: "openai",
    EMBEDDING_MODEL: "text-embedding-3-small",
    EMBEDDING_URL: "",
    OPENAI_BASE_URL: fake.openaiBaseUrl,
    ANTHROPIC_BASE_URL: fake.anthropicBaseUrl,
    BATCH_POLL_INTERVAL_MS: "1",
    BATCH_MAX_POLL_INTERVAL_MS: "1",
    OPENAI_API_KEY: OPENAI_KEY,
    ANTHROPIC_API_KEY: ANTHROPIC_KEY,
    GATEWAY_TOKEN,
    ...vars,
  };
  for (const [k, v] of Object.entries(bindings)) if (v === undefined) delete bindings[k];
  const mf = new Miniflare(
    convertV4MiniflareOptions({
      modules: [
        { type: "ESModule", path: join(root, "build", "index.js") },
        { type: "CompiledWasm", path: join(root, "build", "index_bg.wasm") },
      ],
      modulesRoot: join(root, "build"),
      compatibilityDate: "2025-11-01",
      kvNamespaces: ["BATCHES"],
      bindings,
      handleStructuredLogs: (log) => logs.push(log),
    }),
  );
  await mf.ready;
  const worker = await mf.getWorker();
  const kv = await mf.getKVNamespace("BATCHES");
  const api = async (method, path, { body, token = GATEWAY_TOKEN, headers = {} } = {}) => {
    const init = { method, headers: { ...headers } };
    if (token !== null) init.headers.authorization = `Bearer ${token}`;
    if (body !== undefined) {
      init.body = typeof body === "string" ? body : JSON.stringify(body);
      init.headers["content-type"] = "application/json";
    }
    const res = await mf.dispatchFetch(`http://localhost${path}`, init);
    const text = await res.text();
    let json;
    try { json = JSON.parse(text); } catch { json = undefined; }
    return { status: res.status, headers: res.headers, text, json };
  };
  /** One cron run, as the trigger fires it. */
  const cron = (scheduledTime = Date.now()) => worker.scheduled({ cron: "* * * * *", scheduledTime: new Date(scheduledTime) });
  return {
    mf, fake, kv, api, cron, logs,
    async close() {
      await mf.dispose();
      await fake.close();
    },
  };
}

/** Runs cron until the batch leaves `open` statuses (bounded), returning the last status. */
export async function cronUntilDone(w, id, maxRuns = 30) {
  let status;
  for (let i = 0; i < maxRuns; i++) {
    await w.cron();
    status = (await w.api("GET", `/v1/batches/${id}`)).json;
    if (["completed", "failed", "expired", "cancelled"].includes(status.status)) return status;
  }
  throw new Error(`batch ${id} still ${status?.status} after ${maxRuns} cron runs`);
}
