// Embedding providers (contract §2): OpenAIEmbeddingProvider (≤ 2048 inputs a call, more
// are split), OllamaEmbeddingProvider, OpenAIBatchEmbeddingProvider; plain number[] vectors.

import { test } from "node:test";
import assert from "node:assert/strict";
import { OllamaEmbeddingProvider, OpenAIBatchEmbeddingProvider, OpenAIEmbeddingProvider } from "edge-llm";
import { errorResponse, fetchDouble, jsonResponse, readForm, sequence } from "./support/doubles.mjs";
import { errorFileLine, jsonl, openaiBatchApi, statusLine } from "./support/batch-doubles.mjs";

/** An embeddings answer for `inputs`: vector i is [i, i + 0.5] (offset by `start`). */
function embeddingsAnswer(inputs, start = 0, { reverse = false } = {}) {
  const data = inputs.map((_, i) => ({ object: "embedding", index: i, embedding: [start + i, start + i + 0.5] }));
  return { object: "list", data: reverse ? data.reverse() : data, model: "text-embedding-3-small", usage: { prompt_tokens: 1, total_tokens: 1 } };
}

const openai = (fetchFn, extra = {}) => new OpenAIEmbeddingProvider({ apiKey: "sk-test", model: "text-embedding-3-small", fetchFn, ...extra });
const answering = () => {
  let offset = 0;
  return fetchDouble((call) => {
    const answer = embeddingsAnswer(call.json.input, offset);
    offset += call.json.input.length;
    return jsonResponse(answer);
  });
};

test("OpenAI: POST {base}/embeddings with the reference headers; vectors are plain arrays in input order", async () => {
  const fetchFn = sequence(jsonResponse(embeddingsAnswer(["a", "b", "c"], 0, { reverse: true })));
  const vectors = await openai(fetchFn).embed(["a", "b", "c"]);
  assert.deepEqual(vectors, [[0, 0.5], [1, 1.5], [2, 2.5]]);
  assert.ok(Array.isArray(vectors) && vectors.every(Array.isArray));
  const { url, init } = fetchFn.calls[0];
  assert.equal(url, "https://api.openai.com/v1/embeddings");
  assert.deepEqual(init, {
    method: "POST",
    headers: { "Content-Type": "application/json", Authorization: "Bearer sk-test" },
    body: '{"model":"text-embedding-3-small","input":["a","b","c"]}',
  });
});

test("OpenAI: more than 2048 texts are split into calls of at most 2048, results concatenated", async () => {
  const texts = Array.from({ length: 4097 }, (_, i) => `t${i}`);
  const fetchFn = answering();
  const vectors = await openai(fetchFn).embed(texts);
  assert.deepEqual(fetchFn.calls.map((c) => c.json.input.length), [2048, 2048, 1]);
  assert.equal(fetchFn.calls[1].json.input[0], "t2048");
  assert.equal(fetchFn.calls[2].json.input[0], "t4096");
  assert.equal(vectors.length, 4097);
  assert.deepEqual(vectors[4096], [4096, 4096.5]);
  assert.deepEqual(vectors[2048], [2048, 2048.5]);
});

test("OpenAI: exactly 2048 texts are one call; [] makes no call", async () => {
  const fetchFn = answering();
  await openai(fetchFn).embed(Array.from({ length: 2048 }, (_, i) => String(i)));
  assert.equal(fetchFn.calls.length, 1);
  const none = answering();
  assert.deepEqual(await openai(none).embed([]), []);
  assert.equal(none.calls.length, 0);
});

test("OpenAI: baseUrl, and the dimensions option is sent and reported", async () => {
  const fetchFn = answering();
  const p = openai(fetchFn, { baseUrl: "http://127.0.0.1:9/v1", dimensions: 256 });
  assert.equal(p.dimensions, 256);
  await p.embed(["x"]);
  assert.equal(fetchFn.calls[0].url, "http://127.0.0.1:9/v1/embeddings");
  assert.equal(fetchFn.calls[0].body, '{"model":"text-embedding-3-small","input":["x"],"dimensions":256}');
});

test("dimensions default by model", () => {
  const dims = (model) => new OpenAIEmbeddingProvider({ apiKey: "k", model }).dimensions;
  assert.equal(dims("text-embedding-3-small"), 1536);
  assert.equal(dims("text-embedding-3-large"), 3072);
  assert.equal(dims("text-embedding-ada-002"), 1536);
  assert.equal(new OllamaEmbeddingProvider({ model: "nomic-embed-text" }).dimensions, 768);
  assert.equal(new OllamaEmbeddingProvider({ model: "mxbai-embed-large" }).dimensions, 1024);
  assert.equal(new OllamaEmbeddingProvider({ model: "all-minilm:latest" }).dimensions, 384);
});

test("OpenAI: errors name the provider and what went wrong", async () => {
  await assert.rejects(openai(sequence(errorResponse(400, '{"error":{"message":"bad input"}}'))).embed(["a"]), {
    message: 'OpenAI embedding error: 400 Bad Request — {"error":{"message":"bad input"}}',
  });
  await assert.rejects(openai(sequence(jsonResponse(embeddingsAnswer(["a"])))).embed(["a", "b"]), {
    message: "OpenAI embedding error: unreadable response: 1 embeddings for 2 inputs",
  });
  await assert.rejects(openai(sequence(jsonResponse({ error: "nope" }))).embed(["a"]), (err) => {
    assert.equal(err.constructor, Error);
    assert.match(err.message, /^OpenAI embedding error: unreadable response: /);
    return true;
  });
});

test("countTokens uses the embedding model's encoding (cl100k_base for text-embedding-3)", () => {
  // tiktoken: cl100k_base 13, o200k_base 9.
  assert.equal(openai(sequence()).countTokens("Привет, как дела? こんにちは世界"), 13);
  assert.equal(new OllamaEmbeddingProvider({ model: "nomic-embed-text" }).countTokens("Привет, как дела? こんにちは世界"), 9);
});

test("Ollama: POST {url}/api/embed with every input in one call", async () => {
  const fetchFn = sequence(jsonResponse({ model: "nomic-embed-text", embeddings: [[0.1, 0.2], [0.3, 0.4]] }));
  const vectors = await new OllamaEmbeddingProvider({ url: "http://gpu:11434", model: "nomic-embed-text", fetchFn }).embed(["a", "b"]);
  assert.deepEqual(vectors, [[0.1, 0.2], [0.3, 0.4]]);
  assert.deepEqual(fetchFn.calls[0].init, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: '{"model":"nomic-embed-text","input":["a","b"]}',
  });
  assert.equal(fetchFn.calls[0].url, "http://gpu:11434/api/embed");
  await assert.rejects(new OllamaEmbeddingProvider({ model: "m", fetchFn: sequence(errorResponse(500, "oom")) }).embed(["a"]), {
    message: "Ollama embedding error: 500 Internal Server Error — oom",
  });
});

test("OpenAIBatchEmbeddingProvider: [] → [], one text embeds directly", async () => {
  const fetchFn = answering();
  const p = new OpenAIBatchEmbeddingProvider({ apiKey: "k", model: "text-embedding-3-small", fetchFn });
  assert.deepEqual(await p.embedBatch([]), []);
  assert.deepEqual(await p.embedBatch([{ id: "one", text: "hello" }]), [{ id: "one", embedding: [0, 0.5] }]);
  assert.deepEqual(fetchFn.calls.map((c) => c.url), ["https://api.openai.com/v1/embeddings"]);
  assert.equal(p.batch, true);
  assert.equal(p.timeoutMs, 86_400_000);
  assert.equal(p.dimensions, 1536);
});

test("OpenAIBatchEmbeddingProvider: a batch to /v1/embeddings, results in input order with errors", async () => {
  const line = (id, vector) =>
    JSON.stringify({ custom_id: id, response: { status_code: 200, body: { object: "list", data: [{ index: 0, embedding: vector }] } }, error: null });
  const fetchFn = openaiBatchApi({
    polls: ["in_progress", { status: "completed", output_file_id: "file-out", error_file_id: "file-err" }],
    files: {
      "file-out": jsonl(line("c", [3]), line("a", [1]), statusLine("b", 400, "input too long")),
      "file-err": errorFileLine("d", "server_error", "retry later"),
    },
  });
  const created = [];
  const p = new OpenAIBatchEmbeddingProvider({ apiKey: "sk-test", model: "text-embedding-3-small", fetchFn, pollIntervalMs: 0, dimensions: 64 });
  const results = await p.embedBatch(
    ["a", "b", "c", "d", "e"].map((id) => ({ id, text: `text ${id}` })),
    { onBatchCreated: (id) => created.push(id) },
  );
  assert.deepEqual(results, [
    { id: "a", embedding: [1] },
    { id: "b", embedding: [], error: "status 400: input too long" },
    { id: "c", embedding: [3] },
    { id: "d", embedding: [], error: "server_error: retry later" },
    { id: "e", embedding: [], error: "No result returned from batch" },
  ]);
  assert.deepEqual(created, ["batch_abc123"]);
  const form = await readForm(fetchFn.calls[0].body);
  assert.equal(
    form.files[0].text.split("\n")[0],
    '{"custom_id":"a","method":"POST","url":"/v1/embeddings","body":{"model":"text-embedding-3-small","input":"text a","dimensions":64}}',
  );
  assert.equal(fetchFn.calls[1].body, '{"input_file_id":"file-in","endpoint":"/v1/embeddings","completion_window":"24h"}');
});
