// Bad input (contract §4): malformed JSON, wrong types, missing and unknown fields, batches
// the provider would reject, unknown batch ids and ids with odd characters — each a 400 or
// 404 whose message names the field, with nothing sent upstream.
import { test, before, after, beforeEach } from "node:test";
import assert from "node:assert/strict";
import { startWorker, errorMessage, createBatch, requests } from "./support/worker.mjs";

let w;
before(async () => { w = await startWorker(); });
after(async () => { await w?.close(); });
beforeEach(() => { w.fake.reset(); });

const user = (content) => [{ role: "user", content }];

async function bad(path, body, field, pattern) {
  const r = await w.api("POST", path, { body });
  assert.equal(r.status, 400, `${path} ${typeof body === "string" ? body : JSON.stringify(body).slice(0, 200)}: ${r.text.slice(0, 300)}`);
  assert.equal(r.json.error.type, "invalid_request");
  const message = errorMessage(r);
  assert.ok(message.startsWith(`${field}: `), `message names ${field}: ${message}`);
  if (pattern) assert.match(message, pattern);
  return message;
}

test("malformed JSON is a 400 about the body", async () => {
  for (const path of ["/v1/chat", "/v1/tokens", "/v1/batches"]) {
    await bad(path, "{not json", "body", /not valid JSON/);
    await bad(path, '{"model": "gpt-4o", ', "body", /not valid JSON/);
    await bad(path, "", "body", /empty/);
    await bad(path, "   \n", "body", /empty/);
    await bad(path, "[]", "body", /JSON object/);
    await bad(path, JSON.stringify([[{ role: "user", content: "json" }]]), "body", /JSON object/);
    await bad(path, "null", "body", /JSON object/);
    await bad(path, '"text"', "body", /JSON object/);
  }
  // A valid body followed by more is not valid JSON either.
  const valid = { "/v1/chat": { messages: user("json") }, "/v1/tokens": { text: "x" }, "/v1/batches": { requests: requests(2) } };
  for (const [path, body] of Object.entries(valid)) {
    await bad(path, `${JSON.stringify(body)} {}`, "body", /not valid JSON \(trailing characters/);
  }
  assert.equal(w.fake.requests.length, 0);
});

test("a body that is not UTF-8 is a 400", async () => {
  const r = await w.api("POST", "/v1/tokens", { body: new Uint8Array([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]) });
  assert.equal(r.status, 400, r.text);
  assert.match(errorMessage(r), /^body: .*UTF-8/);
});

test("chat: missing, mistyped and unknown fields are named", async () => {
  await bad("/v1/chat", {}, "messages", /required/);
  await bad("/v1/chat", { messages: "hi" }, "messages", /invalid type/);
  await bad("/v1/chat", { messages: [] }, "messages", /at least one/);
  await bad("/v1/chat", { messages: [{ role: "robot", content: "json" }] }, "messages[0].role", /robot/);
  await bad("/v1/chat", { messages: [{ role: "user" }] }, "messages[0].content", /required/);
  await bad("/v1/chat", { messages: [{ role: "user", content: 5 }] }, "messages[0].content", /invalid type/);
  await bad("/v1/chat", { messages: [{ role: "user", content: "json" }, { content: "x" }] }, "messages[1].role", /required/);
  await bad("/v1/chat", { messages: user("json"), model: 4 }, "model", /invalid type/);
  await bad("/v1/chat", { messages: user("json"), provider: ["openai"] }, "provider", /invalid type/);
  await bad("/v1/chat", { messages: user("json"), temperature: 0 }, "temperature", /unknown field/);
  await bad("/v1/chat", { messages: [{ role: "system", content: "json" }] }, "messages", /user or assistant/);
  // OpenAI's JSON mode rejects a conversation without the word "json"; caught before sending.
  await bad("/v1/chat", { messages: user("hello") }, "messages", /json/);
  assert.equal(w.fake.requests.length, 0);
});

test("tokens: text is required and must be a string", async () => {
  await bad("/v1/tokens", {}, "text", /required/);
  await bad("/v1/tokens", { model: "gpt-4o" }, "text", /required/);
  await bad("/v1/tokens", { text: 5 }, "text", /invalid type/);
  await bad("/v1/tokens", { text: null }, "text", /invalid type/);
  await bad("/v1/tokens", { text: "x", model: 1 }, "model", /invalid type/);
  await bad("/v1/tokens", { text: "x", encoding: "o200k_base" }, "encoding", /unknown field/);
});

test("batches: the batch is linted before anything is sent", async () => {
  await bad("/v1/batches", {}, "requests", /required/);
  await bad("/v1/batches", { requests: {} }, "requests", /must be an array/);
  await bad("/v1/batches", { requests: [] }, "requests", /at least one/);
  await bad("/v1/batches", { requests: [{ messages: user("json") }] }, "requests[0].id", /required/);
  await bad("/v1/batches", { requests: [{ id: 7, messages: user("json") }] }, "requests[0].id", /invalid type/);
  await bad("/v1/batches", { requests: [{ id: "a" }] }, "requests[0].messages", /required/);
  await bad("/v1/batches", { requests: [...requests(2), { id: "r0", messages: user("json") }] }, "requests[2].id", /unique/);
  await bad("/v1/batches", { requests: [{ id: "", messages: user("json") }, ...requests(1)] }, "requests[0].id", /empty/);
  await bad("/v1/batches", { requests: [{ id: "x".repeat(513), messages: user("json") }, ...requests(1)] }, "requests[0].id", /longer/);
  await bad("/v1/batches", { requests: [...requests(1), { id: "b", messages: user("no magic word") }] }, "requests[1].messages", /json/);
  await bad("/v1/batches", { requests: [...requests(1), { id: "b", messages: [] }] }, "requests[1].messages", /at least one/);
  await bad("/v1/batches", { requests: requests(2), provider: "ollama", model: "llama3.2" }, "provider", /Batch API/);
  await bad("/v1/batches", { requests: requests(2), priority: 1 }, "priority", /unknown field/);
  // Anthropic custom_id rules: ^[a-zA-Z0-9_-]{1,64}$.
  for (const id of ["has space", "dot.ted", "é", "x".repeat(65), "a/b"]) {
    await bad("/v1/batches", { provider: "anthropic", model: "claude-sonnet-4-5", requests: [...requests(1), { id, messages: user("hi") }] }, "requests[1].id", /\^\[a-zA-Z0-9_-\]\{1,64\}\$/);
  }
  assert.equal(w.fake.requests.length, 0, "nothing was uploaded");
});

test("batches: everything that reaches KV is checked before anything is sent — a 1,100-character model is a 400, not a billed batch without a record", async () => {
  const before = (await w.dumpKv()).length;
  await bad("/v1/batches", { requests: requests(2), model: "m".repeat(1100) }, "model", /longer than 1024 bytes/);
  await bad("/v1/batches", { requests: requests(2), model: "m".repeat(300) }, "model", /longer than 256 bytes/);
  await bad("/v1/batches", { requests: requests(1), model: "m".repeat(300) }, "model", /longer than 256 bytes/);
  assert.equal(w.fake.requests.length, 0, "nothing went upstream");
  assert.equal((await w.dumpKv()).length, before, "nothing was stored");
});

test("batches: more requests than the provider takes is a 400 before upload", async () => {
  const many = Array.from({ length: 50_001 }, (_, i) => ({ id: String(i), messages: [{ role: "user", content: "json" }] }));
  const message = await bad("/v1/batches", { requests: many }, "requests", /50000/);
  assert.match(message, /50001/);
  assert.equal(w.fake.requests.length, 0);
});

test("odd characters in a batch id in the path are a 400, never a KV lookup", async () => {
  const odd = ["a.b", "batch%20x", "%C3%A9t%C3%A9", "open:1:x", "batch_x:ids:0", "x".repeat(129), "%2e%2e", "a%2Fb", "*", "~x", "%00"];
  for (const id of odd) {
    for (const [method, suffix] of [["GET", ""], ["GET", "/results"], ["POST", "/cancel"]]) {
      const r = await w.api(method, `/v1/batches/${id}${suffix}`);
      assert.ok([400, 404].includes(r.status), `${method} ${id}${suffix}: ${r.status} ${r.text}`);
      if (r.status === 400) assert.match(errorMessage(r), /^id: /);
      else errorMessage(r);
    }
  }
  const ops = await w.kvOps({ reset: true });
  assert.deepEqual(ops.filter((o) => o.op !== "list"), [], "no id with odd characters reached KV");
});

test("unknown batch ids are a 404 on every batch route", async () => {
  for (const [method, suffix] of [["GET", ""], ["GET", "/results"], ["POST", "/cancel"]]) {
    const r = await w.api(method, `/v1/batches/batch_doesnotexist${suffix}`);
    assert.equal(r.status, 404, r.text);
    assert.equal(r.json.error.type, "not_found");
    assert.match(errorMessage(r), /batch_doesnotexist/);
  }
});

test("a results cursor that the batch never returned is a 400 naming cursor", async () => {
  const batch = await createBatch(w, { requests: [requests(1)[0]] });
  assert.equal(batch.status, "completed");
  for (const cursor of ["abc", "-1", "1", "99", "1e3", "0x1", ""]) {
    const r = await w.api("GET", `/v1/batches/${batch.id}/results?cursor=${encodeURIComponent(cursor)}`);
    if (cursor === "") {
      // An empty cursor is the first page, or a 400; never a 500.
      assert.ok([200, 400].includes(r.status), r.text);
      continue;
    }
    assert.equal(r.status, 400, `cursor ${cursor}: ${r.text}`);
    assert.match(errorMessage(r), /^cursor: /);
  }
  const ok = await w.api("GET", `/v1/batches/${batch.id}/results?cursor=0`);
  assert.equal(ok.status, 200, ok.text);
});
