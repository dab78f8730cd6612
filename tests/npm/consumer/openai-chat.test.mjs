// Consumer suite: OpenAIChatProvider as a consumer of the provider layer tests it, written
// only against the contract's API. Runs against edge-llm, and unchanged against the
// TypeScript reference (reference/run.mjs).

import { test } from "node:test";
import assert from "node:assert/strict";
import { OpenAIChatProvider } from "edge-llm";
import { completion, errorResponse, jsonResponse, messages, sequence } from "../support/doubles.mjs";
import { contractOnly } from "./target.mjs";

const provider = (fetchFn) => new OpenAIChatProvider({ apiKey: "sk-test", model: "gpt-4o", fetchFn });

test("chat sends the documented request and returns {response, usage}", async () => {
  const fetchFn = sequence(jsonResponse(completion('{"colours":["red","green","blue"]}', { prompt: 20, completionTokens: 8 })));
  const result = await provider(fetchFn).chat(messages);
  assert.deepEqual(result, { response: { colours: ["red", "green", "blue"] }, usage: { inputTokens: 20, outputTokens: 8 } });
  const [{ url, init }] = fetchFn.calls;
  assert.equal(url, "https://api.openai.com/v1/chat/completions");
  assert.equal(init.method, "POST");
  assert.deepEqual(init.headers, { "Content-Type": "application/json", Authorization: "Bearer sk-test" });
  assert.deepEqual(JSON.parse(init.body), {
    model: "gpt-4o",
    max_tokens: 8192,
    response_format: { type: "json_object" },
    messages,
  });
});

test("a non-OK answer rejects with `OpenAI chat error: <status> <statusText> — <body>`", async () => {
  await assert.rejects(provider(sequence(errorResponse(429, "Rate limit reached"))).chat(messages), {
    message: "OpenAI chat error: 429 Too Many Requests — Rate limit reached",
  });
});

test("content that is not JSON rejects with `LLM returned invalid JSON: …`", async () => {
  await assert.rejects(provider(sequence(jsonResponse(completion("no json here")))).chat(messages), {
    message: "LLM returned invalid JSON: no json here",
  });
});

test("a network error rejects with its own message", async () => {
  await assert.rejects(provider(sequence(new TypeError("fetch failed"))).chat(messages), { message: "fetch failed" });
});

test("maxContextTokens is 128000; countTokens returns a token count", () => {
  const p = provider(sequence());
  assert.equal(p.maxContextTokens, 128_000);
  assert.equal(typeof p.countTokens("hello world"), "number");
  assert.ok(p.countTokens("hello world, this is longer") > p.countTokens("hello"));
});

test("countTokens counts with tiktoken", { skip: contractOnly("the reference's tokenizer module is not in the contract folder (a stand-in replaces it)") }, () => {
  assert.equal(provider(sequence()).countTokens("hello world"), 2);
});

test("a non-OK double without text() reads as an empty body", { skip: contractOnly("the reference calls text() unconditionally") }, async () => {
  await assert.rejects(provider(sequence({ ok: false, status: 500, statusText: "Internal Server Error" })).chat(messages), {
    message: "OpenAI chat error: 500 Internal Server Error — ",
  });
});

test("an answer without choices is an OpenAI chat error, not a TypeError", { skip: contractOnly("the reference throws a TypeError") }, async () => {
  await assert.rejects(provider(sequence(jsonResponse({ choices: [] }))).chat(messages), (err) => {
    assert.ok(!(err instanceof TypeError));
    assert.ok(err.message.startsWith("OpenAI chat error: "), err.message);
    return true;
  });
});

test("a truncated answer names its cause", { skip: contractOnly("the reference reports the cut JSON as invalid") }, async () => {
  await assert.rejects(provider(sequence(jsonResponse(completion('{"a":', { finish: "length" })))).chat(messages), {
    message: "OpenAI chat error: response truncated (finish_reason: length)",
  });
});
