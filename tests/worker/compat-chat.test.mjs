// POST /v1/chat/completions, whole answers: OpenAI passed through, Anthropic and Ollama
// translated to chat.completion (usage included), `provider/model` routing, fields a provider
// cannot honour (refused or reported), and errors in OpenAI's shape with the statuses the SDKs
// act on.
import { test, before, after, beforeEach } from "node:test";
import assert from "node:assert/strict";
import { startWorker, OPENAI_KEY } from "./support/worker.mjs";
import { user } from "./support/compat.mjs";

let w;
before(async () => {
  w = await startWorker({
    vars: (fake) => ({ EMBEDDING_PROVIDER: "ollama", EMBEDDING_MODEL: "nomic-embed-text", EMBEDDING_URL: fake.ollamaUrl, UPSTREAM_TIMEOUT_MS: "400" }),
  });
});
after(async () => { await w?.close(); });
beforeEach(() => { w.fake.reset(); });

const chat = (body, options) => w.api("POST", "/v1/chat/completions", { body, ...options });
const sent = (path) => w.fake.requests.filter((r) => r.path.endsWith(path)).at(-1);
/** OpenAI's error shape, exactly: {error: {message, type, param, code}}. */
function openaiError(r, status) {
  assert.equal(r.status, status, r.text);
  assert.deepEqual(Object.keys(r.json).sort(), ["error"]);
  assert.deepEqual(Object.keys(r.json.error).sort(), ["code", "message", "param", "type"]);
  assert.equal(typeof r.json.error.message, "string");
  assert.ok(r.json.error.message.length > 0);
  return r.json.error;
}

test("a bare model goes to LLM_PROVIDER (OpenAI): the client's body upstream, the answer passed through", async () => {
  const r = await chat({ model: "gpt-4.1", messages: user("hello"), temperature: 0.3, seed: 5, logprobs: false });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.headers.get("x-edge-llm-provider"), "openai");
  assert.equal(r.headers.get("x-edge-llm-ignored-params"), null);
  assert.equal(r.json.object, "chat.completion");
  assert.deepEqual(JSON.parse(r.json.choices[0].message.content), { echo: "hello", model: "gpt-4.1" });
  assert.ok(r.json.usage.total_tokens > 0);
  const s = sent("/chat/completions");
  assert.equal(s.headers.authorization, `Bearer ${OPENAI_KEY}`);
  assert.deepEqual(s.json, { model: "gpt-4.1", messages: user("hello"), temperature: 0.3, seed: 5, logprobs: false });
  const prefixed = await chat({ model: "openai/gpt-4o", messages: user("hi") });
  assert.equal(prefixed.status, 200, prefixed.text);
  assert.equal(sent("/chat/completions").json.model, "gpt-4o");
});

test("anthropic/…: a Messages call, answered as a chat.completion with usage", async () => {
  const r = await chat({
    model: "anthropic/claude-sonnet-4-5",
    messages: [{ role: "system", content: "Be terse." }, ...user("hi claude")],
    max_tokens: 500, stop: ["\n\n"], seed: 1, user: "u-42",
  });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.headers.get("x-edge-llm-provider"), "anthropic");
  assert.equal(r.headers.get("x-edge-llm-ignored-params"), "seed");
  assert.match(r.json.id, /^msg_/);
  assert.equal(r.json.object, "chat.completion");
  assert.equal(r.json.model, "claude-sonnet-4-5");
  assert.equal(typeof r.json.created, "number");
  assert.deepEqual(r.json.choices[0].message, { role: "assistant", content: JSON.stringify({ echo: "hi claude", model: "claude-sonnet-4-5" }), refusal: null });
  assert.equal(r.json.choices[0].finish_reason, "stop");
  const { prompt_tokens, completion_tokens, total_tokens } = r.json.usage;
  assert.ok(prompt_tokens > 0 && completion_tokens > 0 && total_tokens === prompt_tokens + completion_tokens);
  const s = sent("/messages");
  assert.deepEqual(s.json, { model: "claude-sonnet-4-5", max_tokens: 500, system: "Be terse.", messages: user("hi claude"),
    stop_sequences: ["\n\n"], metadata: { user_id: "u-42" } });
});

test("ollama/…: an /api/chat call (not streamed), answered as a chat.completion with usage", async () => {
  const r = await chat({ model: "ollama/llama3.2", messages: user("hi llama"), max_completion_tokens: 300, response_format: { type: "json_object" } });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.headers.get("x-edge-llm-provider"), "ollama");
  assert.match(r.json.id, /^chatcmpl-[0-9a-f]{24}$/);
  assert.equal(r.json.model, "llama3.2");
  assert.deepEqual(JSON.parse(r.json.choices[0].message.content), { echo: "hi llama", model: "llama3.2" });
  assert.ok(r.json.usage.prompt_tokens > 0 && r.json.usage.completion_tokens > 0);
  assert.deepEqual(sent("/api/chat").json, { model: "llama3.2", messages: user("hi llama"), stream: false, format: "json", options: { num_predict: 300 } });
});

test("tool calls come back in OpenAI's shape from every provider", async () => {
  const tools = [{ type: "function", function: { name: "lookup", description: "Find a thing", parameters: { type: "object", properties: { q: { type: "string" } } } } }];
  for (const model of ["gpt-4o", "anthropic/claude-sonnet-4-5", "ollama/llama3.2"]) {
    const r = await chat({ model, messages: user("[[tool]] find it"), tools });
    assert.equal(r.status, 200, `${model}: ${r.text}`);
    const choice = r.json.choices[0];
    assert.equal(choice.finish_reason, "tool_calls", model);
    const [call] = choice.message.tool_calls;
    assert.equal(call.type, "function");
    assert.equal(call.function.name, "lookup");
    assert.deepEqual(JSON.parse(call.function.arguments), { echo: "[[tool]] find it" }, model);
    assert.equal(typeof call.id, "string");
  }
  // The tool's result goes back in the next turn, translated for each provider.
  const followUp = [...user("find it"),
    { role: "assistant", content: null, tool_calls: [{ id: "call_1", type: "function", function: { name: "lookup", arguments: "{\"q\":\"x\"}" } }] },
    { role: "tool", tool_call_id: "call_1", content: "found" }, ...user("thanks")];
  assert.equal((await chat({ model: "anthropic/claude-sonnet-4-5", messages: followUp, tools })).status, 200);
  assert.deepEqual(sent("/messages").json.messages[2], { role: "user", content: [{ type: "tool_result", tool_use_id: "call_1", content: "found" }] });
  assert.equal((await chat({ model: "ollama/llama3.2", messages: followUp, tools })).status, 200);
  assert.deepEqual(sent("/api/chat").json.messages[2], { role: "tool", content: "found", tool_name: "lookup" });
});

test("json_schema on Anthropic is a forced tool whose input is the answer", async () => {
  const r = await chat({ model: "anthropic/claude-sonnet-4-5", messages: user("give json"),
    response_format: { type: "json_schema", json_schema: { name: "answer", schema: { type: "object", properties: { echo: { type: "string" } } } } } });
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(JSON.parse(r.json.choices[0].message.content), { echo: "give json" });
  assert.equal(r.json.choices[0].finish_reason, "stop");
  assert.deepEqual(sent("/messages").json.tool_choice, { type: "tool", name: "answer" });
});

test("fields a translated provider cannot honour: refused by name, or left out and reported", async () => {
  for (const [extra, param] of [[{ n: 2 }, "n"], [{ logprobs: true }, "logprobs"], [{ audio: { voice: "alloy", format: "wav" } }, "audio"]]) {
    const e = openaiError(await chat({ model: "anthropic/claude-sonnet-4-5", messages: user("x"), ...extra }), 400);
    assert.deepEqual([e.type, e.param, e.code], ["invalid_request_error", param, "unsupported_parameter"]);
  }
  assert.equal(w.fake.requests.length, 0, "nothing was sent upstream");
  const r = await chat({ model: "ollama/llama3.2", messages: user("x"), logit_bias: { 1: 1 }, store: true, user: "u" });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.headers.get("x-edge-llm-ignored-params"), "user, logit_bias, store");
});

test("bad requests are 400s naming the param", async () => {
  const cases = [
    [{ messages: user("x") }, "model"],
    [{ model: 5, messages: user("x") }, "model"],
    [{ model: "anthropic/claude-sonnet-4-5", messages: [] }, "messages"],
    [{ model: "anthropic/claude-sonnet-4-5", messages: [{ role: "robot", content: "x" }] }, "messages[0].role"],
    [{ model: "anthropic/claude-sonnet-4-5", messages: [{ role: "user", content: 7 }] }, "messages[0].content"],
    [{ model: "ollama/llama3.2", messages: user("x"), temperature: "hot" }, "temperature"],
  ];
  for (const [body, param] of cases) {
    const e = openaiError(await chat(body), 400);
    assert.equal(e.param, param, JSON.stringify(body));
  }
  for (const text of ["{nope", "[1,2]", ""]) {
    const e = openaiError(await chat(text), 400);
    assert.equal(e.param, "body", text);
  }
});

test("upstream refusals keep their status; rate limits keep retry-after; overload is 503", async () => {
  const e = openaiError(await chat({ model: "gpt-4o", messages: user("[[status:400]]") }), 400);
  assert.match(e.message, /^OpenAI answered 400: /);
  w.fake.reset();
  w.fake.configure({ faults: [{ path: "/chat/completions", status: 429, headers: { "retry-after": "2" }, times: 1 }] });
  const limited = await chat({ model: "gpt-4o", messages: user("x") });
  assert.equal(openaiError(limited, 429).code, "rate_limit_exceeded");
  assert.equal(limited.headers.get("retry-after"), "2");
  assert.equal(limited.headers.get("retry-after-ms"), "2000");
  assert.equal(w.fake.requests.length, 1, "one attempt: the SDK retries, not the gateway");
  openaiError(await chat({ model: "anthropic/claude-sonnet-4-5", messages: user("[[status:529]]") }), 503);
  const notFound = openaiError(await chat({ model: "ollama/mistral", messages: user("x") }), 404);
  assert.match(notFound.message, /^Ollama answered 404: model "mistral" not found/);
});

test("failures that are the gateway's or upstream's are 5xx, with no secret in them", async () => {
  w.fake.configure({ faults: [{ path: "/chat/completions", status: 401, body: { error: { message: `Incorrect API key provided: ${OPENAI_KEY}`, type: "invalid_request_error", code: "invalid_api_key" } } }] });
  const auth = await chat({ model: "gpt-4o", messages: user("x") });
  assert.equal(openaiError(auth, 502).code, "upstream_auth_failed");
  assert.ok(!auth.text.includes(OPENAI_KEY), auth.text);
  w.fake.configure({ faults: [{ path: "/chat/completions", status: 500 }] });
  assert.equal(openaiError(await chat({ model: "gpt-4o", messages: user("x") }), 502).type, "server_error");
  w.fake.configure({ faults: [{ path: "/chat/completions", drop: true }] });
  assert.equal(openaiError(await chat({ model: "gpt-4o", messages: user("x") }), 502).code, "upstream_unreachable");
  w.fake.configure({ faults: [{ path: "/chat/completions", delayMs: 2000 }] });
  assert.equal(openaiError(await chat({ model: "gpt-4o", messages: user("x") }), 504).code, "upstream_timeout");
  w.fake.configure({ faults: [{ path: "/chat/completions", status: 200, body: "<html>not json</html>" }] });
  assert.equal(openaiError(await chat({ model: "gpt-4o", messages: user("x") }), 502).code, "upstream_bad_answer");
});

test("auth and methods: OpenAI's 401 shape, 405 with Allow", async () => {
  const e = openaiError(await chat({ model: "gpt-4o", messages: user("x") }, { token: null }), 401);
  assert.deepEqual([e.type, e.code], ["invalid_request_error", "invalid_api_key"]);
  openaiError(await chat({ model: "gpt-4o", messages: user("x") }, { token: "wrong" }), 401);
  const get = await w.api("GET", "/v1/chat/completions");
  openaiError(get, 405);
  assert.equal(get.headers.get("allow"), "POST");
  assert.equal(w.fake.requests.length, 0);
});
