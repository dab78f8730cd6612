// Consumer suite: checkLLMHealth / checkEmbeddingHealth, written only against the contract's API.

import { test } from "node:test";
import assert from "node:assert/strict";
import { checkEmbeddingHealth, checkLLMHealth } from "edge-llm";
import { errorResponse, fetchDouble, jsonResponse, sequence } from "../support/doubles.mjs";
import { contractOnly } from "./target.mjs";

const cfg = (provider, extra = {}) => ({ provider, apiKey: "sk-test", model: "gpt-4o", url: "http://localhost:11434", ...extra });

test("healthy providers answer {ok: true}", async () => {
  for (const [check, provider] of [[checkLLMHealth, "openai"], [checkLLMHealth, "anthropic"], [checkLLMHealth, "ollama"], [checkEmbeddingHealth, "openai"], [checkEmbeddingHealth, "ollama"]]) {
    const result = await check(cfg(provider), sequence(jsonResponse({})));
    assert.equal(result.ok, true, `${check.name} ${provider}`);
    assert.equal(result.error, undefined);
  }
});

test("the probes: a 1-token chat, a 1-token message, an embedding, GET /api/tags", async () => {
  let fetchFn = sequence(jsonResponse({}));
  await checkLLMHealth(cfg("openai"), fetchFn);
  assert.equal(fetchFn.calls[0].url, "https://api.openai.com/v1/chat/completions");
  assert.deepEqual(JSON.parse(fetchFn.calls[0].body), { model: "gpt-4o", max_tokens: 1, messages: [{ role: "user", content: "hi" }] });
  fetchFn = sequence(jsonResponse({}));
  await checkLLMHealth(cfg("anthropic", { model: "claude-sonnet-4-5" }), fetchFn);
  assert.equal(fetchFn.calls[0].url, "https://api.anthropic.com/v1/messages");
  assert.equal(fetchFn.calls[0].headers["anthropic-version"], "2023-06-01");
  assert.equal(JSON.parse(fetchFn.calls[0].body).max_tokens, 1);
  fetchFn = sequence(jsonResponse({}));
  await checkEmbeddingHealth(cfg("openai", { model: "text-embedding-3-small" }), fetchFn);
  assert.deepEqual(JSON.parse(fetchFn.calls[0].body), { model: "text-embedding-3-small", input: "health check" });
  fetchFn = sequence(jsonResponse({}));
  await checkLLMHealth(cfg("ollama", { url: "http://gpu:11434" }), fetchFn);
  assert.equal(fetchFn.calls[0].url, "http://gpu:11434/api/tags");
  assert.deepEqual(fetchFn.calls[0].init, { method: "GET" });
});

test("failures come back as {ok: false, error} with the documented messages", async () => {
  assert.deepEqual(await checkLLMHealth(cfg("openai"), sequence(errorResponse(401, "bad key"))), { ok: false, error: "OpenAI LLM health check failed: 401 Unauthorized — bad key" });
  assert.deepEqual(await checkLLMHealth(cfg("anthropic"), sequence(errorResponse(500, "down"))), { ok: false, error: "Anthropic LLM health check failed: 500 Internal Server Error — down" });
  assert.deepEqual(await checkLLMHealth(cfg("ollama"), sequence(errorResponse(503, "x"))), { ok: false, error: "Ollama health check failed: 503 Service Unavailable" });
  assert.deepEqual(await checkEmbeddingHealth(cfg("openai"), sequence(errorResponse(400, "no"))), { ok: false, error: "OpenAI embedding health check failed: 400 Bad Request — no" });
});

test("a thrown error becomes {ok: false, error: <its message>}", async () => {
  const refused = () => fetchDouble(() => Promise.reject(new TypeError("connect ECONNREFUSED 127.0.0.1:11434")));
  assert.deepEqual(await checkLLMHealth(cfg("ollama"), refused()), { ok: false, error: "connect ECONNREFUSED 127.0.0.1:11434" });
  assert.deepEqual(await checkEmbeddingHealth(cfg("openai"), refused()), { ok: false, error: "connect ECONNREFUSED 127.0.0.1:11434" });
});

test("`error` is absent when ok", async () => {
  const result = await checkLLMHealth(cfg("openai"), sequence(jsonResponse({})));
  assert.deepEqual(Object.keys(result), ["ok"]);
});

test("baseUrl in the config is used", { skip: contractOnly("the reference has fixed URLs") }, async () => {
  const fetchFn = sequence(jsonResponse({}));
  await checkLLMHealth(cfg("openai", { baseUrl: "http://127.0.0.1:9/v1" }), fetchFn);
  assert.equal(fetchFn.calls[0].url, "http://127.0.0.1:9/v1/chat/completions");
});
