// POST /v1/embeddings (OpenAI passed through, Ollama translated, base64 included) and
// GET /v1/models (what this gateway is configured for, in OpenAI's list shape).
import { test, before, after, beforeEach } from "node:test";
import assert from "node:assert/strict";
import { startWorker } from "./support/worker.mjs";

let w;
before(async () => {
  w = await startWorker({
    vars: (fake) => ({
      EMBEDDING_PROVIDER: "ollama", EMBEDDING_MODEL: "nomic-embed-text", EMBEDDING_URL: fake.ollamaUrl,
      MODELS: "anthropic/claude-sonnet-4-5, ollama/llama3.2 gpt-4.1",
    }),
  });
});
after(async () => { await w?.close(); });
beforeEach(() => { w.fake.reset(); });

const embed = (body) => w.api("POST", "/v1/embeddings", { body });
const sent = (path) => w.fake.requests.filter((r) => r.path.endsWith(path)).at(-1);
const decode = (b64) => Array.from(new Float32Array(Buffer.from(b64, "base64").buffer.slice(0)));

test("a bare model goes to EMBEDDING_PROVIDER (Ollama), answered in OpenAI's list shape", async () => {
  const r = await embed({ model: "nomic-embed-text", input: ["one", "two"] });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.headers.get("x-edge-llm-provider"), "ollama");
  assert.equal(r.json.object, "list");
  assert.equal(r.json.model, "nomic-embed-text");
  assert.deepEqual(r.json.data.map((d) => [d.object, d.index, d.embedding.length]), [["embedding", 0, 768], ["embedding", 1, 768]]);
  assert.ok(r.json.usage.prompt_tokens > 0 && r.json.usage.total_tokens === r.json.usage.prompt_tokens);
  assert.deepEqual(sent("/api/embed").json, { model: "nomic-embed-text", input: ["one", "two"] });
});

test("base64 from Ollama is little-endian float32, the same vector as floats", async () => {
  const floats = await embed({ model: "ollama/nomic-embed-text", input: "same" });
  const packed = await embed({ model: "ollama/nomic-embed-text", input: "same", encoding_format: "base64" });
  assert.equal(packed.status, 200, packed.text);
  const vector = decode(packed.json.data[0].embedding);
  assert.equal(vector.length, 768);
  vector.forEach((v, i) => assert.ok(Math.abs(v - floats.json.data[0].embedding[i]) < 1e-6, `component ${i}`));
});

test("openai/…: the client's body upstream, the answer passed through", async () => {
  const r = await embed({ model: "openai/text-embedding-3-small", input: "hi", dimensions: 16, encoding_format: "float", user: "u" });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.headers.get("x-edge-llm-provider"), "openai");
  assert.equal(r.json.data[0].embedding.length, 16);
  assert.deepEqual(sent("/embeddings").json, { model: "text-embedding-3-small", input: "hi", dimensions: 16, encoding_format: "float", user: "u" });
});

test("embedding errors in OpenAI's shape", async () => {
  for (const [body, status, param] of [
    [{ input: "x" }, 400, "model"],
    [{ model: "ollama/nomic-embed-text" }, 400, "input"],
    [{ model: "ollama/nomic-embed-text", input: [] }, 400, "input"],
    [{ model: "ollama/nomic-embed-text", input: [1, 2] }, 400, "input"],
    [{ model: "ollama/nomic-embed-text", input: "x", dimensions: 8 }, 400, "dimensions"],
    [{ model: "anthropic/claude-sonnet-4-5", input: "x" }, 400, "model"],
    [{ model: "openai/text-embedding-3-small", input: "x", encoding_format: "hex" }, 400, "encoding_format"],
  ]) {
    const r = await embed(body);
    assert.equal(r.status, status, `${JSON.stringify(body)} → ${r.text}`);
    assert.equal(r.json.error.param, param, JSON.stringify(body));
  }
  assert.equal(w.fake.requests.length, 0);
  const missing = await embed({ model: "ollama/all-minilm", input: "x" });
  assert.equal(missing.status, 404, missing.text);
  assert.equal((await embed({ model: "ollama/nomic-embed-text", input: "[[status:503]]" })).status, 503);
});

test("GET /v1/models lists the configured models as provider/model", async () => {
  const r = await w.api("GET", "/v1/models");
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.object, "list");
  assert.deepEqual(r.json.data.map((m) => m.id), [
    "openai/gpt-4o-mini", "ollama/nomic-embed-text", "anthropic/claude-sonnet-4-5", "ollama/llama3.2", "openai/gpt-4.1",
  ]);
  for (const m of r.json.data) {
    assert.deepEqual(Object.keys(m).sort(), ["created", "id", "object", "owned_by"]);
    assert.equal(m.object, "model");
    assert.equal(m.owned_by, m.id.split("/")[0]);
  }
  assert.equal(w.fake.requests.length, 0, "no upstream call");
  const one = await w.api("GET", "/v1/models/anthropic%2Fclaude-sonnet-4-5");
  assert.equal(one.status, 200, one.text);
  assert.equal(one.json.id, "anthropic/claude-sonnet-4-5");
  assert.equal((await w.api("GET", "/v1/models/ollama/llama3.2")).json.id, "ollama/llama3.2");
  const none = await w.api("GET", "/v1/models/openai/gpt-2");
  assert.equal(none.status, 404);
  assert.equal(none.json.error.code, "model_not_found");
  assert.equal((await w.api("GET", "/v1/models", { token: null })).status, 401);
  assert.equal((await w.api("POST", "/v1/models")).status, 405);
});

test("a provider this gateway has no credentials for is refused before any call", async () => {
  const bare = await startWorker({ vars: { ANTHROPIC_API_KEY: undefined, EMBEDDING_PROVIDER: undefined } });
  try {
    const r = await bare.api("POST", "/v1/chat/completions", { body: { model: "anthropic/claude-sonnet-4-5", messages: [{ role: "user", content: "x" }] } });
    assert.equal(r.status, 400, r.text);
    assert.deepEqual([r.json.error.param, r.json.error.code], ["model", "model_not_available"]);
    assert.match(r.json.error.message, /not configured on this gateway \(no ANTHROPIC_API_KEY secret\)/);
    const e = await bare.api("POST", "/v1/embeddings", { body: { model: "text-embedding-3-small", input: "x" } });
    assert.equal(e.status, 400, e.text);
    assert.match(e.json.error.message, /no EMBEDDING_PROVIDER/);
    assert.equal(bare.fake.requests.length, 0);
  } finally {
    await bare.close();
  }
});
