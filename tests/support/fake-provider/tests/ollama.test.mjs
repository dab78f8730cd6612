// The fake Ollama server over real HTTP: chat (plain and streamed), embed, tags.

import { test } from "node:test";
import assert from "node:assert/strict";
import { call, parseJsonl, useFake } from "./helpers.mjs";

const ctx = useFake({ ollamaModels: ["llama3.2", "nomic-embed-text", "qwen2.5:7b"] });
const post = (path, body) => call(`${ctx.fake.ollamaUrl}${path}`, { method: "POST", headers: { "content-type": "application/json" }, body });

test("chat with stream:false and format json", async () => {
  const res = await post("/api/chat", { model: "llama3.2", messages: [{ role: "system", content: "json" }, { role: "user", content: "hey" }], stream: false, format: "json" });
  assert.equal(res.status, 200);
  const r = res.json;
  assert.equal(r.model, "llama3.2");
  assert.equal(r.message.role, "assistant");
  assert.deepEqual(JSON.parse(r.message.content), { echo: "hey", model: "llama3.2" });
  assert.equal(r.done, true);
  assert.equal(r.done_reason, "stop");
  for (const f of ["total_duration", "prompt_eval_count", "eval_count"]) assert.equal(typeof r[f], "number", f);
  assert.ok(!Number.isNaN(Date.parse(r.created_at)));
  // tags resolve: "llama3.2:latest" and "qwen2.5:7b" are installed, "qwen2.5" (= :latest) is not
  assert.equal((await post("/api/chat", { model: "llama3.2:latest", messages: [{ role: "user", content: "x" }], stream: false })).status, 200);
  assert.equal((await post("/api/chat", { model: "qwen2.5:7b", messages: [{ role: "user", content: "x" }], stream: false })).status, 200);
  assert.equal((await post("/api/chat", { model: "qwen2.5", messages: [{ role: "user", content: "x" }], stream: false })).status, 404);
});

test("chat errors: unknown model, missing model, markers", async () => {
  const nf = await post("/api/chat", { model: "mistral", messages: [{ role: "user", content: "x" }], stream: false });
  assert.equal(nf.status, 404);
  assert.deepEqual(nf.json, { error: 'model "mistral" not found, try pulling it first' });
  assert.deepEqual((await post("/api/chat", { messages: [] })).json, { error: "model is required" });
  const s = await post("/api/chat", { model: "llama3.2", messages: [{ role: "user", content: "[[status:500]]" }], stream: false });
  assert.equal(s.status, 500);
  assert.equal(typeof s.json.error, "string");
  const t = await post("/api/chat", { model: "llama3.2", messages: [{ role: "user", content: "[[truncate]]" }], stream: false });
  assert.equal(t.json.done_reason, "length");
});

test("chat streams NDJSON when stream is not false (the Ollama default)", async () => {
  const res = await post("/api/chat", { model: "llama3.2", messages: [{ role: "user", content: "a fairly long message to be split into pieces" }] });
  assert.equal(res.headers.get("content-type"), "application/x-ndjson");
  const chunks = parseJsonl(res.text);
  assert.ok(chunks.length > 2);
  assert.equal(chunks.at(-1).done, true);
  assert.ok(chunks.slice(0, -1).every((c) => c.done === false));
  const content = chunks.map((c) => c.message.content).join("");
  assert.equal(JSON.parse(content).echo, "a fairly long message to be split into pieces");
});

test("embed: string and array input, 768 dims for nomic-embed-text", async () => {
  const one = await post("/api/embed", { model: "nomic-embed-text", input: "hello" });
  assert.equal(one.status, 200);
  assert.equal(one.json.model, "nomic-embed-text");
  assert.equal(one.json.embeddings.length, 1);
  assert.equal(one.json.embeddings[0].length, 768);
  assert.equal(typeof one.json.prompt_eval_count, "number");
  const many = await post("/api/embed", { model: "nomic-embed-text", input: ["a", "hello"] });
  assert.deepEqual(many.json.embeddings[1], one.json.embeddings[0]);
  assert.equal((await post("/api/embed", { model: "llama3.2", input: "x" })).json.embeddings[0].length, 8);
  assert.equal((await post("/api/embed", { model: "nope", input: "x" })).status, 404);
});

test("tags lists ollamaModels with tags; unknown route and method", async () => {
  const res = await call(`${ctx.fake.ollamaUrl}/api/tags`);
  assert.equal(res.status, 200);
  assert.deepEqual(res.json.models.map((m) => m.name), ["llama3.2:latest", "nomic-embed-text:latest", "qwen2.5:7b"]);
  const m = res.json.models[0];
  assert.equal(m.model, "llama3.2:latest");
  assert.match(m.digest, /^[0-9a-f]{64}$/);
  assert.equal(typeof m.size, "number");
  assert.equal(typeof m.details.family, "string");
  ctx.fake.configure({ ollamaModels: [] });
  assert.deepEqual((await call(`${ctx.fake.ollamaUrl}/api/tags`)).json, { models: [] });

  const nf = await call(`${ctx.fake.ollamaUrl}/api/nope`);
  assert.equal(nf.status, 404);
  assert.equal(nf.text, "404 page not found");
  assert.equal((await call(`${ctx.fake.ollamaUrl}/api/chat`)).status, 405);
  assert.equal((await call(ctx.fake.ollamaUrl)).text, "Ollama is running");
});
