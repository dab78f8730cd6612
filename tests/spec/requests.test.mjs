// Every request body the npm package builds validates against the providers' official specs
// (tests/spec/openapi/): captured through fetchFn doubles, validated with ajv.

import { test } from "node:test";
import assert from "node:assert/strict";
import {
  AnthropicBatchChatProvider,
  AnthropicChatProvider,
  checkEmbeddingHealth,
  checkLLMHealth,
  OpenAIBatchChatProvider,
  OpenAIBatchEmbeddingProvider,
  OpenAIChatProvider,
  OpenAIEmbeddingProvider,
} from "edge-llm";
import { claudeMessage, completion, fetchDouble, jsonResponse, readForm } from "../npm/support/doubles.mjs";
import { anthropicBatchApi, claudeSucceeded, jsonl, okLine, openaiBatchApi } from "../npm/support/batch-doubles.mjs";
import { assertValid, lineBodyValidator, requestValidators } from "./support/specs.mjs";

const v = requestValidators();

const CONVERSATIONS = [
  [{ role: "user", content: "Reply in JSON: three colours." }],
  [
    { role: "system", content: "You answer in JSON." },
    { role: "user", content: "Three primary colours?" },
  ],
  [
    { role: "system", content: "Be brief." },
    { role: "user", content: "q1 — ünïcödé 😀" },
    { role: "assistant", content: '{"a":1}' },
    { role: "system", content: "JSON only." },
    { role: "user", content: "q2" },
  ],
];

const answerAll = (body) => fetchDouble(() => jsonResponse(body));

test("the validators can fail: bodies edge-llm must never send are rejected", () => {
  assert.equal(v.chat({ model: "gpt-4o", messages: [{ role: "robot", content: "x" }] }), false);
  assert.equal(v.chat({ model: "gpt-4o", max_tokens: "8192", messages: [{ role: "user", content: "x" }] }), false);
  assert.equal(v.chat({ model: "gpt-4o" }), false);
  assert.equal(v.messages({ model: "claude-sonnet-4-5", max_tokens: 10, messages: [{ role: "system", content: "x" }] }), false);
  assert.equal(v.messages({ model: "claude-sonnet-4-5", messages: [{ role: "user", content: "x" }] }), false);
  assert.equal(v.messageBatches({ requests: [{ custom_id: "not valid!", params: { model: "m", max_tokens: 1, messages: [{ role: "user", content: "x" }] } }] }), false);
  assert.equal(v.batches({ input_file_id: "file-1", endpoint: "/v1/chat/completions", completion_window: "48h" }), false);
  assert.equal(v.embeddings({ model: "text-embedding-3-small" }), false);
  assert.equal(v.files({ purpose: "batch" }), false);
});

test("OpenAI chat: CreateChatCompletionRequest, for normal and reasoning models, with and without maxTokens", async () => {
  for (const model of ["gpt-4o", "gpt-4o-mini", "gpt-4.1", "o3-mini", "o1", "gpt-5"]) {
    for (const maxTokens of [undefined, 1000]) {
      const fetchFn = answerAll(completion("{}"));
      const p = new OpenAIChatProvider({ apiKey: "k", model, fetchFn, maxTokens });
      for (const convo of CONVERSATIONS) await p.chat(convo);
      for (const call of fetchFn.calls) assertValid(v.chat, call.json, `${model} chat`);
      assert.equal(fetchFn.calls.length, CONVERSATIONS.length);
    }
  }
});

test("OpenAI health probe: CreateChatCompletionRequest; embedding probe: CreateEmbeddingRequest", async () => {
  for (const model of ["gpt-4o", "o3-mini"]) {
    const fetchFn = answerAll({});
    assert.equal((await checkLLMHealth({ provider: "openai", apiKey: "k", model, url: "" }, fetchFn)).ok, true);
    assertValid(v.chat, fetchFn.calls[0].json, `${model} health probe`);
  }
  const fetchFn = answerAll({});
  await checkEmbeddingHealth({ provider: "openai", apiKey: "k", model: "text-embedding-3-small", url: "" }, fetchFn);
  assertValid(v.embeddings, fetchFn.calls[0].json, "embedding health probe");
});

test("OpenAI embeddings: CreateEmbeddingRequest, with and without dimensions, split calls included", async () => {
  for (const dimensions of [undefined, 256]) {
    const fetchFn = fetchDouble((call) => jsonResponse({ data: call.json.input.map((_, index) => ({ index, embedding: [0] })) }));
    const p = new OpenAIEmbeddingProvider({ apiKey: "k", model: "text-embedding-3-small", fetchFn, dimensions });
    await p.embed(["one"]);
    await p.embed(Array.from({ length: 2050 }, (_, i) => `text ${i}`));
    assert.equal(fetchFn.calls.length, 3);
    for (const call of fetchFn.calls) assertValid(v.embeddings, call.json, "embeddings");
  }
});

/** Runs a two-request chat batch through `provider` and returns the double's calls. */
async function openaiChatBatch(model) {
  const fetchFn = openaiBatchApi({ polls: [{ status: "completed", output_file_id: "file-out" }], files: { "file-out": jsonl(okLine("a", {}), okLine("b", {})) } });
  const p = new OpenAIBatchChatProvider({ apiKey: "k", model, fetchFn, pollIntervalMs: 0 });
  await p.chatBatch([
    { id: "a", messages: CONVERSATIONS[1] },
    { id: "b", messages: CONVERSATIONS[2] },
  ]);
  return fetchFn;
}

test("OpenAI chat batch: the upload form per CreateFileRequest, each JSONL line's body, and CreateBatchRequest", async () => {
  for (const model of ["gpt-4o", "o3-mini"]) {
    const fetchFn = await openaiChatBatch(model);
    const upload = fetchFn.callsTo("POST", "/files")[0];
    const form = await readForm(upload.body);
    // multipart/form-data: the file part is binary; the spec types it as a string.
    assertValid(v.files, { ...form.fields, file: form.files[0].text }, "files upload");
    assert.deepEqual(Object.keys(form.fields), ["purpose"]);
    assert.equal(form.files.length, 1);
    const lines = form.files[0].text.split("\n").map((l) => JSON.parse(l));
    assert.equal(lines.length, 2);
    for (const line of lines) {
      assert.deepEqual(Object.keys(line), ["custom_id", "method", "url", "body"]);
      assert.equal(line.method, "POST");
      assert.equal(line.url, "/v1/chat/completions");
      assertValid(lineBodyValidator(line.url), line.body, `${model} batch line ${line.custom_id}`);
    }
    const create = fetchFn.callsTo("POST", "/batches")[0];
    assertValid(v.batches, create.json, "batch create");
    assert.equal(create.json.endpoint, lines[0].url);
  }
});

test("OpenAI embedding batch: each line's body is a CreateEmbeddingRequest; the create body a CreateBatchRequest", async () => {
  const line = (id) => JSON.stringify({ custom_id: id, response: { status_code: 200, body: { data: [{ index: 0, embedding: [1] }] } } });
  const fetchFn = openaiBatchApi({ polls: [{ status: "completed", output_file_id: "file-out" }], files: { "file-out": jsonl(line("a"), line("b")) } });
  const p = new OpenAIBatchEmbeddingProvider({ apiKey: "k", model: "text-embedding-3-small", fetchFn, pollIntervalMs: 0, dimensions: 128 });
  await p.embedBatch([{ id: "a", text: "first" }, { id: "b", text: "second" }]);
  const form = await readForm(fetchFn.callsTo("POST", "/files")[0].body);
  assertValid(v.files, { ...form.fields, file: form.files[0].text });
  for (const l of form.files[0].text.split("\n").map((x) => JSON.parse(x))) {
    assert.equal(l.url, "/v1/embeddings");
    assertValid(lineBodyValidator(l.url), l.body, `embedding line ${l.custom_id}`);
  }
  const create = fetchFn.callsTo("POST", "/batches")[0];
  assertValid(v.batches, create.json);
  assert.equal(create.json.endpoint, "/v1/embeddings");
});

test("Anthropic messages: the create-message schema, system field and probe included", async () => {
  for (const maxTokens of [undefined, 2048]) {
    const fetchFn = answerAll(claudeMessage("{}"));
    const p = new AnthropicChatProvider({ apiKey: "k", model: "claude-sonnet-4-5", fetchFn, maxTokens });
    for (const convo of CONVERSATIONS) await p.chat(convo);
    for (const call of fetchFn.calls) assertValid(v.messages, call.json, "messages");
    assert.equal(fetchFn.calls[1].json.system, "You answer in JSON.");
  }
  const fetchFn = answerAll({});
  await checkLLMHealth({ provider: "anthropic", apiKey: "k", model: "claude-sonnet-4-5", url: "" }, fetchFn);
  assertValid(v.messages, fetchFn.calls[0].json, "messages health probe");
});

test("Anthropic batch create: the create-batch schema, each request's params a create-message body", async () => {
  const fetchFn = anthropicBatchApi({ polls: ["ended"], results: jsonl(...["a", "b-2", "C_3"].map((id) => claudeSucceeded(id, {}))) });
  const p = new AnthropicBatchChatProvider({ apiKey: "k", model: "claude-sonnet-4-5", fetchFn, pollIntervalMs: 0 });
  await p.chatBatch(CONVERSATIONS.map((messages, i) => ({ id: ["a", "b-2", "C_3"][i], messages })));
  const create = fetchFn.calls[0];
  assertValid(v.messageBatches, create.json, "message batch create");
  for (const r of create.json.requests) assertValid(v.messages, r.params, `batch params ${r.custom_id}`);
});
