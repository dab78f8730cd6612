// checkLLMHealth / checkEmbeddingHealth (contract §3): the reference's probes, its exact
// failure messages, never a rejection, and `error` absent (not undefined-valued) when ok.

import { test } from "node:test";
import assert from "node:assert/strict";
import { checkEmbeddingHealth, checkLLMHealth } from "edge-llm";
import { errorResponse, fetchDouble, jsonResponse, sequence } from "./support/doubles.mjs";

const cfg = (provider, extra = {}) => ({ provider, apiKey: "sk-test", model: "gpt-4o", url: "http://localhost:11434", ...extra });

function assertOk(result) {
  assert.deepEqual(result, { ok: true });
  assert.deepEqual(Object.keys(result), ["ok"]);
  assert.equal("error" in result, false);
}

test("OpenAI LLM: a 1-token chat call, exactly the reference's", async () => {
  const fetchFn = sequence(jsonResponse({ choices: [] }));
  assertOk(await checkLLMHealth(cfg("openai"), fetchFn));
  assert.equal(fetchFn.calls[0].url, "https://api.openai.com/v1/chat/completions");
  assert.deepEqual(fetchFn.calls[0].init, {
    method: "POST",
    headers: { "Content-Type": "application/json", Authorization: "Bearer sk-test" },
    body: '{"model":"gpt-4o","max_tokens":1,"messages":[{"role":"user","content":"hi"}]}',
  });
});

test("Anthropic LLM: a 1-token messages call", async () => {
  const fetchFn = sequence(jsonResponse({ content: [] }));
  assertOk(await checkLLMHealth(cfg("anthropic", { model: "claude-sonnet-4-5", apiKey: "sk-ant" }), fetchFn));
  assert.equal(fetchFn.calls[0].url, "https://api.anthropic.com/v1/messages");
  assert.deepEqual(fetchFn.calls[0].init, {
    method: "POST",
    headers: { "Content-Type": "application/json", "x-api-key": "sk-ant", "anthropic-version": "2023-06-01" },
    body: '{"model":"claude-sonnet-4-5","max_tokens":1,"messages":[{"role":"user","content":"hi"}]}',
  });
});

test("Ollama: GET {url}/api/tags with init exactly {method: \"GET\"}", async () => {
  for (const check of [checkLLMHealth, checkEmbeddingHealth]) {
    const fetchFn = sequence(jsonResponse({ models: [] }));
    assertOk(await check(cfg("ollama", { url: "http://gpu:11434" }), fetchFn));
    assert.equal(fetchFn.calls[0].url, "http://gpu:11434/api/tags");
    assert.deepEqual(fetchFn.calls[0].init, { method: "GET" });
  }
});

test("OpenAI embedding: one embeddings call", async () => {
  const fetchFn = sequence(jsonResponse({ data: [] }));
  assertOk(await checkEmbeddingHealth(cfg("openai", { model: "text-embedding-3-small" }), fetchFn));
  assert.equal(fetchFn.calls[0].url, "https://api.openai.com/v1/embeddings");
  assert.deepEqual(fetchFn.calls[0].init, {
    method: "POST",
    headers: { "Content-Type": "application/json", Authorization: "Bearer sk-test" },
    body: '{"model":"text-embedding-3-small","input":"health check"}',
  });
});

test("failure messages are the reference's", async () => {
  const body = '{"error":{"message":"Incorrect API key provided"}}';
  assert.deepEqual(await checkLLMHealth(cfg("openai"), sequence(errorResponse(401, body))), {
    ok: false,
    error: `OpenAI LLM health check failed: 401 Unauthorized — ${body}`,
  });
  assert.deepEqual(await checkLLMHealth(cfg("anthropic"), sequence(errorResponse(529, "overloaded", { statusText: "Overloaded" }))), {
    ok: false,
    error: "Anthropic LLM health check failed: 529 Overloaded — overloaded",
  });
  assert.deepEqual(await checkLLMHealth(cfg("ollama"), sequence(errorResponse(500, "boom"))), {
    ok: false,
    error: "Ollama health check failed: 500 Internal Server Error",
  });
  assert.deepEqual(await checkEmbeddingHealth(cfg("ollama"), sequence(errorResponse(404, "nope"))), {
    ok: false,
    error: "Ollama health check failed: 404 Not Found",
  });
  assert.deepEqual(await checkEmbeddingHealth(cfg("openai"), sequence(errorResponse(429, "slow"))), {
    ok: false,
    error: "OpenAI embedding health check failed: 429 Too Many Requests — slow",
  });
});

test("a body-less failure keeps the reference's trailing separator", async () => {
  assert.deepEqual(await checkLLMHealth(cfg("openai"), sequence({ ok: false, status: 503, statusText: "Service Unavailable" })), {
    ok: false,
    error: "OpenAI LLM health check failed: 503 Service Unavailable — ",
  });
});

test("a thrown error becomes {ok: false, error: <its message>}; nothing rejects", async () => {
  for (const check of [checkLLMHealth, checkEmbeddingHealth]) {
    for (const provider of ["openai", "ollama"]) {
      const fetchFn = fetchDouble(() => {
        throw new TypeError("connect ECONNREFUSED 127.0.0.1:11434");
      });
      assert.deepEqual(await check(cfg(provider), fetchFn), { ok: false, error: "connect ECONNREFUSED 127.0.0.1:11434" });
    }
  }
  assert.deepEqual(await checkLLMHealth(cfg("anthropic"), fetchDouble(() => Promise.reject("plain string"))), { ok: false, error: "plain string" });
});

test("a real network failure through the global fetch is reported, not thrown", async () => {
  // Port 1 on loopback: nothing listens there.
  const result = await checkLLMHealth(cfg("ollama", { url: "http://127.0.0.1:1" }));
  assert.equal(result.ok, false);
  assert.equal(typeof result.error, "string");
  assert.ok(result.error.length > 0);
});

test("bad input never rejects either", async () => {
  for (const config of [undefined, null, {}, { provider: "openai" }, { provider: 7, model: "m" }]) {
    const result = await checkLLMHealth(config, sequence());
    assert.equal(result.ok, false, JSON.stringify(config));
    assert.equal(typeof result.error, "string");
  }
  const unknown = await checkLLMHealth(cfg("mistral"), sequence());
  assert.equal(unknown.ok, false);
  assert.match(unknown.error, /openai, anthropic, ollama/);
  const anthropicEmbedding = await checkEmbeddingHealth(cfg("anthropic"), sequence());
  assert.deepEqual(anthropicEmbedding, { ok: false, error: "Anthropic has no embeddings API" });
});

test("baseUrl in the config is honoured", async () => {
  const fetchFn = sequence(jsonResponse({}));
  assertOk(await checkLLMHealth(cfg("openai", { baseUrl: "http://127.0.0.1:9/v1" }), fetchFn));
  assert.equal(fetchFn.calls[0].url, "http://127.0.0.1:9/v1/chat/completions");
});

test("a reasoning model's probe uses max_completion_tokens (1 token would fail)", async () => {
  const fetchFn = sequence(jsonResponse({}));
  await checkLLMHealth(cfg("openai", { model: "o3-mini" }), fetchFn);
  const body = fetchFn.calls[0].json;
  assert.equal("max_tokens" in body, false);
  assert.ok(body.max_completion_tokens > 1);
});
