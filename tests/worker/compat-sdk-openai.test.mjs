// The real `openai` npm package against the Worker in workerd: its `baseURL` is the Worker
// and its `fetch` is Miniflare's dispatchFetch. A chat, a streamed chat read with
// `for await`, embeddings, models.list(), typed errors (400 and upstream failures), retries
// after a 429, and an error in the middle of a stream.
import { test, before, after, beforeEach } from "node:test";
import assert from "node:assert/strict";
import OpenAI from "openai";
import { startWorker } from "./support/worker.mjs";
import { checkAnswer } from "./support/openapi.mjs";

let w;
let client;
before(async () => {
  w = await startWorker({ vars: (fake) => ({ EMBEDDING_PROVIDER: "ollama", EMBEDDING_MODEL: "nomic-embed-text", EMBEDDING_URL: fake.ollamaUrl }) });
  client = sdk();
});
after(async () => { await w?.close(); });
beforeEach(() => { w.fake.reset(); });

/** The SDK pointed at the Worker; every answer it gets is checked against the document. */
function sdk(options = {}) {
  return new OpenAI({
    apiKey: w.bindings.GATEWAY_TOKEN,
    baseURL: "http://localhost/v1",
    maxRetries: 0,
    fetch: async (url, init) => {
      const response = await w.mf.dispatchFetch(url, init);
      if (!(response.headers.get("content-type") ?? "").startsWith("text/event-stream")) {
        const text = await response.clone().text();
        checkAnswer(init.method ?? "GET", new URL(url).pathname, { status: response.status, headers: response.headers, text });
      }
      return response;
    },
    ...options,
  });
}

for (const model of ["gpt-4o-mini", "anthropic/claude-sonnet-4-5", "ollama/llama3.2"]) {
  test(`chat.completions.create on ${model}`, async () => {
    const completion = await client.chat.completions.create({ model, messages: [{ role: "system", content: "Be brief." }, { role: "user", content: "hello sdk" }] });
    assert.equal(completion.object, "chat.completion");
    const answer = JSON.parse(completion.choices[0].message.content);
    assert.equal(answer.echo, "hello sdk");
    assert.equal(completion.choices[0].finish_reason, "stop");
    assert.ok(completion.usage.prompt_tokens > 0 && completion.usage.completion_tokens > 0);
  });

  test(`a streamed chat read with for await on ${model}`, async () => {
    const stream = await client.chat.completions.create({ model, messages: [{ role: "user", content: "[[chunks:12]] stream sdk" }], stream: true, stream_options: { include_usage: true } });
    let text = "";
    let chunks = 0;
    let usage;
    let finish;
    for await (const chunk of stream) {
      chunks += 1;
      text += chunk.choices[0]?.delta?.content ?? "";
      finish ??= chunk.choices[0]?.finish_reason ?? undefined;
      usage = chunk.usage ?? usage;
    }
    assert.equal(JSON.parse(text).echo, "[[chunks:12]] stream sdk");
    assert.ok(chunks >= 14, `${chunks} chunks`);
    assert.equal(finish, "stop");
    assert.ok(usage.total_tokens > 0);
  });
}

test("embeddings.create (the SDK asks for base64 and decodes it) on Ollama and OpenAI", async () => {
  const ollama = await client.embeddings.create({ model: "nomic-embed-text", input: ["one", "two"] });
  assert.equal(w.fake.requests.at(-1).path, "/ollama/api/embed");
  assert.deepEqual(ollama.data.map((d) => d.embedding.length), [768, 768]);
  const norm = Math.hypot(...ollama.data[0].embedding);
  assert.ok(Math.abs(norm - 1) < 1e-5, `unit length after the base64 round trip (${norm})`);
  const openai = await client.embeddings.create({ model: "openai/text-embedding-3-small", input: "one", dimensions: 32 });
  assert.equal(openai.data[0].embedding.length, 32);
});

test("models.list()", async () => {
  const ids = [];
  for await (const model of client.models.list()) ids.push(model.id);
  assert.deepEqual(ids, ["openai/gpt-4o-mini", "ollama/nomic-embed-text"]);
  assert.equal((await client.models.retrieve("ollama/nomic-embed-text")).owned_by, "ollama");
});

test("a bad request is a BadRequestError (400) naming the param", async () => {
  await assert.rejects(
    client.chat.completions.create({ model: "anthropic/claude-sonnet-4-5", messages: [{ role: "user", content: "x" }], n: 2 }),
    (e) => e instanceof OpenAI.BadRequestError && e.status === 400 && e.param === "n" && e.code === "unsupported_parameter",
  );
  await assert.rejects(client.chat.completions.create({ model: "gpt-4o", messages: [] }), (e) => e instanceof OpenAI.BadRequestError);
  await assert.rejects(sdk({ apiKey: "wrong" }).models.list(), (e) => e instanceof OpenAI.AuthenticationError && e.status === 401);
});

test("an upstream failure is an InternalServerError (502); overload is 503; a 404 model is NotFoundError", async () => {
  await assert.rejects(
    client.chat.completions.create({ model: "gpt-4o", messages: [{ role: "user", content: "[[status:500]]" }] }),
    (e) => e instanceof OpenAI.InternalServerError && e.status === 502 && /OpenAI answered 500/.test(e.message),
  );
  await assert.rejects(
    client.chat.completions.create({ model: "anthropic/claude-sonnet-4-5", messages: [{ role: "user", content: "[[status:529]]" }] }),
    (e) => e instanceof OpenAI.InternalServerError && e.status === 503,
  );
  await assert.rejects(
    client.chat.completions.create({ model: "ollama/mistral", messages: [{ role: "user", content: "x" }] }),
    (e) => e instanceof OpenAI.NotFoundError && e.status === 404,
  );
});

test("the SDK's own retry honours the retry-after the gateway passes on", async () => {
  w.fake.configure({ faults: [{ path: "/chat/completions", status: 429, headers: { "retry-after-ms": "300", "retry-after": "1" }, times: 1 }] });
  const started = Date.now();
  const completion = await sdk({ maxRetries: 2 }).chat.completions.create({ model: "gpt-4o", messages: [{ role: "user", content: "retry me" }] });
  assert.equal(JSON.parse(completion.choices[0].message.content).echo, "retry me");
  assert.equal(w.fake.requests.length, 2, "the gateway tried once per SDK attempt");
  assert.ok(Date.now() - started >= 280, "waited as upstream asked");
  w.fake.configure({ faults: [{ path: "/chat/completions", status: 429, times: 1 }] });
  await assert.rejects(client.chat.completions.create({ model: "gpt-4o", messages: [{ role: "user", content: "x" }] }),
    (e) => e instanceof OpenAI.RateLimitError && e.status === 429);
});

test("an error in the middle of a stream is thrown from the for await loop", async () => {
  for (const model of ["gpt-4o", "anthropic/claude-sonnet-4-5"]) {
    const stream = await client.chat.completions.create({ model, messages: [{ role: "user", content: "[[stream-error]] [[chunks:10]]" }], stream: true });
    let chunks = 0;
    await assert.rejects(async () => { for await (const _ of stream) chunks += 1; }, (e) => e instanceof OpenAI.APIError, model);
    assert.ok(chunks > 0, `${model}: chunks came before the error`);
  }
});

test("the Responses API and other parts of OpenAI's API not served: a NotFoundError saying what to use", async () => {
  await assert.rejects(
    client.responses.create({ model: "gpt-4o-mini", input: "hi" }),
    (e) => e instanceof OpenAI.NotFoundError && e.status === 404 && e.code === "unknown_url"
      && /Responses API/.test(e.message) && /chat\.completions\.create/.test(e.message),
  );
  await assert.rejects(
    client.completions.create({ model: "gpt-3.5-turbo-instruct", prompt: "hi" }),
    (e) => e instanceof OpenAI.NotFoundError && /serves \/v1\/chat\/completions/.test(e.message),
  );
  await assert.rejects(sdk({ apiKey: "wrong" }).responses.create({ model: "gpt-4o-mini", input: "hi" }), (e) => e instanceof OpenAI.AuthenticationError);
  assert.equal(w.fake.requests.length, 0, "nothing went upstream");
});
