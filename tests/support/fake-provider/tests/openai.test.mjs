// The fake OpenAI sync API over real HTTP: auth, chat completions, embeddings, models.

import { test } from "node:test";
import assert from "node:assert/strict";
import { call, openaiHeaders, useFake } from "./helpers.mjs";

const ctx = useFake();
const chatBody = (over = {}) => ({
  model: "gpt-4o",
  max_tokens: 8192,
  response_format: { type: "json_object" },
  messages: [{ role: "system", content: "Answer in JSON." }, { role: "user", content: "hello" }],
  ...over,
});
const chat = (body, headers = openaiHeaders) => call(`${ctx.fake.openaiBaseUrl}/chat/completions`, { method: "POST", headers, body });

test("chat completion has the real shape and echoes the last user message as JSON", async () => {
  const res = await chat(chatBody());
  assert.equal(res.status, 200);
  assert.match(res.headers.get("x-request-id"), /^req_[0-9a-f]{32}$/);
  const c = res.json;
  assert.match(c.id, /^chatcmpl-/);
  assert.equal(c.object, "chat.completion");
  assert.equal(typeof c.created, "number");
  assert.equal(c.model, "gpt-4o");
  assert.equal(c.choices.length, 1);
  assert.deepEqual(c.choices[0].message.role, "assistant");
  assert.equal(c.choices[0].message.refusal, null);
  assert.equal(c.choices[0].finish_reason, "stop");
  assert.deepEqual(JSON.parse(c.choices[0].message.content), { echo: "hello", model: "gpt-4o" });
  assert.equal(c.usage.total_tokens, c.usage.prompt_tokens + c.usage.completion_tokens);
  // deterministic content for the same input
  const again = await chat(chatBody());
  assert.equal(again.json.choices[0].message.content, c.choices[0].message.content);
  // content parts are read as text
  const parts = await chat(chatBody({ messages: [{ role: "user", content: [{ type: "text", text: "json a" }, { type: "text", text: "b" }] }] }));
  assert.equal(JSON.parse(parts.json.choices[0].message.content).echo, "json ab");
});

test("auth: missing key, wrong key (masked, never echoed), wrong scheme", async () => {
  const missing = await chat(chatBody(), { "content-type": "application/json" });
  assert.equal(missing.status, 401);
  assert.match(missing.json.error.message, /You didn't provide an API key/);
  assert.equal(missing.json.error.type, "invalid_request_error");

  const wrongKey = "sk-proj-abcdefghijklmnopqrstuvwxyz0123456789";
  const wrong = await chat(chatBody(), { ...openaiHeaders, authorization: `Bearer ${wrongKey}` });
  assert.equal(wrong.status, 401);
  assert.deepEqual(Object.keys(wrong.json.error).sort(), ["code", "message", "param", "type"]);
  assert.equal(wrong.json.error.code, "invalid_api_key");
  assert.equal(wrong.json.error.param, null);
  assert.match(wrong.json.error.message, /^Incorrect API key provided: sk-pr\*+6789\. /);
  assert.ok(!wrong.text.includes(wrongKey));
  const short = await chat(chatBody(), { ...openaiHeaders, authorization: "Bearer sk-tes" });
  assert.ok(!short.text.includes("sk-tes"), short.text);

  const basic = await chat(chatBody(), { ...openaiHeaders, authorization: "Basic c2stdGVzdA==" });
  assert.equal(basic.status, 401);
});

test("chat validation: model, messages, json word (switchable), max_tokens on reasoning models, bad JSON", async () => {
  const noModel = await chat(chatBody({ model: undefined }));
  assert.equal(noModel.status, 400);
  assert.match(noModel.json.error.message, /model/);

  const noMessages = await chat(chatBody({ messages: undefined }));
  assert.equal(noMessages.status, 400);
  assert.equal(noMessages.json.error.param, "messages");
  assert.match(noMessages.json.error.message, /'messages'/);

  const empty = await chat(chatBody({ messages: [] }));
  assert.equal(empty.json.error.code, "empty_array");

  const badRole = await chat(chatBody({ messages: [{ role: "robot", content: "json" }] }));
  assert.equal(badRole.status, 400);
  assert.equal(badRole.json.error.param, "messages[0].role");

  const noJson = await chat(chatBody({ messages: [{ role: "user", content: "hello" }] }));
  assert.equal(noJson.status, 400);
  assert.equal(noJson.json.error.message, "'messages' must contain the word 'json' in some form, to use 'response_format' of type 'json_object'.");
  ctx.fake.configure({ requireJsonWord: false });
  assert.equal((await chat(chatBody({ messages: [{ role: "user", content: "hello" }] }))).status, 200);

  for (const model of ["o3-mini", "o1", "gpt-5", "gpt-5-mini"]) {
    const r = await chat(chatBody({ model }));
    assert.equal(r.status, 400, model);
    assert.equal(r.json.error.message, "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead.");
    assert.equal(r.json.error.param, "max_tokens");
    const ok = await chat(chatBody({ model, max_tokens: undefined, max_completion_tokens: 100 }));
    assert.equal(ok.status, 200, model);
  }
  assert.equal((await chat(chatBody({ model: "gpt-4.1" }))).status, 200);

  const notJson = await chat("{not json");
  assert.equal(notJson.status, 400);
  assert.match(notJson.json.error.message, /could not parse the JSON body/);
});

test("chat markers on the sync route: status, refuse, truncate, invalid-json", async () => {
  const withUser = (content) => chatBody({ messages: [{ role: "system", content: "json" }, { role: "user", content }] });
  const s500 = await chat(withUser("boom [[status:500]]"));
  assert.equal(s500.status, 500);
  assert.equal(s500.json.error.type, "server_error");
  const s429 = await chat(withUser("[[status:429]]"));
  assert.equal(s429.status, 429);
  assert.equal(s429.json.error.code, "rate_limit_exceeded");

  const refuse = (await chat(withUser("[[refuse]]"))).json.choices[0];
  assert.equal(refuse.message.content, null);
  assert.equal(typeof refuse.message.refusal, "string");

  const trunc = (await chat(withUser("[[truncate]]"))).json.choices[0];
  assert.equal(trunc.finish_reason, "length");
  assert.throws(() => JSON.parse(trunc.message.content));

  // max_tokens / max_completion_tokens cap the reply like a real model (health checks send 1)
  const capped = (await chat(chatBody({ max_tokens: 1 }))).json.choices[0];
  assert.equal(capped.finish_reason, "length");
  assert.equal(capped.message.content.length, 4);
  const reasoning = await chat(chatBody({ model: "o3-mini", max_tokens: undefined, max_completion_tokens: 2 }));
  assert.equal(reasoning.json.choices[0].finish_reason, "length");
  assert.equal(reasoning.json.usage.completion_tokens, 2);

  const invalid = (await chat(withUser("[[invalid-json]]"))).json.choices[0];
  assert.equal(invalid.finish_reason, "stop");
  assert.throws(() => JSON.parse(invalid.message.content));
});

test("rejectUnknownModels makes chat answer model_not_found", async () => {
  assert.equal((await chat(chatBody({ model: "my-model" }))).status, 200);
  ctx.fake.configure({ rejectUnknownModels: true });
  const r = await chat(chatBody({ model: "my-model" }));
  assert.equal(r.status, 404);
  assert.equal(r.json.error.code, "model_not_found");
});

const embed = (body) => call(`${ctx.fake.openaiBaseUrl}/embeddings`, { method: "POST", headers: openaiHeaders, body });

test("embeddings: shape, dimensions per model, determinism, unit length", async () => {
  const one = await embed({ model: "text-embedding-3-small", input: "hello" });
  assert.equal(one.status, 200);
  assert.equal(one.json.object, "list");
  assert.equal(one.json.model, "text-embedding-3-small");
  assert.deepEqual(Object.keys(one.json.usage).sort(), ["prompt_tokens", "total_tokens"]);
  const [d] = one.json.data;
  assert.equal(d.object, "embedding");
  assert.equal(d.index, 0);
  assert.equal(d.embedding.length, 1536);
  const norm = Math.sqrt(d.embedding.reduce((s, x) => s + x * x, 0));
  assert.ok(Math.abs(norm - 1) < 1e-9);

  const many = await embed({ model: "text-embedding-3-small", input: ["a", "hello", "b"] });
  assert.deepEqual(many.json.data.map((x) => x.index), [0, 1, 2]);
  assert.deepEqual(many.json.data[1].embedding, d.embedding);
  assert.notDeepEqual(many.json.data[0].embedding, d.embedding);

  assert.equal((await embed({ model: "text-embedding-3-large", input: "x" })).json.data[0].embedding.length, 3072);
  assert.equal((await embed({ model: "text-embedding-ada-002", input: "x" })).json.data[0].embedding.length, 1536);
  assert.equal((await embed({ model: "other-model", input: "x" })).json.data[0].embedding.length, 8);
  assert.equal((await embed({ model: "text-embedding-3-large", input: "x", dimensions: 256 })).json.data[0].embedding.length, 256);

  const b64 = await embed({ model: "text-embedding-3-small", input: "hello", encoding_format: "base64" });
  const floats = new Float32Array(Buffer.from(b64.json.data[0].embedding, "base64").buffer.slice(0));
  assert.equal(floats.length, 1536);
  assert.ok(Math.abs(floats[0] - d.embedding[0]) < 1e-6);
});

test("embeddings: > 2048 inputs, missing input, bad dimensions, markers", async () => {
  const inputs = Array.from({ length: 2049 }, (_, i) => `t${i}`);
  const tooMany = await embed({ model: "text-embedding-3-small", input: inputs });
  assert.equal(tooMany.status, 400);
  assert.equal(tooMany.json.error.code, "array_above_max_length");
  assert.match(tooMany.json.error.message, /2048/);
  assert.equal((await embed({ model: "text-embedding-3-small", input: inputs.slice(0, 2048), dimensions: 4 })).status, 200);

  assert.equal((await embed({ model: "text-embedding-3-small" })).json.error.param, "input");
  assert.equal((await embed({ input: "x" })).status, 400);
  assert.equal((await embed({ model: "text-embedding-3-small", input: "" })).status, 400);
  assert.equal((await embed({ model: "text-embedding-ada-002", input: "x", dimensions: 8 })).status, 400);
  assert.equal((await embed({ model: "text-embedding-3-small", input: ["ok", "[[status:503]]"] })).status, 503);
});

test("models: retrieve known ids, 404 model_not_found for others, list", async () => {
  const base = ctx.fake.openaiBaseUrl;
  const m = await call(`${base}/models/gpt-4o-mini`, { headers: openaiHeaders });
  assert.equal(m.status, 200);
  assert.deepEqual(Object.keys(m.json).sort(), ["created", "id", "object", "owned_by"]);
  assert.equal(m.json.object, "model");
  const missing = await call(`${base}/models/gpt-9`, { headers: openaiHeaders });
  assert.equal(missing.status, 404);
  assert.equal(missing.json.error.code, "model_not_found");
  ctx.fake.configure({ openaiModels: ["gpt-9"] });
  assert.equal((await call(`${base}/models/gpt-9`, { headers: openaiHeaders })).status, 200);
  assert.deepEqual((await call(`${base}/models`, { headers: openaiHeaders })).json.data.map((x) => x.id), ["gpt-9"]);
});

test("unknown route 404 and wrong method 405 in OpenAI's shape; requests are recorded", async () => {
  const base = ctx.fake.openaiBaseUrl;
  const nf = await call(`${base}/nope`, { headers: openaiHeaders });
  assert.equal(nf.status, 404);
  assert.equal(nf.json.error.message, "Invalid URL (GET /v1/nope)");
  const wm = await call(`${base}/chat/completions`, { headers: openaiHeaders });
  assert.equal(wm.status, 405);
  assert.equal(wm.headers.get("allow"), "POST");
  assert.match(wm.json.error.message, /Invalid method/);
  const outside = await call(`${ctx.fake.url}/elsewhere`);
  assert.equal(outside.status, 404);

  await chat(chatBody());
  const rec = ctx.fake.requests.at(-1);
  assert.equal(rec.method, "POST");
  assert.equal(rec.path, "/openai/v1/chat/completions");
  assert.equal(rec.headers.authorization, "Bearer sk-test");
  assert.equal(rec.headers["content-type"], "application/json");
  assert.deepEqual(rec.json, chatBody());
  assert.equal(rec.bodyText, JSON.stringify(chatBody()));
  assert.deepEqual(rec.query, {});
});
