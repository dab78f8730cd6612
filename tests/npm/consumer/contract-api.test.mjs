// Consumer suite: the parts of the contract's API that the reference excerpt does not
// contain (Anthropic, Ollama, embeddings, ServiceFactory, countTokens). Imported as a
// namespace so the file also loads against the reference, where every test is skipped.

import { test } from "node:test";
import assert from "node:assert/strict";
import * as llm from "edge-llm";
import { claudeMessage, completion, fetchDouble, jsonResponse, messages, sequence } from "../support/doubles.mjs";
import { contractOnly } from "./target.mjs";

const skip = contractOnly("not in the reference excerpt");

test("AnthropicChatProvider: system field, JSON from the first text block", { skip }, async () => {
  const fetchFn = sequence(jsonResponse(claudeMessage('```json\n{"a":1}\n```', { input: 5, output: 2 })));
  const result = await new llm.AnthropicChatProvider({ apiKey: "sk-ant", model: "claude-sonnet-4-5", fetchFn }).chat(messages);
  assert.deepEqual(result, { response: { a: 1 }, usage: { inputTokens: 5, outputTokens: 2 } });
  assert.equal(fetchFn.calls[0].url, "https://api.anthropic.com/v1/messages");
  assert.equal(JSON.parse(fetchFn.calls[0].body).system, "Answer in JSON.");
});

test("OllamaChatProvider: /api/chat, usage from the eval counts", { skip }, async () => {
  const fetchFn = sequence(jsonResponse({ message: { content: '{"b":2}' }, prompt_eval_count: 7, eval_count: 3 }));
  const result = await new llm.OllamaChatProvider({ url: "http://gpu:11434", model: "llama3.2", fetchFn }).chat(messages);
  assert.deepEqual(result, { response: { b: 2 }, usage: { inputTokens: 7, outputTokens: 3 } });
  assert.equal(fetchFn.calls[0].url, "http://gpu:11434/api/chat");
});

test("OpenAIEmbeddingProvider splits above 2048 inputs", { skip }, async () => {
  const fetchFn = fetchDouble((call) => jsonResponse({ data: JSON.parse(call.body).input.map((_, index) => ({ index, embedding: [index] })) }));
  const vectors = await new llm.OpenAIEmbeddingProvider({ apiKey: "k", model: "text-embedding-3-small", fetchFn }).embed(Array.from({ length: 2049 }, String));
  assert.equal(vectors.length, 2049);
  assert.deepEqual(fetchFn.calls.map((c) => JSON.parse(c.body).input.length), [2048, 1]);
});

test("ServiceFactory builds the class the config names", { skip }, async () => {
  const config = (provider, batch) => ({ llm: { provider, url: "http://localhost:11434", model: "gpt-4o", apiKey: "k", batch } });
  assert.ok(new llm.ServiceFactory(config("openai")).createLLMProvider() instanceof llm.OpenAIChatProvider);
  assert.ok(new llm.ServiceFactory(config("openai", true)).createLLMProvider() instanceof llm.OpenAIBatchChatProvider);
  assert.ok(new llm.ServiceFactory(config("anthropic")).createLLMProvider() instanceof llm.AnthropicChatProvider);
  assert.ok(new llm.ServiceFactory(config("ollama")).createLLMProvider() instanceof llm.OllamaChatProvider);
  assert.throws(() => new llm.ServiceFactory(config("nope")).createLLMProvider(), /openai, anthropic, ollama/);
  const fetchFn = sequence(jsonResponse(completion('{"c":3}')));
  const p = new llm.ServiceFactory(config("openai"), { fetchFn }).createLLMProvider();
  assert.deepEqual((await p.chat(messages)).response, { c: 3 });
});

test("countTokens(text, model = gpt-4o)", { skip }, () => {
  assert.equal(llm.countTokens("hello world"), 2);
  assert.equal(llm.countTokens("Привет, как дела? こんにちは世界"), 9);
  assert.equal(llm.countTokens("Привет, как дела? こんにちは世界", "gpt-4"), 13);
  assert.equal(llm.countTokens("<|endoftext|>"), 7);
});
