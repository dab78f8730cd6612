// AnthropicChatProvider (contract §2): POST {base}/messages with x-api-key and
// anthropic-version, system messages in the top-level `system` field, the JSON answer read
// from the first text block (fenced or not), and the `Anthropic chat error` messages.

import { test } from "node:test";
import assert from "node:assert/strict";
import { AnthropicChatProvider } from "edge-llm";
import { claudeMessage, errorResponse, jsonResponse, messages, sequence } from "./support/doubles.mjs";

const provider = (fetchFn, extra = {}) =>
  new AnthropicChatProvider({ apiKey: "sk-ant-test", model: "claude-sonnet-4-5", fetchFn, ...extra });

test("sends POST {base}/messages with the Anthropic headers and the system field", async () => {
  const fetchFn = sequence(jsonResponse(claudeMessage('{"ok":true}')));
  await provider(fetchFn).chat(messages);
  const { url, init } = fetchFn.calls[0];
  assert.equal(url, "https://api.anthropic.com/v1/messages");
  assert.deepEqual(Object.keys(init), ["method", "headers", "body"]);
  assert.equal(init.method, "POST");
  assert.equal(Object.getPrototypeOf(init.headers), Object.prototype);
  assert.deepEqual(init.headers, {
    "Content-Type": "application/json",
    "x-api-key": "sk-ant-test",
    "anthropic-version": "2023-06-01",
  });
  assert.equal(
    init.body,
    '{"model":"claude-sonnet-4-5","max_tokens":8192,"system":"Answer in JSON.","messages":[{"role":"user","content":"Three primary colours?"}]}',
  );
});

test("several system messages are joined into `system`; the turns keep their order", async () => {
  const fetchFn = sequence(jsonResponse(claudeMessage("{}")));
  await provider(fetchFn).chat([
    { role: "system", content: "Be brief." },
    { role: "user", content: "q1" },
    { role: "assistant", content: "a1" },
    { role: "system", content: "Reply in JSON." },
    { role: "user", content: "q2" },
  ]);
  const body = fetchFn.calls[0].json;
  assert.equal(body.system, "Be brief.\n\nReply in JSON.");
  assert.deepEqual(body.messages, [
    { role: "user", content: "q1" },
    { role: "assistant", content: "a1" },
    { role: "user", content: "q2" },
  ]);
});

test("without system messages there is no system field", async () => {
  const fetchFn = sequence(jsonResponse(claudeMessage("{}")));
  await provider(fetchFn).chat([{ role: "user", content: "hi" }]);
  assert.equal("system" in fetchFn.calls[0].json, false);
});

test("baseUrl and maxTokens", async () => {
  const fetchFn = sequence(jsonResponse(claudeMessage("{}")));
  await provider(fetchFn, { baseUrl: "http://127.0.0.1:9/anthropic/v1/", maxTokens: 300 }).chat(messages);
  assert.equal(fetchFn.calls[0].url, "http://127.0.0.1:9/anthropic/v1/messages");
  assert.equal(fetchFn.calls[0].json.max_tokens, 300);
});

test("the JSON is read from the first text block, with usage", async () => {
  const fetchFn = sequence(
    jsonResponse(claudeMessage(null, { input: 31, output: 12, blocks: [{ type: "thinking", thinking: "hmm" }, { type: "text", text: '{"a":1}' }, { type: "text", text: '{"b":2}' }] })),
  );
  assert.deepEqual(await provider(fetchFn).chat(messages), { response: { a: 1 }, usage: { inputTokens: 31, outputTokens: 12 } });
});

test("a fenced ```json block is accepted", async () => {
  for (const text of ['```json\n{"fenced":true}\n```', '```\n{"fenced":true}\n```', '  ```JSON\n{"fenced":true}\n```\n']) {
    const fetchFn = sequence(jsonResponse(claudeMessage(text)));
    assert.deepEqual((await provider(fetchFn).chat(messages)).response, { fenced: true }, text);
  }
});

test("prose is `LLM returned invalid JSON: …`", async () => {
  const fetchFn = sequence(jsonResponse(claudeMessage("Here you go: {}")));
  await assert.rejects(provider(fetchFn).chat(messages), { message: "LLM returned invalid JSON: Here you go: {}" });
});

test("a non-OK answer throws `Anthropic chat error: <status> <statusText> — <body>`", async () => {
  const body = '{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}';
  const fetchFn = sequence(errorResponse(529, body, { statusText: "Site Overloaded" }));
  await assert.rejects(provider(fetchFn).chat(messages), { message: `Anthropic chat error: 529 Site Overloaded — ${body}` });
});

const problems = [
  ["empty content", { content: [], stop_reason: "end_turn" }, "Anthropic chat error: response has no choices"],
  ["no content field", { usage: { input_tokens: 1, output_tokens: 1 } }, "Anthropic chat error: response has no choices"],
  ["no text block", { content: [{ type: "tool_use", id: "t", name: "x", input: {} }] }, "Anthropic chat error: response has no message content"],
  ["max_tokens", claudeMessage('{"a":', { stop: "max_tokens" }), "Anthropic chat error: response truncated (stop_reason: max_tokens)"],
  ["a refusal", claudeMessage("I can't help.", { stop: "refusal" }), "Anthropic chat error: the model refused: I can't help."],
];
for (const [what, body, message] of problems) {
  test(`${what}: an Anthropic chat error naming the cause, never a TypeError`, async () => {
    const fetchFn = sequence(jsonResponse(body));
    await assert.rejects(provider(fetchFn).chat(messages), (err) => {
      assert.equal(err.constructor, Error);
      assert.equal(err.message, message);
      return true;
    });
  });
}

test("maxContextTokens is 200000; countTokens is an o200k_base estimate", () => {
  const p = provider(sequence());
  assert.equal(p.maxContextTokens, 200_000);
  assert.equal(p.countTokens("hello world"), 2);
  // Counts from tiktoken: o200k_base 9, cl100k_base 13.
  assert.equal(p.countTokens("Привет, как дела? こんにちは世界"), 9);
  assert.equal(p.countTokens("<|endoftext|>"), 7);
});
