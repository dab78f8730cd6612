// OllamaChatProvider (contract §2): POST {url}/api/chat with stream:false and format:"json";
// usage from prompt_eval_count / eval_count; `Ollama chat error` messages.

import { test } from "node:test";
import assert from "node:assert/strict";
import { OllamaChatProvider } from "edge-llm";
import { errorResponse, jsonResponse, messages, sequence } from "./support/doubles.mjs";

const answer = (content, extra = {}) => ({
  model: "llama3.2",
  created_at: "2024-01-01T00:00:00Z",
  message: { role: "assistant", content },
  done: true,
  done_reason: "stop",
  prompt_eval_count: 26,
  eval_count: 13,
  ...extra,
});

test("sends POST {url}/api/chat with stream:false and format json", async () => {
  const fetchFn = sequence(jsonResponse(answer('{"a":1}')));
  await new OllamaChatProvider({ url: "http://gpu-box:11434", model: "llama3.2", fetchFn }).chat(messages);
  const { url, init } = fetchFn.calls[0];
  assert.equal(url, "http://gpu-box:11434/api/chat");
  assert.deepEqual(Object.keys(init), ["method", "headers", "body"]);
  assert.equal(init.method, "POST");
  assert.deepEqual(init.headers, { "Content-Type": "application/json" });
  assert.equal(
    init.body,
    '{"model":"llama3.2","messages":[{"role":"system","content":"Answer in JSON."},{"role":"user","content":"Three primary colours?"}],"stream":false,"format":"json"}',
  );
});

test("the url defaults to http://localhost:11434 and may end in a slash", async () => {
  let fetchFn = sequence(jsonResponse(answer("{}")));
  await new OllamaChatProvider({ model: "llama3.2", fetchFn }).chat(messages);
  assert.equal(fetchFn.calls[0].url, "http://localhost:11434/api/chat");
  fetchFn = sequence(jsonResponse(answer("{}")));
  await new OllamaChatProvider({ url: "http://h:1/", model: "llama3.2", fetchFn }).chat(messages);
  assert.equal(fetchFn.calls[0].url, "http://h:1/api/chat");
});

test("usage comes from prompt_eval_count / eval_count", async () => {
  const fetchFn = sequence(jsonResponse(answer('{"colours":3}')));
  const result = await new OllamaChatProvider({ model: "llama3.2", fetchFn }).chat(messages);
  assert.deepEqual(result, { response: { colours: 3 }, usage: { inputTokens: 26, outputTokens: 13 } });
});

test("maxTokens becomes options.num_predict", async () => {
  const fetchFn = sequence(jsonResponse(answer("{}")));
  await new OllamaChatProvider({ model: "llama3.2", fetchFn, maxTokens: 64 }).chat(messages);
  assert.deepEqual(fetchFn.calls[0].json.options, { num_predict: 64 });
});

test("maxContextTokens is the option, default 8192; countTokens is an o200k_base estimate", () => {
  assert.equal(new OllamaChatProvider({ model: "llama3.2" }).maxContextTokens, 8192);
  assert.equal(new OllamaChatProvider({ model: "llama3.2", maxContextTokens: 32_768 }).maxContextTokens, 32_768);
  // tiktoken: o200k_base 5, cl100k_base 13.
  assert.equal(new OllamaChatProvider({ model: "llama3.2" }).countTokens("नमस्ते दुनिया"), 5);
});

test("errors: non-OK, invalid JSON, missing message, truncated", async () => {
  const p = (res) => new OllamaChatProvider({ model: "llama3.2", fetchFn: sequence(res) }).chat(messages);
  await assert.rejects(p(errorResponse(404, '{"error":"model \\"llama9\\" not found, try pulling it first"}')), {
    message: 'Ollama chat error: 404 Not Found — {"error":"model \\"llama9\\" not found, try pulling it first"}',
  });
  await assert.rejects(p(jsonResponse(answer("not json"))), { message: "LLM returned invalid JSON: not json" });
  await assert.rejects(p(jsonResponse({ done: true })), (err) => {
    assert.equal(err.constructor, Error);
    assert.equal(err.message, "Ollama chat error: response has no choices");
    return true;
  });
  await assert.rejects(p(jsonResponse(answer('{"a":', { done_reason: "length" }))), {
    message: "Ollama chat error: response truncated (done_reason: length)",
  });
});
