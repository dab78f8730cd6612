// OpenAIChatProvider (contract §2): the reference's exact request, its answers and every
// error message, with fetchFn doubles of every shape the contract allows.

import { test } from "node:test";
import assert from "node:assert/strict";
import { OpenAIChatProvider } from "edge-llm";
import { completion, errorResponse, fetchDouble, jsonResponse, messages, sequence } from "./support/doubles.mjs";

const REFERENCE_BODY =
  '{"model":"gpt-4o","max_tokens":8192,"response_format":{"type":"json_object"},' +
  '"messages":[{"role":"system","content":"Answer in JSON."},{"role":"user","content":"Three primary colours?"}]}';

const provider = (fetchFn, extra = {}) => new OpenAIChatProvider({ apiKey: "sk-test", model: "gpt-4o", fetchFn, ...extra });

test("sends exactly the reference request: URL, method, headers, body; init and headers are plain objects", async () => {
  const fetchFn = sequence(jsonResponse(completion('{"colours":["red","green","blue"]}')));
  await provider(fetchFn).chat(messages);
  assert.equal(fetchFn.calls.length, 1);
  const { url, init } = fetchFn.calls[0];
  assert.equal(url, "https://api.openai.com/v1/chat/completions");
  assert.equal(Object.getPrototypeOf(init), Object.prototype);
  assert.deepEqual(Object.keys(init), ["method", "headers", "body"]);
  assert.equal(init.method, "POST");
  assert.equal(Object.getPrototypeOf(init.headers), Object.prototype);
  assert.deepEqual(init.headers, { "Content-Type": "application/json", Authorization: "Bearer sk-test" });
  assert.deepEqual(Object.keys(init.headers), ["Content-Type", "Authorization"]);
  assert.equal(init.body, REFERENCE_BODY);
});

test("returns the parsed JSON and the usage", async () => {
  const fetchFn = sequence(jsonResponse(completion('{"colours":["red","green","blue"]}', { prompt: 21, completionTokens: 9 })));
  const result = await provider(fetchFn).chat(messages);
  assert.deepEqual(result, { response: { colours: ["red", "green", "blue"] }, usage: { inputTokens: 21, outputTokens: 9 } });
  assert.deepEqual(Object.keys(result), ["response", "usage"]);
});

test("system messages stay in the list with role system, in order", async () => {
  const fetchFn = sequence(jsonResponse(completion("{}")));
  const convo = [
    { role: "system", content: "a" },
    { role: "user", content: "b" },
    { role: "assistant", content: "c" },
    { role: "system", content: "d" },
  ];
  await provider(fetchFn).chat(convo);
  assert.deepEqual(fetchFn.calls[0].json.messages, convo);
});

test("message objects are sent as {role, content} only", async () => {
  const fetchFn = sequence(jsonResponse(completion("{}")));
  await provider(fetchFn).chat([{ role: "user", content: "json", name: "ignored", extra: 1 }]);
  assert.deepEqual(fetchFn.calls[0].json.messages, [{ role: "user", content: "json" }]);
});

test("baseUrl replaces https://api.openai.com/v1, with or without a trailing slash", async () => {
  for (const baseUrl of ["http://127.0.0.1:9/v1", "http://127.0.0.1:9/v1/"]) {
    const fetchFn = sequence(jsonResponse(completion("{}")));
    await provider(fetchFn, { baseUrl }).chat(messages);
    assert.equal(fetchFn.calls[0].url, "http://127.0.0.1:9/v1/chat/completions");
  }
});

test("maxTokens replaces the default 8192", async () => {
  const fetchFn = sequence(jsonResponse(completion("{}")));
  await provider(fetchFn, { maxTokens: 1234 }).chat(messages);
  assert.equal(fetchFn.calls[0].json.max_tokens, 1234);
});

test("reasoning models (o-series, gpt-5) get max_completion_tokens instead of max_tokens", async () => {
  for (const model of ["o1", "o3-mini", "o4-mini-2025-04-16", "gpt-5", "gpt-5-mini"]) {
    const fetchFn = sequence(jsonResponse(completion("{}")));
    await new OpenAIChatProvider({ apiKey: "k", model, fetchFn, maxTokens: 500 }).chat(messages);
    const body = fetchFn.calls[0].json;
    assert.equal(body.max_completion_tokens, 500, model);
    assert.equal("max_tokens" in body, false, model);
    assert.deepEqual(Object.keys(body), ["model", "max_completion_tokens", "response_format", "messages"], model);
  }
  for (const model of ["gpt-4o", "gpt-4.1", "gpt-4o-mini"]) {
    const fetchFn = sequence(jsonResponse(completion("{}")));
    await new OpenAIChatProvider({ apiKey: "k", model, fetchFn }).chat(messages);
    assert.equal(fetchFn.calls[0].json.max_tokens, 8192, model);
    assert.equal("max_completion_tokens" in fetchFn.calls[0].json, false, model);
  }
});

test("a non-OK answer throws `OpenAI chat error: <status> <statusText> — <body>`", async () => {
  const body = '{"error":{"message":"Incorrect API key provided"}}';
  const fetchFn = sequence(errorResponse(401, body));
  await assert.rejects(provider(fetchFn).chat(messages), {
    name: "Error",
    message: `OpenAI chat error: 401 Unauthorized — ${body}`,
  });
});

test("a non-OK double without text() reads as an empty body", async () => {
  const fetchFn = sequence({ ok: false, status: 500, statusText: "Internal Server Error" });
  await assert.rejects(provider(fetchFn).chat(messages), { message: "OpenAI chat error: 500 Internal Server Error — " });
});

test("a non-OK double whose text() rejects reads as an empty body", async () => {
  const fetchFn = sequence({ ok: false, status: 502, statusText: "Bad Gateway", text: () => Promise.reject(new Error("gone")) });
  await assert.rejects(provider(fetchFn).chat(messages), { message: "OpenAI chat error: 502 Bad Gateway — " });
});

test("a double that is only {ok: false} prints like the reference (undefined undefined)", async () => {
  const fetchFn = sequence({ ok: false });
  await assert.rejects(provider(fetchFn).chat(messages), { message: "OpenAI chat error: undefined undefined — " });
});

test("an OK double with only ok and json() is enough", async () => {
  const fetchFn = sequence({ ok: true, json: async () => completion('{"a":1}') });
  assert.deepEqual((await provider(fetchFn).chat(messages)).response, { a: 1 });
});

test("an OK double with only ok and text() is enough", async () => {
  const fetchFn = sequence({ ok: true, text: async () => JSON.stringify(completion('{"b":2}')) });
  assert.deepEqual((await provider(fetchFn).chat(messages)).response, { b: 2 });
});

test("a real Response works too", async () => {
  const fetchFn = sequence(new Response(JSON.stringify(completion('{"c":3}')), { status: 200 }));
  assert.deepEqual((await provider(fetchFn).chat(messages)).response, { c: 3 });
});

test("a real Response whose JSON serde refuses (a number beyond f64) reads as JSON.parse reads it", async () => {
  const body = JSON.stringify(completion('{"d":4}')).replace("{", '{"created":1e999,');
  const fetchFn = sequence(new Response(body, { status: 200 }));
  assert.deepEqual((await provider(fetchFn).chat(messages)).response, { d: 4 });
});

test("content that is not JSON throws `LLM returned invalid JSON: <first 200 chars>`", async () => {
  const content = `Sure! ${"x".repeat(300)}`;
  const fetchFn = sequence(jsonResponse(completion(content)));
  await assert.rejects(provider(fetchFn).chat(messages), { message: `LLM returned invalid JSON: ${content.slice(0, 200)}` });
});

test("the 200-character snippet counts UTF-16 units like String.prototype.slice", async () => {
  const content = "é😀".repeat(80); // 240 UTF-16 units
  const fetchFn = sequence(jsonResponse(completion(content)));
  await assert.rejects(provider(fetchFn).chat(messages), (err) => {
    const snippet = err.message.slice("LLM returned invalid JSON: ".length);
    // JavaScript would cut inside a surrogate pair at 200; edge-llm stops before it.
    assert.ok(content.startsWith(snippet));
    assert.ok(snippet.length === 200 || snippet.length === 199, String(snippet.length));
    return true;
  });
});

const problems = [
  ["no choices", { choices: [] }, "OpenAI chat error: response has no choices"],
  ["no choices field at all", { usage: { prompt_tokens: 1, completion_tokens: 1 } }, "OpenAI chat error: response has no choices"],
  ["a choice without a message", { choices: [{ index: 0, finish_reason: "stop" }] }, "OpenAI chat error: response has no message content"],
  ["null content", completion(null), "OpenAI chat error: response has no message content"],
  ["a refusal", completion(null, { refusal: "I can't help with that." }), "OpenAI chat error: the model refused: I can't help with that."],
  ["finish_reason length", completion('{"a":', { finish: "length" }), "OpenAI chat error: response truncated (finish_reason: length)"],
  ["finish_reason content_filter", completion("", { finish: "content_filter" }), "OpenAI chat error: response truncated (finish_reason: content_filter)"],
];
for (const [what, body, message] of problems) {
  test(`${what}: an Error with the provider prefix naming the cause, never a TypeError`, async () => {
    const fetchFn = sequence(jsonResponse(body));
    await assert.rejects(provider(fetchFn).chat(messages), (err) => {
      assert.ok(err instanceof Error);
      assert.ok(!(err instanceof TypeError), "a TypeError leaked");
      assert.equal(err.message, message);
      return true;
    });
  });
}

test("an OK answer whose body is not JSON is an OpenAI chat error, not a SyntaxError", async () => {
  const fetchFn = sequence(new Response("<html>gateway</html>", { status: 200 }));
  await assert.rejects(provider(fetchFn).chat(messages), (err) => {
    assert.equal(err.constructor, Error);
    assert.match(err.message, /^OpenAI chat error: unreadable response: body is not JSON/);
    return true;
  });
});

test("a network error rejects with the host's message as an Error", async () => {
  const fetchFn = sequence(new TypeError("fetch failed"));
  await assert.rejects(provider(fetchFn).chat(messages), (err) => {
    assert.ok(err instanceof Error);
    assert.equal(err.message, "fetch failed");
    return true;
  });
});

test("a fetchFn that rejects with a non-Error still rejects with an Error", async () => {
  const fetchFn = fetchDouble(() => Promise.reject("connection reset"));
  await assert.rejects(provider(fetchFn).chat(messages), (err) => {
    assert.ok(err instanceof Error);
    assert.equal(err.message, "connection reset");
    return true;
  });
});

test("a fetchFn that throws synchronously rejects the call (no synchronous throw)", async () => {
  const fetchFn = () => {
    throw new Error("sync boom");
  };
  const p = provider(fetchFn).chat(messages);
  assert.ok(p instanceof Promise);
  await assert.rejects(p, { message: "sync boom" });
});

test("without fetchFn the global fetch (as it was at construction) is used", async () => {
  const original = globalThis.fetch;
  const double = sequence(jsonResponse(completion('{"global":true}')));
  globalThis.fetch = double;
  try {
    const p = new OpenAIChatProvider({ apiKey: "k", model: "gpt-4o" });
    assert.deepEqual((await p.chat(messages)).response, { global: true });
    assert.equal(double.calls.length, 1);
  } finally {
    globalThis.fetch = original;
  }
});

test("maxContextTokens is 128000 and countTokens uses the model's encoding", () => {
  const p = provider(sequence());
  assert.equal(p.maxContextTokens, 128_000);
  assert.equal(p.countTokens("hello world"), 2);
  assert.equal(p.countTokens(""), 0);
  assert.equal("batch" in p, false);
});

test("absent fields in the answer are absent in the result (never null)", async () => {
  const fetchFn = sequence(jsonResponse({ choices: [{ message: { content: '{"x":null}' } }] }));
  const result = await provider(fetchFn).chat(messages);
  assert.deepEqual(result, { response: { x: null }, usage: { inputTokens: 0, outputTokens: 0 } });
});

test("numbers in the answer read exactly as JSON.parse reads them", async () => {
  const content = '{"f":-0.12246547386375463,"tiny":5e-324,"big":12345678901234567890,"neg":-92233720368547758070,"int":9007199254740993}';
  for (const res of [jsonResponse(completion(content)), { ok: true, text: async () => JSON.stringify(completion(content)) }]) {
    const result = await provider(sequence(res)).chat(messages);
    assert.deepEqual(result.response, JSON.parse(content));
    assert.equal(result.response.f, -0.12246547386375463);
    assert.equal(result.response.big, 12345678901234567000);
  }
});

test("a __proto__ key in the answer stays an own property, as with JSON.parse", async () => {
  const result = await provider(sequence(jsonResponse(completion('{"__proto__":{"polluted":true},"a":1}')))).chat(messages);
  assert.equal(Object.getPrototypeOf(result.response), Object.prototype);
  assert.deepEqual(Object.keys(result.response), ["__proto__", "a"]);
  assert.equal({}.polluted, undefined);
});

test("json() and text() may return plain values instead of promises", async () => {
  const fetchFn = sequence({ ok: true, json: () => completion('{"sync":true}') });
  assert.deepEqual((await provider(fetchFn).chat(messages)).response, { sync: true });
  const failing = sequence({ ok: false, status: 400, statusText: "Bad Request", text: () => "plain" });
  await assert.rejects(provider(failing).chat(messages), { message: "OpenAI chat error: 400 Bad Request — plain" });
});
