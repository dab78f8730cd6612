// GET /v1/openapi.json (no auth: the document in the repository, byte for byte), and the
// validation every other test relies on: each documented operation answered and checked, and
// the checker failing on answers the document does not describe.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { startWorker, requests, createBatch, cronUntilDone } from "./support/worker.mjs";
import { checkAnswer, DOCUMENT } from "./support/openapi.mjs";

let w;
before(async () => { w = await startWorker({ vars: (fake) => ({ EMBEDDING_PROVIDER: "ollama", EMBEDDING_MODEL: "nomic-embed-text", EMBEDDING_URL: fake.ollamaUrl }) }); });
after(async () => { await w?.close(); });

test("the document is served without auth, as it is in the repository", async () => {
  const r = await w.api("GET", "/v1/openapi.json", { token: null });
  assert.equal(r.status, 200);
  assert.equal(r.headers.get("content-type"), "application/json");
  assert.match(r.headers.get("cache-control"), /max-age=/);
  assert.equal(r.text, readFileSync(new URL("../../api/openapi.json", import.meta.url), "utf8"));
  assert.equal(r.json.openapi, "3.1.0");
  assert.equal((await w.api("POST", "/v1/openapi.json", { token: null })).status, 405);
});

test("every documented operation answers as documented", async () => {
  const seen = new Set();
  const call = async (method, path, options) => {
    const r = await w.api(method, path, options); // checked against the document by `api`
    const template = Object.keys(DOCUMENT.paths).find((t) => new RegExp(`^${t.replace(/\{model\}$/, ".+").replace(/\{[^}]+\}/g, "[^/]+")}$`).test(path.split("?")[0]));
    seen.add(`${method} ${template}`);
    return r;
  };
  const user = [{ role: "user", content: "json please" }];
  await call("GET", "/v1/health/live", { token: null });
  await call("GET", "/v1/openapi.json", { token: null });
  await call("GET", "/v1/health");
  await call("POST", "/v1/chat", { body: { messages: user } });
  await call("POST", "/v1/tokens", { body: { text: "hello" } });
  const batch = await createBatch(w, { requests: requests(3) });
  seen.add("POST /v1/batches");
  await call("GET", `/v1/batches/${batch.id}`);
  await call("GET", `/v1/batches/${batch.id}/results`);
  await cronUntilDone(w, batch.id);
  await call("GET", `/v1/batches/${batch.id}/results`);
  await call("POST", `/v1/batches/${batch.id}/cancel`);
  await call("POST", "/v1/chat/completions", { body: { model: "anthropic/claude-sonnet-4-5", messages: user } });
  await call("POST", "/v1/embeddings", { body: { model: "nomic-embed-text", input: "x" } });
  await call("GET", "/v1/models");
  await call("GET", "/v1/models/ollama/nomic-embed-text");
  const documented = Object.entries(DOCUMENT.paths).flatMap(([p, item]) => Object.keys(item).map((m) => `${m.toUpperCase()} ${p}`));
  assert.deepEqual([...seen].sort(), documented.sort());
});

test("the checker refuses answers the document does not describe", () => {
  const headers = new Headers({ "content-type": "application/json" });
  const answer = (status, body, h = headers) => ({ status, headers: h, text: typeof body === "string" ? body : JSON.stringify(body) });
  assert.equal(checkAnswer("GET", "/v1/models", answer(200, { object: "list", data: [] })), true);
  assert.throws(() => checkAnswer("GET", "/v1/models", answer(200, { object: "list", data: [{ id: "x" }] })), /does not match/);
  assert.throws(() => checkAnswer("GET", "/v1/models", answer(418, { error: {} })), /lists no 418/);
  assert.throws(() => checkAnswer("GET", "/v1/batches/abc", answer(200, { id: "abc", extra: 1 })), /does not match/);
  assert.throws(() => checkAnswer("GET", "/v1/health/live", answer(200, "ok", new Headers({ "content-type": "text/plain" }))), /content-type text\/plain/);
  assert.throws(() => checkAnswer("POST", "/v1/chat/completions", answer(429, { error: { message: "m", type: "t", param: null, code: null } },
    new Headers({ "content-type": "application/json", "retry-after": "soon" }))), /header retry-after/);
  const sse = new Headers({ "content-type": "text/event-stream; charset=utf-8" });
  assert.throws(() => checkAnswer("POST", "/v1/chat/completions", answer(200, "data: [DONE]\n\ndata: {}\n\n", sse)), /\[DONE\] is not the last/);
  assert.throws(() => checkAnswer("POST", "/v1/chat/completions", answer(200, "data: {\"object\":\"nope\"}\n\n", sse)), /does not match/);
  assert.equal(checkAnswer("GET", "/v1/nope", answer(404, { error: {} })), false, "not an operation: skipped");
  assert.equal(checkAnswer("DELETE", "/v1/models", answer(405, { error: {} })), false, "not a documented method: skipped");
});
