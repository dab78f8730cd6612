// Routing: every route answers, unknown paths are 404, wrong methods 405, and every error
// is JSON `{error: {type, message}}` (contract §4).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startWorker, errorMessage, createBatch, requests } from "./support/worker.mjs";

let w;
before(async () => { w = await startWorker(); });
after(async () => { await w?.close(); });

test("every route answers its method", async () => {
  const health = await w.api("GET", "/v1/health");
  assert.equal(health.status, 200, health.text);
  const live = await w.api("GET", "/v1/health/live");
  assert.deepEqual([live.status, live.json], [200, { ok: true }]);
  const chat = await w.api("POST", "/v1/chat", { body: { messages: [{ role: "user", content: "json hi" }] } });
  assert.equal(chat.status, 200, chat.text);
  const tokens = await w.api("POST", "/v1/tokens", { body: { text: "hello world" } });
  assert.equal(tokens.status, 200, tokens.text);
  const batch = await createBatch(w, { requests: requests(2) });
  const status = await w.api("GET", `/v1/batches/${batch.id}`);
  assert.equal(status.status, 200, status.text);
  const results = await w.api("GET", `/v1/batches/${batch.id}/results`);
  assert.equal(results.status, 409, results.text);
  const cancel = await w.api("POST", `/v1/batches/${batch.id}/cancel`);
  assert.equal(cancel.status, 200, cancel.text);
  for (const r of [health, live, chat, tokens, status, cancel]) {
    assert.match(r.headers.get("content-type"), /^application\/json/);
  }
});

test("a trailing slash reaches the same route", async () => {
  const r = await w.api("POST", "/v1/tokens/", { body: { text: "hi" } });
  assert.equal(r.status, 200, r.text);
  assert.equal((await w.api("GET", "/v1/health/live/", { token: null })).status, 200);
});

test("unknown paths are a JSON 404 naming the path", async () => {
  for (const path of ["/v1", "/v1/nope", "/v1/chat/extra", "/v1/batches/a/b/c", "/v1/health/deep", "/v2/chat", "/nope", "/v1//chat"]) {
    const r = await w.api("GET", path);
    assert.equal(r.status, 404, `${path}: ${r.text}`);
    assert.equal(r.json.error.type, "not_found");
    assert.match(errorMessage(r), /no route/);
  }
});

test("a known path with the wrong method is a JSON 405 with Allow", async () => {
  const cases = [
    ["GET", "/v1/chat", "POST"],
    ["PUT", "/v1/chat", "POST"],
    ["GET", "/v1/tokens", "POST"],
    ["POST", "/v1/health", "GET"],
    ["DELETE", "/v1/health/live", "GET"],
    ["GET", "/v1/batches", "POST"],
    ["DELETE", "/v1/batches/batch_x", "GET"],
    ["PATCH", "/v1/batches/batch_x", "GET"],
    ["POST", "/v1/batches/batch_x/results", "GET"],
    ["GET", "/v1/batches/batch_x/cancel", "POST"],
  ];
  for (const [method, path, allow] of cases) {
    const r = await w.api(method, path, { token: method === "DELETE" && path.endsWith("live") ? null : undefined });
    assert.equal(r.status, 405, `${method} ${path}: ${r.text}`);
    assert.equal(r.json.error.type, "method_not_allowed");
    assert.match(errorMessage(r), new RegExp(allow));
    assert.equal(r.headers.get("allow"), allow, `${method} ${path}: Allow header`);
  }
});

test("HEAD and OPTIONS are not silently answered as GET", async () => {
  const r = await w.api("OPTIONS", "/v1/chat");
  assert.equal(r.status, 405, r.text);
});

test("error answers are JSON with a type and a message, never HTML or text", async () => {
  const answers = [
    await w.api("GET", "/v1/nope"),
    await w.api("POST", "/v1/chat", { body: "{" }),
    await w.api("GET", "/v1/batches/batch_none"),
    await w.api("GET", "/v1/chat"),
    await w.api("GET", "/v1/health", { token: "bad" }),
  ];
  for (const r of answers) {
    assert.match(r.headers.get("content-type"), /^application\/json/, r.text);
    assert.deepEqual(Object.keys(r.json), ["error"], r.text);
    assert.ok(["type", "message"].every((k) => typeof r.json.error[k] === "string"), r.text);
  }
});
