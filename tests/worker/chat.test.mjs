// POST /v1/chat end to end: each provider on its real wire format, provider/model overrides,
// retries on 429 with retry-after, and upstream failures mapped to 502 / 504 (contract §4).
import { test, before, after, beforeEach } from "node:test";
import assert from "node:assert/strict";
import { startWorker, errorMessage, OPENAI_KEY, ANTHROPIC_KEY } from "./support/worker.mjs";

const messages = [{ role: "system", content: "Answer in json." }, { role: "user", content: "hello" }];
let w;
before(async () => { w = await startWorker({ vars: { UPSTREAM_TIMEOUT_MS: "400" } }); });
after(async () => { await w?.close(); });
beforeEach(() => { w.fake.reset(); });

const chats = (path = "/chat/completions") => w.fake.requests.filter((r) => r.path.endsWith(path));

test("OpenAI: the configured model, the reference's request, the answer and usage", async () => {
  const r = await w.api("POST", "/v1/chat", { body: { messages } });
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.json.response, { echo: "hello", model: "gpt-4o-mini" });
  assert.equal(r.json.provider, "openai");
  assert.equal(r.json.model, "gpt-4o-mini");
  assert.ok(r.json.usage.inputTokens > 0 && r.json.usage.outputTokens > 0, r.text);
  const [sent] = chats();
  assert.equal(sent.headers.authorization, `Bearer ${OPENAI_KEY}`);
  assert.equal(sent.json.model, "gpt-4o-mini");
  assert.deepEqual(sent.json.response_format, { type: "json_object" });
  assert.deepEqual(sent.json.messages, messages, "system messages stay in the list");
});

test("model and provider in the body override the configured ones", async () => {
  const r = await w.api("POST", "/v1/chat", { body: { messages, model: "gpt-4.1" } });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.model, "gpt-4.1");
  assert.equal(chats()[0].json.model, "gpt-4.1");

  const a = await w.api("POST", "/v1/chat", { body: { messages, provider: "anthropic", model: "claude-sonnet-4-5" } });
  assert.equal(a.status, 200, a.text);
  assert.deepEqual([a.json.provider, a.json.model], ["anthropic", "claude-sonnet-4-5"]);
  assert.deepEqual(a.json.response, { echo: "hello", model: "claude-sonnet-4-5" });
  const [sent] = chats("/messages");
  assert.equal(sent.headers["x-api-key"], ANTHROPIC_KEY);
  assert.equal(sent.headers["anthropic-version"], "2023-06-01");
  assert.equal(sent.json.system, "Answer in json.");
  assert.deepEqual(sent.json.messages, [{ role: "user", content: "hello" }]);
});

test("a reasoning model gets max_completion_tokens", async () => {
  const r = await w.api("POST", "/v1/chat", { body: { messages, model: "o3-mini" } });
  assert.equal(r.status, 200, r.text);
  const [sent] = chats();
  assert.ok("max_completion_tokens" in sent.json && !("max_tokens" in sent.json), JSON.stringify(sent.json));
});

test("an unknown provider is a 400 naming provider; another provider needs a model", async () => {
  const r = await w.api("POST", "/v1/chat", { body: { messages, provider: "mistral" } });
  assert.equal(r.status, 400, r.text);
  assert.match(errorMessage(r), /^provider: "mistral" is not one of openai, anthropic, ollama/);
  const noModel = await w.api("POST", "/v1/chat", { body: { messages, provider: "anthropic" } });
  assert.equal(noModel.status, 400, noModel.text);
  assert.match(errorMessage(noModel), /^model: is required/);
  const empty = await w.api("POST", "/v1/chat", { body: { messages, model: "" } });
  assert.equal(empty.status, 400, empty.text);
  assert.match(errorMessage(empty), /^model: /);
  assert.equal(w.fake.requests.length, 0);
});

test("a known provider without credentials is a 400 saying it is not configured", async () => {
  const bare = await startWorker({ vars: { ANTHROPIC_API_KEY: undefined, OPENAI_API_KEY: "" } });
  try {
    for (const [provider, secret] of [["anthropic", "ANTHROPIC_API_KEY"], ["openai", "OPENAI_API_KEY"], ["ollama", "LLM_URL"]]) {
      const r = await bare.api("POST", "/v1/chat", { body: { messages, provider, model: "m" } });
      assert.equal(r.status, 400, r.text);
      const message = errorMessage(r);
      assert.match(message, new RegExp(`^provider: "${provider}" is not configured on this gateway`));
      assert.match(message, new RegExp(secret));
    }
    assert.equal(bare.fake.requests.length, 0);
  } finally {
    await bare.close();
  }
});

test("Ollama: the configured server and model, usage from its counters", async () => {
  const o = await startWorker({ vars: (fake) => ({ LLM_PROVIDER: "ollama", LLM_MODEL: "llama3.2", LLM_URL: fake.ollamaUrl }) });
  try {
    const r = await o.api("POST", "/v1/chat", { body: { messages } });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual([r.json.provider, r.json.model], ["ollama", "llama3.2"]);
    assert.deepEqual(r.json.response, { echo: "hello", model: "llama3.2" });
    const [sent] = o.fake.requests.filter((q) => q.path === "/ollama/api/chat");
    assert.equal(sent.json.stream, false);
    assert.equal(sent.json.format, "json");
    assert.ok(r.json.usage.inputTokens > 0);
    const missing = await o.api("POST", "/v1/chat", { body: { messages, model: "mistral" } });
    assert.equal(missing.status, 502, missing.text);
    assert.equal(missing.json.error.upstreamStatus, 404);
    assert.match(errorMessage(missing), /Ollama chat error: 404 .*not found, try pulling it first/);
  } finally {
    await o.close();
  }
});

test("429 with retry-after is retried after the wait upstream asked for", async () => {
  w.fake.configure({ faults: [{ path: "/chat/completions", status: 429, headers: { "retry-after": "1" }, times: 1 }] });
  const r = await w.api("POST", "/v1/chat", { body: { messages } });
  assert.equal(r.status, 200, r.text);
  const sent = chats();
  assert.equal(sent.length, 2);
  const waited = sent[1].receivedAt - sent[0].receivedAt;
  assert.ok(waited >= 950 && waited < 3000, `waited ${waited} ms`);

  w.fake.reset();
  w.fake.configure({ faults: [{ path: "/chat/completions", status: 429, headers: { "retry-after-ms": "150" }, times: 2 }] });
  const again = await w.api("POST", "/v1/chat", { body: { messages } });
  assert.equal(again.status, 200, again.text);
  const [a, b, c] = chats();
  assert.ok(b.receivedAt - a.receivedAt >= 140 && c.receivedAt - b.receivedAt >= 140);
});

test("a 429 that lasts is a 502 carrying upstream's status and message, after 2 retries", async () => {
  w.fake.configure({ faults: [{ path: "/chat/completions", status: 429, headers: { "retry-after-ms": "10" } }] });
  const r = await w.api("POST", "/v1/chat", { body: { messages } });
  assert.equal(r.status, 502, r.text);
  assert.equal(r.json.error.type, "upstream_error");
  assert.equal(r.json.error.upstreamStatus, 429);
  assert.match(errorMessage(r), /^OpenAI chat error: 429 Too Many Requests — .*[Rr]ate limit/);
  assert.equal(chats().length, 3);
});

test("a 400 upstream is a 502 with its message, not retried", async () => {
  const r = await w.api("POST", "/v1/chat", { body: { messages: [{ role: "user", content: "json [[status:400]]" }] } });
  assert.equal(r.status, 502, r.text);
  assert.equal(r.json.error.upstreamStatus, 400);
  assert.match(errorMessage(r), /^OpenAI chat error: 400 Bad Request — /);
  assert.equal(chats().length, 1);
});

test("5xx and dropped connections are retried; when they last, a 502", async () => {
  w.fake.configure({ faults: [{ path: "/chat/completions", drop: true, times: 1 }, { path: "/chat/completions", status: 503, times: 1 }] });
  const ok = await w.api("POST", "/v1/chat", { body: { messages } });
  assert.equal(ok.status, 200, ok.text);
  assert.equal(chats().length, 3);

  w.fake.reset();
  w.fake.configure({ faults: [{ path: "/chat/completions", drop: true }] });
  const dropped = await w.api("POST", "/v1/chat", { body: { messages } });
  assert.equal(dropped.status, 502, dropped.text);
  assert.equal(dropped.json.error.upstreamStatus, undefined);
  errorMessage(dropped);
  assert.equal(chats().length, 3);
});

test("an answer that is not JSON is a 502", async () => {
  w.fake.configure({ faults: [{ path: "/chat/completions", status: 200, body: "<html>gateway says hi</html>", headers: { "content-type": "text/html" } }] });
  const html = await w.api("POST", "/v1/chat", { body: { messages } });
  assert.equal(html.status, 502, html.text);
  assert.match(errorMessage(html), /^OpenAI chat error: unreadable response: body is not JSON/);

  w.fake.reset();
  const prose = await w.api("POST", "/v1/chat", { body: { messages: [{ role: "user", content: "json [[invalid-json]]" }] } });
  assert.equal(prose.status, 502, prose.text);
  assert.match(errorMessage(prose), /^LLM returned invalid JSON: /);

  for (const [marker, pattern] of [["[[truncate]]", /truncated \(finish_reason: length\)/], ["[[refuse]]", /refused/]]) {
    const r = await w.api("POST", "/v1/chat", { body: { messages: [{ role: "user", content: `json ${marker}` }] } });
    assert.equal(r.status, 502, r.text);
    assert.match(errorMessage(r), /^OpenAI chat error: /);
    assert.match(errorMessage(r), pattern);
  }
});

test("an upstream that does not answer in time is a 504", async () => {
  w.fake.configure({ faults: [{ path: "/chat/completions", delayMs: 3000 }] });
  const started = Date.now();
  const r = await w.api("POST", "/v1/chat", { body: { messages } });
  assert.equal(r.status, 504, r.text);
  assert.equal(r.json.error.type, "upstream_timeout");
  assert.equal(errorMessage(r), "OpenAI chat error: request timed out after 400ms");
  assert.ok(Date.now() - started < 5000, "the timeout, not the upstream, ended the call");
});

test("Anthropic errors keep Anthropic's prefix and status", async () => {
  const r = await w.api("POST", "/v1/chat", { body: { provider: "anthropic", model: "claude-sonnet-4-5", messages: [{ role: "user", content: "[[status:529]]" }] } });
  assert.equal(r.status, 502, r.text);
  assert.equal(r.json.error.upstreamStatus, 529);
  assert.match(errorMessage(r), /^Anthropic chat error: 529 .*overloaded/i);
  assert.equal(chats("/messages").length, 3, "529 is retried");
});

test("an LLM_PROVIDER the gateway does not know is a 503 naming the var, not a 500", async () => {
  const o = await startWorker({ vars: { LLM_PROVIDER: "cohere" } });
  try {
    const r = await o.api("POST", "/v1/chat", { body: { messages: [{ role: "user", content: "json" }] } });
    assert.equal(r.status, 503, r.text);
    assert.equal(r.json.error.type, "not_configured");
    assert.match(r.json.error.message, /LLM_PROVIDER "cohere"/);
  } finally {
    await o.close();
  }
});
