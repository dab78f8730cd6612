// The Vercel AI SDK (`ai` + `@ai-sdk/openai`) against the Worker in workerd: generateText
// and streamText on every provider, a tool call, embed, and a typed error. The provider's
// `.chat(model)` is the Chat Completions API (the default `openai(model)` is the Responses
// API, which the gateway does not serve).
import { test, before, after, beforeEach } from "node:test";
import assert from "node:assert/strict";
import { APICallError, embed, generateText, jsonSchema, streamText, tool } from "ai";
import { createOpenAI } from "@ai-sdk/openai";
import { startWorker } from "./support/worker.mjs";
import { checkAnswer } from "./support/openapi.mjs";

let w;
let gateway;
before(async () => {
  w = await startWorker({ vars: (fake) => ({ EMBEDDING_PROVIDER: "ollama", EMBEDDING_MODEL: "nomic-embed-text", EMBEDDING_URL: fake.ollamaUrl }) });
  gateway = createOpenAI({
    apiKey: w.bindings.GATEWAY_TOKEN,
    baseURL: "http://localhost/v1",
    fetch: async (url, init) => {
      const response = await w.mf.dispatchFetch(url, init);
      if (!(response.headers.get("content-type") ?? "").startsWith("text/event-stream")) {
        checkAnswer(init.method ?? "GET", new URL(url).pathname, { status: response.status, headers: response.headers, text: await response.clone().text() });
      }
      return response;
    },
  });
});
after(async () => { await w?.close(); });
beforeEach(() => { w.fake.reset(); });

for (const model of ["gpt-4o-mini", "anthropic/claude-sonnet-4-5", "ollama/llama3.2"]) {
  test(`generateText on ${model}`, async () => {
    const result = await generateText({ model: gateway.chat(model), system: "Be brief.", prompt: "hello vercel", maxRetries: 0 });
    assert.equal(JSON.parse(result.text).echo, "hello vercel");
    assert.equal(result.finishReason, "stop");
    assert.ok(result.usage.inputTokens > 0 && result.usage.outputTokens > 0, JSON.stringify(result.usage));
  });

  test(`streamText on ${model}`, async () => {
    const result = streamText({ model: gateway.chat(model), prompt: "[[chunks:9]] stream vercel", maxRetries: 0 });
    const parts = [];
    for await (const part of result.textStream) parts.push(part);
    assert.ok(parts.length >= 9, `${parts.length} text parts`);
    assert.equal(JSON.parse(parts.join("")).echo, "[[chunks:9]] stream vercel");
    const usage = await result.usage;
    assert.ok(usage.inputTokens > 0 && usage.outputTokens > 0, JSON.stringify(usage));
    assert.equal(await result.finishReason, "stop");
  });
}

test("a tool call through the gateway, Anthropic behind it", async () => {
  const result = await generateText({
    model: gateway.chat("anthropic/claude-sonnet-4-5"),
    prompt: "look it up",
    tools: { lookup: tool({ description: "Look something up", inputSchema: jsonSchema({ type: "object", properties: { echo: { type: "string" } } }) }) },
    toolChoice: "required",
    maxRetries: 0,
  });
  assert.equal(result.finishReason, "tool-calls");
  assert.deepEqual(result.toolCalls.map((c) => [c.toolName, c.input]), [["lookup", { echo: "look it up" }]]);
  assert.deepEqual(w.fake.requests.at(-1).json.tool_choice, { type: "any" });
});

test("embed through the gateway (Ollama behind it)", async () => {
  const { embedding } = await embed({ model: gateway.textEmbeddingModel("nomic-embed-text"), value: "vector me", maxRetries: 0 });
  assert.equal(embedding.length, 768);
});

test("errors are APICallErrors with the gateway's status", async () => {
  await assert.rejects(
    generateText({ model: gateway.chat("anthropic/claude-sonnet-4-5"), prompt: "x", maxRetries: 0, providerOptions: { openai: { logprobs: true } } }),
    (e) => APICallError.isInstance(e) && e.statusCode === 400,
  );
  await assert.rejects(
    generateText({ model: gateway.chat("gpt-4o"), prompt: "[[status:500]]", maxRetries: 0 }),
    (e) => APICallError.isInstance(e) && e.statusCode === 502 && e.isRetryable,
  );
});

test("the provider called as a function (OpenAI's Responses API) gets a 404 that says to use .chat(model)", async () => {
  await assert.rejects(
    generateText({ model: gateway("gpt-4o-mini"), prompt: "x", maxRetries: 0 }),
    (e) => APICallError.isInstance(e) && e.statusCode === 404 && /\.chat\(model\)/.test(e.message),
  );
});
