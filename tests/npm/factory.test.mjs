// ServiceFactory (contract §3): the class each config names, the fetchFn and logger it
// passes on (batch providers get the child logger "openai-batch-chat"), and the error for
// an unknown provider, which lists the known ones.

import { test } from "node:test";
import assert from "node:assert/strict";
import {
  AnthropicBatchChatProvider,
  AnthropicChatProvider,
  OllamaChatProvider,
  OllamaEmbeddingProvider,
  OpenAIBatchChatProvider,
  OpenAIBatchEmbeddingProvider,
  OpenAIChatProvider,
  OpenAIEmbeddingProvider,
  ServiceFactory,
} from "edge-llm";
import { claudeMessage, completion, fetchDouble, jsonResponse, messages, recordingLogger } from "./support/doubles.mjs";
import { jsonl, okLine, openaiBatchApi } from "./support/batch-doubles.mjs";

const cfg = (provider, extra = {}) => ({ provider, url: "http://localhost:11434", model: "m", apiKey: "sk-test", ...extra });
const llm = (config, opts) => new ServiceFactory({ llm: config }, opts).createLLMProvider();

test("createLLMProvider: openai, openai+batch, anthropic, anthropic+batch, ollama", () => {
  assert.ok(llm(cfg("openai")) instanceof OpenAIChatProvider);
  assert.ok(llm(cfg("openai", { batch: false })) instanceof OpenAIChatProvider);
  assert.ok(llm(cfg("openai", { batch: true })) instanceof OpenAIBatchChatProvider);
  assert.ok(llm(cfg("anthropic")) instanceof AnthropicChatProvider);
  assert.ok(llm(cfg("anthropic", { batch: true })) instanceof AnthropicBatchChatProvider);
  assert.ok(llm(cfg("ollama")) instanceof OllamaChatProvider);
  assert.equal(llm(cfg("openai", { batch: true })).batch, true);
  assert.equal(llm(cfg("anthropic")).maxContextTokens, 200_000);
});

test("an unknown provider is an Error that lists the known ones", () => {
  assert.throws(() => llm(cfg("mistral")), (err) => {
    assert.equal(err.constructor, Error);
    assert.ok(err.message.includes("mistral"), err.message);
    for (const known of ["openai", "anthropic", "ollama"]) assert.ok(err.message.includes(known), err.message);
    return true;
  });
  assert.throws(() => new ServiceFactory({ llm: cfg("openai"), embedding: cfg("cohere") }).createEmbeddingProvider(), /openai, anthropic, ollama/);
});

test("the factory's fetchFn reaches the provider; OpenAI ignores `url` and defaults to api.openai.com", async () => {
  const fetchFn = fetchDouble(() => jsonResponse(completion('{"via":"factory"}')));
  const p = llm(cfg("openai", { model: "gpt-4o" }), { fetchFn });
  assert.deepEqual((await p.chat(messages)).response, { via: "factory" });
  assert.equal(fetchFn.calls[0].url, "https://api.openai.com/v1/chat/completions");
  assert.deepEqual(fetchFn.calls[0].headers, { "Content-Type": "application/json", Authorization: "Bearer sk-test" });
  assert.equal(fetchFn.calls[0].json.model, "gpt-4o");
});

test("baseUrl in the config wins over url for OpenAI and Anthropic", async () => {
  let fetchFn = fetchDouble(() => jsonResponse(completion("{}")));
  await llm(cfg("openai", { baseUrl: "http://127.0.0.1:9/openai/v1" }), { fetchFn }).chat(messages);
  assert.equal(fetchFn.calls[0].url, "http://127.0.0.1:9/openai/v1/chat/completions");
  fetchFn = fetchDouble(() => jsonResponse(claudeMessage("{}")));
  await llm(cfg("anthropic", { baseUrl: "http://127.0.0.1:9/anthropic/v1" }), { fetchFn }).chat(messages);
  assert.equal(fetchFn.calls[0].url, "http://127.0.0.1:9/anthropic/v1/messages");
  assert.equal(fetchFn.calls[0].headers["x-api-key"], "sk-test");
});

test("Ollama uses `url`", async () => {
  const fetchFn = fetchDouble(() => jsonResponse({ message: { content: "{}" } }));
  await llm(cfg("ollama", { url: "http://gpu:11434", model: "llama3.2" }), { fetchFn }).chat(messages);
  assert.equal(fetchFn.calls[0].url, "http://gpu:11434/api/chat");
  assert.equal(fetchFn.calls[0].json.model, "llama3.2");
});

test("openai+batch asks the logger for the child \"openai-batch-chat\"; the sync classes ask for none", () => {
  const logger = recordingLogger();
  llm(cfg("openai"), { logger });
  llm(cfg("ollama"), { logger });
  assert.deepEqual(logger.children, []);
  llm(cfg("openai", { batch: true }), { logger });
  assert.deepEqual(logger.children, ["openai-batch-chat"]);
});

test("a factory-built batch provider logs through the child logger", async (t) => {
  t.mock.timers.enable({ apis: ["setTimeout", "Date"] });
  const logger = recordingLogger();
  const fetchFn = openaiBatchApi({ polls: [{ status: "completed", output_file_id: "file-out" }], files: { "file-out": jsonl(okLine("a", {}), okLine("b", {})) } });
  const p = llm(cfg("openai", { batch: true }), { fetchFn, logger });
  const pending = p.chatBatch([{ id: "a", messages }, { id: "b", messages }]);
  let done = false;
  pending.then(() => (done = true));
  for (let i = 0; i < 50 && !done; i++) {
    await new Promise((r) => setImmediate(r));
    t.mock.timers.runAll();
  }
  assert.equal((await pending).length, 2);
  assert.ok(logger.lines.length > 0);
  assert.ok(logger.lines.every((l) => l[3] === "openai-batch-chat"), JSON.stringify(logger.lines.map((l) => l[3])));
  assert.deepEqual(logger.messages().slice(0, 2), ["Batch created", "Polling batch"]);
});

test("a logger without child() is used as is; no logger is fine", () => {
  const lines = [];
  const flat = { info: (m) => lines.push(m) };
  assert.ok(llm(cfg("openai", { batch: true }), { logger: flat }) instanceof OpenAIBatchChatProvider);
  assert.ok(llm(cfg("openai", { batch: true })) instanceof OpenAIBatchChatProvider);
  assert.ok(new ServiceFactory({ llm: cfg("openai") }).createLLMProvider() instanceof OpenAIChatProvider);
});

test("createEmbeddingProvider: openai, openai+batch, ollama; anthropic and a missing config are errors", async () => {
  const factory = (embedding) => new ServiceFactory({ llm: cfg("openai"), embedding });
  assert.ok(factory(cfg("openai", { model: "text-embedding-3-small" })).createEmbeddingProvider() instanceof OpenAIEmbeddingProvider);
  assert.ok(factory(cfg("openai", { batch: true })).createEmbeddingProvider() instanceof OpenAIBatchEmbeddingProvider);
  assert.ok(factory(cfg("ollama", { model: "nomic-embed-text" })).createEmbeddingProvider() instanceof OllamaEmbeddingProvider);
  assert.equal(factory(cfg("ollama", { model: "nomic-embed-text" })).createEmbeddingProvider().dimensions, 768);
  assert.throws(() => factory(cfg("anthropic")).createEmbeddingProvider(), /Anthropic has no embeddings API/);
  assert.throws(() => new ServiceFactory({ llm: cfg("openai") }).createEmbeddingProvider(), (err) => err instanceof Error && /embedding/.test(err.message));

  const fetchFn = fetchDouble(() => jsonResponse({ embeddings: [[1, 2]] }));
  const ollama = new ServiceFactory({ llm: cfg("openai"), embedding: cfg("ollama", { url: "http://gpu:11434", model: "nomic-embed-text" }) }, { fetchFn }).createEmbeddingProvider();
  assert.deepEqual(await ollama.embed(["x"]), [[1, 2]]);
  assert.equal(fetchFn.calls[0].url, "http://gpu:11434/api/embed");
});
