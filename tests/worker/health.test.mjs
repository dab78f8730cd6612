// GET /v1/health (contract §4): every configured provider probed in parallel, free probes by
// default (models endpoint, Ollama tags + model pulled), `?deep=1` a real 1-token call safe
// for reasoning models, 503 when one fails, a latency per provider.
import { test, before, after, beforeEach } from "node:test";
import assert from "node:assert/strict";
import { startWorker, OPENAI_KEY, ANTHROPIC_KEY } from "./support/worker.mjs";

let w;
before(async () => { w = await startWorker(); });
after(async () => { await w?.close(); });
beforeEach(() => { w.fake.reset(); });

const sent = (fake) => fake.requests.map((r) => `${r.method} ${r.path}`).sort();

async function withWorker(vars, fn) {
  const other = await startWorker({ vars });
  try {
    await fn(other);
  } finally {
    await other.close();
  }
}

test("default probes cost nothing: GET /models/{id} for each configured provider", async () => {
  const r = await w.api("GET", "/v1/health");
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.ok, true);
  assert.deepEqual(r.json.providers.map(({ latencyMs, ...p }) => p), [
    { kind: "llm", provider: "openai", model: "gpt-4o-mini", ok: true },
    { kind: "embedding", provider: "openai", model: "text-embedding-3-small", ok: true },
  ]);
  for (const p of r.json.providers) assert.ok(Number.isFinite(p.latencyMs) && p.latencyMs >= 0, JSON.stringify(p));
  assert.deepEqual(sent(w.fake), ["GET /openai/v1/models/gpt-4o-mini", "GET /openai/v1/models/text-embedding-3-small"]);
  assert.equal(w.fake.requests[0].headers.authorization, `Bearer ${OPENAI_KEY}`);
});

test("?deep=1 makes the real minimal calls", async () => {
  const r = await w.api("GET", "/v1/health?deep=1");
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(sent(w.fake), ["POST /openai/v1/chat/completions", "POST /openai/v1/embeddings"]);
  const chat = w.fake.requests.find((q) => q.path.endsWith("/chat/completions"));
  assert.equal(chat.json.model, "gpt-4o-mini");
  assert.equal(chat.json.max_tokens, 1);
  // deep=0 or another value is the free probe.
  w.fake.reset();
  assert.equal((await w.api("GET", "/v1/health?deep=0")).status, 200);
  assert.deepEqual(sent(w.fake), ["GET /openai/v1/models/gpt-4o-mini", "GET /openai/v1/models/text-embedding-3-small"]);
});

test("the deep probe is safe for reasoning models (max_completion_tokens)", async () => {
  await withWorker({ LLM_MODEL: "o3-mini", EMBEDDING_PROVIDER: undefined }, async (o) => {
    const r = await o.api("GET", "/v1/health?deep=1");
    assert.equal(r.status, 200, r.text);
    const [chat] = o.fake.requests;
    // A small budget that lets a reasoning model finish (with 1 it answers an error).
    assert.ok(chat.json.max_completion_tokens > 1 && chat.json.max_completion_tokens <= 64, JSON.stringify(chat.json));
    assert.ok(!("max_tokens" in chat.json), JSON.stringify(chat.json));
  });
});

test("one failing provider makes the whole answer a 503; the other still reports ok", async () => {
  await withWorker({ LLM_MODEL: "gpt-nope" }, async (o) => {
    const r = await o.api("GET", "/v1/health");
    assert.equal(r.status, 503, r.text);
    assert.equal(r.json.ok, false);
    const [llm, embedding] = r.json.providers;
    assert.equal(llm.ok, false);
    assert.match(llm.error, /^OpenAI LLM health check failed: 404 Not Found — .*gpt-nope/);
    assert.equal(embedding.ok, true);
    assert.ok(!("error" in embedding));
  });
});

test("Anthropic: GET /v1/models/{id} with its headers; deep is a 1-token message", async () => {
  await withWorker({ LLM_PROVIDER: "anthropic", LLM_MODEL: "claude-sonnet-4-5", EMBEDDING_PROVIDER: undefined }, async (a) => {
    const r = await a.api("GET", "/v1/health");
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json.providers.map((p) => [p.kind, p.provider, p.ok]), [["llm", "anthropic", true]]);
    const [probe] = a.fake.requests;
    assert.equal(`${probe.method} ${probe.path}`, "GET /anthropic/v1/models/claude-sonnet-4-5");
    assert.equal(probe.headers["x-api-key"], ANTHROPIC_KEY);
    assert.equal(probe.headers["anthropic-version"], "2023-06-01");
    a.fake.reset();
    const deep = await a.api("GET", "/v1/health?deep=1");
    assert.equal(deep.status, 200, deep.text);
    assert.equal(a.fake.requests[0].path, "/anthropic/v1/messages");
    assert.equal(a.fake.requests[0].json.max_tokens, 1);
  });
});

test("Ollama: /api/tags and the model must be pulled", async () => {
  const vars = (model) => (fake) => ({
    LLM_PROVIDER: "ollama", LLM_MODEL: model, LLM_URL: fake.ollamaUrl,
    EMBEDDING_PROVIDER: "ollama", EMBEDDING_MODEL: "nomic-embed-text", EMBEDDING_URL: fake.ollamaUrl,
  });
  await withWorker(vars("llama3.2"), async (o) => {
    const r = await o.api("GET", "/v1/health");
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(sent(o.fake), ["GET /ollama/api/tags", "GET /ollama/api/tags"]);
    o.fake.reset();
    const deep = await o.api("GET", "/v1/health?deep=1");
    assert.equal(deep.status, 200, deep.text);
    assert.deepEqual(sent(o.fake), ["POST /ollama/api/chat", "POST /ollama/api/embed"]);
  });
  await withWorker(vars("mistral"), async (o) => {
    const r = await o.api("GET", "/v1/health");
    assert.equal(r.status, 503, r.text);
    assert.equal(r.json.providers[0].ok, false);
    assert.match(r.json.providers[0].error, /model "mistral" is not pulled \(available: llama3\.2:latest/);
    assert.equal(r.json.providers[1].ok, true);
  });
});

test("latencyMs measures each probe, and the probes run in parallel", async () => {
  w.fake.configure({ faults: [{ path: "/models/", delayMs: 1000 }] });
  const started = Date.now();
  const r = await w.api("GET", "/v1/health");
  const took = Date.now() - started;
  assert.equal(r.status, 200, r.text);
  for (const p of r.json.providers) assert.ok(p.latencyMs >= 950 && p.latencyMs < 3000, JSON.stringify(p));
  assert.ok(took < 1900, `two 1 s probes took ${took} ms: not in parallel`);
});

test("a probe whose connection drops, or that answers 5xx, reports why", async () => {
  w.fake.configure({ faults: [{ path: "/models/gpt-4o-mini", drop: true }, { path: "/models/text-embedding", status: 500 }] });
  const r = await w.api("GET", "/v1/health");
  assert.equal(r.status, 503, r.text);
  const [llm, embedding] = r.json.providers;
  assert.equal(llm.ok, false);
  assert.ok(llm.error.length > 0, "the network error is named");
  assert.match(embedding.error, /^OpenAI embedding health check failed: 500 /);
});

test("a configured provider without credentials fails its check instead of the request", async () => {
  await withWorker({ OPENAI_API_KEY: undefined }, async (o) => {
    const r = await o.api("GET", "/v1/health");
    assert.equal(r.status, 503, r.text);
    for (const p of r.json.providers) {
      assert.equal(p.ok, false);
      assert.match(p.error, /not configured.*OPENAI_API_KEY/);
    }
    assert.equal(o.fake.requests.length, 0);
  });
});

test("an embedding provider without an embeddings API, or an unknown one, is reported", async () => {
  await withWorker({ EMBEDDING_PROVIDER: "anthropic", EMBEDDING_MODEL: "claude", LLM_PROVIDER: "cohere" }, async (o) => {
    const r = await o.api("GET", "/v1/health");
    assert.equal(r.status, 503, r.text);
    const [llm, embedding] = r.json.providers;
    assert.deepEqual([llm.kind, llm.ok], ["llm", false]);
    assert.match(llm.error, /cohere/);
    assert.deepEqual([embedding.kind, embedding.ok], ["embedding", false]);
    assert.match(embedding.error, /no embeddings API/);
  });
});

test("a probe that hangs is cut off by its timeout (5 s) and reported, not waited for", async () => {
  w.fake.configure({ faults: [{ path: "/models/gpt-4o-mini", delayMs: 20_000 }] });
  const started = Date.now();
  const r = await w.api("GET", "/v1/health");
  const took = Date.now() - started;
  assert.equal(r.status, 503, r.text);
  const [llm, embedding] = r.json.providers;
  assert.equal(llm.ok, false);
  assert.equal(llm.error, "OpenAI LLM health check failed: request timed out after 5000ms");
  assert.ok(llm.latencyMs >= 4900 && llm.latencyMs < 6500, JSON.stringify(llm));
  assert.equal(embedding.ok, true);
  assert.ok(took < 7000, `answered after ${took} ms`);
});
