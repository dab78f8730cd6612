// End to end: the package with its default fetch (no fetchFn) against the loopback fake
// provider (tests/support/fake-provider), which speaks the real wire formats — multipart
// uploads, batch statuses advancing one step per poll, streamed JSONL output. After every
// test, each request body the fake recorded is validated against the providers' specs.

import { test, before, after, beforeEach, afterEach } from "node:test";
import assert from "node:assert/strict";
import {
  AnthropicBatchChatProvider,
  AnthropicChatProvider,
  checkEmbeddingHealth,
  checkLLMHealth,
  OllamaChatProvider,
  OllamaEmbeddingProvider,
  OpenAIBatchChatProvider,
  OpenAIBatchEmbeddingProvider,
  OpenAIChatProvider,
  OpenAIEmbeddingProvider,
  ServiceFactory,
} from "edge-llm";
import { startFakeProvider } from "../support/fake-provider/index.mjs";
import { assertValid, lineBodyValidator, requestValidators } from "../spec/support/specs.mjs";
import { recordingLogger } from "./support/doubles.mjs";

let fake;
const v = requestValidators();
before(async () => {
  fake = await startFakeProvider();
});
beforeEach(() => fake.reset());
after(() => fake.close());

/** Each recorded request with a body, validated against the spec of its route. */
function validateRecorded() {
  let checked = 0;
  for (const r of fake.requests) {
    const route = `${r.method} ${r.path}`;
    if (route === "POST /openai/v1/chat/completions") assertValid(v.chat, r.json, route);
    else if (route === "POST /openai/v1/embeddings") assertValid(v.embeddings, r.json, route);
    else if (route === "POST /openai/v1/batches") assertValid(v.batches, r.json, route);
    else if (route === "POST /openai/v1/files") {
      const [file] = r.multipart.files;
      assertValid(v.files, { ...r.multipart.fields, file: file.content }, route);
      for (const line of file.content.split("\n").map((l) => JSON.parse(l))) assertValid(lineBodyValidator(line.url), line.body, `${route} line ${line.custom_id}`);
    } else if (route === "POST /anthropic/v1/messages") assertValid(v.messages, r.json, route);
    else if (route === "POST /anthropic/v1/messages/batches") assertValid(v.messageBatches, r.json, route);
    else if (r.method === "POST" && r.path !== "/ollama/api/chat" && r.path !== "/ollama/api/embed") {
      throw new Error(`no spec check for ${route}`);
    } else continue;
    checked += 1;
  }
  return checked;
}
afterEach(() => validateRecorded());

const convo = (user) => [
  { role: "system", content: "Answer in JSON." },
  { role: "user", content: user },
];
const openai = (extra = {}) => ({ apiKey: "sk-test", model: "gpt-4o", baseUrl: fake.openaiBaseUrl, ...extra });
const anthropic = (extra = {}) => ({ apiKey: "sk-ant-test", model: "claude-sonnet-4-5", baseUrl: fake.anthropicBaseUrl, ...extra });

test("OpenAI chat over HTTP with the global fetch", async () => {
  const result = await new OpenAIChatProvider(openai()).chat(convo("three colours"));
  assert.deepEqual(result.response, { echo: "three colours", model: "gpt-4o" });
  assert.ok(result.usage.inputTokens > 0 && result.usage.outputTokens > 0);
  const [req] = fake.requests;
  assert.equal(req.headers.authorization, "Bearer sk-test");
  assert.equal(req.headers["content-type"], "application/json");
  assert.equal(req.json.max_tokens, 8192);
  assert.equal(validateRecorded(), 1);
});

test("OpenAI chat errors over HTTP carry upstream's status and body", async () => {
  await assert.rejects(new OpenAIChatProvider(openai({ apiKey: "sk-wrong-key-123456" })).chat(convo("x")), (err) => {
    assert.ok(err.message.startsWith("OpenAI chat error: 401 Unauthorized — {"), err.message);
    assert.ok(err.message.includes("Incorrect API key provided"), err.message);
    assert.ok(!err.message.includes("sk-wrong-key-123456"));
    return true;
  });
  const p = new OpenAIChatProvider(openai());
  await assert.rejects(p.chat(convo("[[status:400]]")), /^Error: OpenAI chat error: 400 Bad Request — .*Bad request/);
  await assert.rejects(p.chat(convo("[[invalid-json]]")), /^Error: LLM returned invalid JSON: Sure! Here is the JSON you asked for: \{/);
  await assert.rejects(p.chat(convo("[[truncate]]")), { message: "OpenAI chat error: response truncated (finish_reason: length)" });
  await assert.rejects(p.chat(convo("[[refuse]]")), { message: "OpenAI chat error: the model refused: I'm sorry, but I can't help with that request." });
});

test("a reasoning model is sent max_completion_tokens (the fake rejects max_tokens for it)", async () => {
  const result = await new OpenAIChatProvider(openai({ model: "o3-mini" })).chat(convo("think"));
  assert.deepEqual(result.response, { echo: "think", model: "o3-mini" });
  assert.equal(fake.requests[0].json.max_completion_tokens, 8192);
});

test("maxRetries recovers from a 429 with retry-after-ms, and from a dropped connection", async () => {
  fake.configure({ faults: [{ path: "/chat/completions", status: 429, headers: { "retry-after-ms": "20" }, times: 1 }, { path: "/chat/completions", drop: true, times: 1 }] });
  const result = await new OpenAIChatProvider(openai({ maxRetries: 2 })).chat(convo("again"));
  assert.equal(result.response.echo, "again");
  assert.equal(fake.requests.length, 3);
  assert.ok(fake.requests[1].receivedAt - fake.requests[0].receivedAt >= 20);
});

test("requestTimeoutMs gives up on a slow answer", async () => {
  fake.configure({ faults: [{ path: "/chat/completions", delayMs: 2000, times: 1 }] });
  await assert.rejects(new OpenAIChatProvider(openai({ requestTimeoutMs: 100 })).chat(convo("slow")), {
    message: "OpenAI chat error: request timed out after 100ms",
  });
});

test("Anthropic chat: system field, fenced JSON accepted", async () => {
  fake.configure({ anthropicFencedJson: true });
  const result = await new AnthropicChatProvider(anthropic()).chat(convo("fenced"));
  assert.deepEqual(result.response, { echo: "fenced", model: "claude-sonnet-4-5" });
  const [req] = fake.requests;
  assert.equal(req.json.system, "Answer in JSON.");
  assert.equal(req.headers["x-api-key"], "sk-ant-test");
  assert.equal(req.headers["anthropic-version"], "2023-06-01");
  await assert.rejects(new AnthropicChatProvider(anthropic()).chat(convo("[[truncate]]")), {
    message: "Anthropic chat error: response truncated (stop_reason: max_tokens)",
  });
});

test("Ollama chat and embeddings", async () => {
  const chat = await new OllamaChatProvider({ url: fake.ollamaUrl, model: "llama3.2" }).chat(convo("local"));
  assert.deepEqual(chat.response, { echo: "local", model: "llama3.2" });
  assert.ok(chat.usage.inputTokens > 0 && chat.usage.outputTokens > 0);
  const vectors = await new OllamaEmbeddingProvider({ url: fake.ollamaUrl, model: "nomic-embed-text" }).embed(["a", "b"]);
  assert.equal(vectors.length, 2);
  assert.equal(vectors[0].length, 768);
  await assert.rejects(new OllamaChatProvider({ url: fake.ollamaUrl, model: "mistral" }).chat(convo("x")), {
    message: 'Ollama chat error: 404 Not Found — {"error":"model \\"mistral\\" not found, try pulling it first"}',
  });
});

test("OpenAI embeddings: 2050 texts are split (the fake refuses more than 2048 a call)", async () => {
  const texts = Array.from({ length: 2050 }, (_, i) => `text ${i}`);
  // 16 dimensions keep the answer small (2048 × 1536 numbers would be 67 MB of JSON).
  const p = new OpenAIEmbeddingProvider(openai({ model: "text-embedding-3-small", dimensions: 16 }));
  const vectors = await p.embed(texts);
  assert.equal(vectors.length, 2050);
  assert.equal(vectors[0].length, 16);
  assert.deepEqual(fake.requests.map((r) => r.json.input.length), [2048, 2]);
  const again = await p.embed(["text 2049", "text 0"]);
  assert.deepEqual(again, [vectors[2049], vectors[0]]);
  const full = await new OpenAIEmbeddingProvider(openai({ model: "text-embedding-3-small" })).embed(["one"]);
  assert.equal(full[0].length, 1536);
});

test("OpenAI batch: multipart upload, statuses advancing, shuffled output and error file, input order", async () => {
  fake.configure({ shuffleOutput: true });
  const logger = recordingLogger();
  const created = [];
  const p = new OpenAIBatchChatProvider(openai({ pollIntervalMs: 1, logger }));
  const ids = ["ok-1", "bad-400", "ok-2", "err-file", "not-json", "ok-3"];
  const users = ["first", "fail [[status:400]]", "second", "lost [[error-file]]", "[[invalid-json]]", "third"];
  const results = await p.chatBatch(
    ids.map((id, i) => ({ id, messages: convo(users[i]) })),
    { onBatchCreated: (id) => created.push(id) },
  );
  assert.deepEqual(results.map((r) => r.id), ids);
  assert.deepEqual(results[0].response, { echo: "first", model: "gpt-4o" });
  assert.deepEqual(results[2].response, { echo: "second", model: "gpt-4o" });
  assert.deepEqual(results[5].response, { echo: "third", model: "gpt-4o" });
  assert.equal(results[1].error, "status 400: Bad request");
  assert.deepEqual(results[1].response, {});
  assert.equal(results[3].error, "server_error: The server had an error while processing your request. Sorry about that!");
  assert.match(results[4].error, /^Invalid JSON: Sure! Here is the JSON you asked for: /);
  assert.ok(results[4].usage.outputTokens > 0, "usage kept on invalid JSON");
  for (const i of [0, 2, 5]) assert.equal(results[i].error, undefined);

  const { batches } = await fake.state();
  assert.equal(batches.length, 1);
  assert.deepEqual(created, [batches[0].id]);
  assert.equal(batches[0].status, "completed");
  assert.ok(batches[0].error_file_id);
  const upload = fake.requests.find((r) => r.path === "/openai/v1/files");
  assert.deepEqual(upload.multipart.fields, { purpose: "batch" });
  assert.equal(upload.multipart.files[0].filename, "batch-input.jsonl");
  assert.equal(upload.multipart.files[0].contentType, "application/jsonl");
  assert.deepEqual(
    logger.find("Polling batch").map((l) => l[2].status),
    ["in_progress", "in_progress", "in_progress", "finalizing", "completed"],
  );
  const downloads = fake.requests.filter((r) => r.path.endsWith("/content"));
  assert.deepEqual(downloads.map((r) => r.path), [`/openai/v1/files/${batches[0].output_file_id}/content`, `/openai/v1/files/${batches[0].error_file_id}/content`]);
  assert.ok(validateRecorded() >= 2);
});

test("OpenAI batch that expires: finished results, the rest `batch_expired: …`", async () => {
  fake.configure({ batchOutcome: "expired", expiredCompletedFraction: 0.5 });
  const p = new OpenAIBatchChatProvider(openai({ pollIntervalMs: 1 }));
  const results = await p.chatBatch(["a", "b", "c", "d"].map((id) => ({ id, messages: convo(id) })));
  assert.deepEqual(results.slice(0, 2).map((r) => r.response.echo), ["a", "b"]);
  for (const r of results.slice(2)) {
    assert.equal(r.error, "batch_expired: This request could not be executed before the completion window expired.");
    assert.deepEqual(r.response, {});
  }
});

test("OpenAI batch that fails or is cancelled throws", async () => {
  fake.configure({ batchOutcome: "failed" });
  const requests = ["a", "b"].map((id) => ({ id, messages: convo(id) }));
  await assert.rejects(new OpenAIBatchChatProvider(openai({ pollIntervalMs: 1 })).chatBatch(requests), /^Error: OpenAI batch failed: Enqueued token limit reached for gpt-4o/);
  fake.configure({ batchOutcome: "cancelled" });
  await assert.rejects(new OpenAIBatchChatProvider(openai({ pollIntervalMs: 1 })).chatBatch(requests), { message: "OpenAI batch cancelled" });
});

test("OpenAI batch: transient poll faults pass; resuming after a timeout collects the results", async () => {
  const requests = ["a", "b", "c"].map((id) => ({ id, messages: convo(id) }));
  fake.configure({ advanceOnGet: false, faults: [{ path: "^/openai/v1/batches/batch_", status: 503, times: 2 }] });
  let batchId;
  const logger = recordingLogger();
  const first = new OpenAIBatchChatProvider(openai({ pollIntervalMs: 5, maxPollIntervalMs: 5, timeoutMs: 60, logger }));
  await assert.rejects(first.chatBatch(requests, { onBatchCreated: (id) => (batchId = id) }), { message: "OpenAI batch timed out after 60ms" });
  assert.match(batchId, /^batch_/);
  assert.equal(logger.find("Transient poll error").length, 2);

  fake.configure({ advanceOnGet: true });
  const resumeLog = recordingLogger();
  const created = [];
  const second = new OpenAIBatchChatProvider(openai({ pollIntervalMs: 1, logger: resumeLog }));
  const results = await second.chatBatch(requests, { existingBatchId: batchId, onBatchCreated: (id) => created.push(id) });
  assert.deepEqual(results.map((r) => r.response.echo), ["a", "b", "c"]);
  assert.deepEqual(created, []);
  assert.equal(resumeLog.lines[0][1], "Resuming existing batch");
  assert.equal(fake.requests.filter((r) => r.path === "/openai/v1/batches" && r.method === "POST").length, 1);
});

test("OpenAI batch: a download cut half way rejects with the host's message, as the reference's text() would", async () => {
  fake.configure({ faults: [{ path: "/content$", dropAfterBytes: 10, times: 5 }] });
  const p = new OpenAIBatchChatProvider(openai({ pollIntervalMs: 1 }));
  await assert.rejects(p.chatBatch(["a", "b"].map((id) => ({ id, messages: convo(id) }))), (err) => {
    assert.equal(err.constructor, Error);
    assert.match(err.message, /^(terminated|other side closed|fetch failed)$/);
    return true;
  });
  assert.equal(fake.requests.filter((r) => r.path.endsWith("/content")).length, 1, "a strict batch does not retry by default");
});

test("OpenAI embedding batch", async () => {
  const p = new OpenAIBatchEmbeddingProvider(openai({ model: "text-embedding-3-small", pollIntervalMs: 1, dimensions: 32 }));
  const results = await p.embedBatch([{ id: "x", text: "one" }, { id: "y", text: "two [[status:400]]" }, { id: "z", text: "three" }]);
  assert.deepEqual(results.map((r) => r.id), ["x", "y", "z"]);
  assert.equal(results[0].embedding.length, 32);
  assert.equal(results[2].embedding.length, 32);
  assert.deepEqual(results[1].embedding, []);
  assert.match(results[1].error, /^status 400: /);
  const direct = await new OpenAIEmbeddingProvider(openai({ model: "text-embedding-3-small", dimensions: 32 })).embed(["one"]);
  assert.deepEqual(direct[0], results[0].embedding);
});

test("Anthropic batch: created inline, polled to `ended`, results streamed; errored items explained", async () => {
  fake.configure({ shuffleOutput: true });
  const created = [];
  const p = new AnthropicBatchChatProvider(anthropic({ pollIntervalMs: 1 }));
  const ids = ["a", "b", "c", "d"];
  const users = ["alpha", "beta [[status:529]]", "[[invalid-json]]", "delta"];
  const results = await p.chatBatch(ids.map((id, i) => ({ id, messages: convo(users[i]) })), { onBatchCreated: (id) => created.push(id) });
  assert.deepEqual(results.map((r) => r.id), ids);
  assert.deepEqual(results[0].response, { echo: "alpha", model: "claude-sonnet-4-5" });
  assert.deepEqual(results[3].response, { echo: "delta", model: "claude-sonnet-4-5" });
  assert.match(results[1].error, /^overloaded_error: /);
  assert.match(results[2].error, /^Invalid JSON: /);
  const { messageBatches } = await fake.state();
  assert.deepEqual(created, [messageBatches[0].id]);
  assert.match(created[0], /^msgbatch_/);
  assert.equal(messageBatches[0].processing_status, "ended");
});

test("Anthropic batch that expires returns what finished", async () => {
  fake.configure({ batchOutcome: "expired", expiredCompletedFraction: 0.5 });
  const p = new AnthropicBatchChatProvider(anthropic({ pollIntervalMs: 1 }));
  const results = await p.chatBatch(["a", "b", "c", "d"].map((id) => ({ id, messages: convo(id) })));
  assert.deepEqual(results.map((r) => r.error), [undefined, undefined, "Batch expired before this request completed", "Batch expired before this request completed"]);
});

test("health checks against the fake, and a refused connection", async () => {
  const openaiCfg = { provider: "openai", apiKey: "sk-test", model: "gpt-4o", url: "", baseUrl: fake.openaiBaseUrl };
  assert.deepEqual(await checkLLMHealth(openaiCfg), { ok: true });
  assert.deepEqual(await checkLLMHealth({ provider: "anthropic", apiKey: "sk-ant-test", model: "claude-sonnet-4-5", url: "", baseUrl: fake.anthropicBaseUrl }), { ok: true });
  assert.deepEqual(await checkLLMHealth({ provider: "ollama", apiKey: "", model: "llama3.2", url: fake.ollamaUrl }), { ok: true });
  assert.deepEqual(await checkEmbeddingHealth({ ...openaiCfg, model: "text-embedding-3-small" }), { ok: true });
  assert.deepEqual(await checkEmbeddingHealth({ provider: "ollama", apiKey: "", model: "nomic-embed-text", url: fake.ollamaUrl }), { ok: true });

  const bad = await checkLLMHealth({ ...openaiCfg, apiKey: "sk-nope-000000" });
  assert.equal(bad.ok, false);
  assert.match(bad.error, /^OpenAI LLM health check failed: 401 Unauthorized — \{"error":\{"message":"Incorrect API key provided/);
  fake.configure({ faults: [{ path: "^/ollama/api/tags", status: 500, times: 1 }] });
  assert.deepEqual(await checkLLMHealth({ provider: "ollama", apiKey: "", model: "llama3.2", url: fake.ollamaUrl }), {
    ok: false,
    error: "Ollama health check failed: 500 Internal Server Error",
  });
  const refused = await checkLLMHealth({ provider: "ollama", apiKey: "", model: "llama3.2", url: "http://127.0.0.1:1" });
  assert.deepEqual(refused, { ok: false, error: "fetch failed" });
});

test("a factory-built provider reaches the fake", async () => {
  const factory = new ServiceFactory({
    llm: { provider: "openai", url: fake.ollamaUrl, model: "gpt-4o-mini", apiKey: "sk-test", baseUrl: fake.openaiBaseUrl },
    embedding: { provider: "ollama", url: fake.ollamaUrl, model: "nomic-embed-text", apiKey: "" },
  });
  assert.deepEqual((await factory.createLLMProvider().chat(convo("factory"))).response, { echo: "factory", model: "gpt-4o-mini" });
  assert.equal((await factory.createEmbeddingProvider().embed(["x"]))[0].length, 768);
});
