// The fake Anthropic API over real HTTP: auth, Messages, Models, Message Batches.

import { test } from "node:test";
import assert from "node:assert/strict";
import { anthropicHeaders, call, parseJsonl, useFake } from "./helpers.mjs";

const ctx = useFake();
const base = () => ctx.fake.anthropicBaseUrl;
const msgBody = (over = {}) => ({ model: "claude-sonnet-4-5", max_tokens: 8192, system: "Reply in JSON.", messages: [{ role: "user", content: "hi" }], ...over });
const messages = (body, headers = anthropicHeaders) => call(`${base()}/messages`, { method: "POST", headers, body });

test("messages: a real Message object with the JSON echo; fenced when asked", async () => {
  const res = await messages(msgBody());
  assert.equal(res.status, 200);
  assert.match(res.headers.get("request-id"), /^req_/);
  const m = res.json;
  assert.match(m.id, /^msg_/);
  assert.equal(m.type, "message");
  assert.equal(m.role, "assistant");
  assert.equal(m.model, "claude-sonnet-4-5");
  assert.equal(m.stop_reason, "end_turn");
  assert.equal(m.stop_sequence, null);
  assert.equal(m.content[0].type, "text");
  assert.deepEqual(JSON.parse(m.content[0].text), { echo: "hi", model: "claude-sonnet-4-5" });
  assert.ok(m.usage.input_tokens > 0 && m.usage.output_tokens > 0);

  ctx.fake.configure({ anthropicFencedJson: true });
  const fenced = (await messages(msgBody())).json.content[0].text;
  assert.match(fenced, /^```json\n\{.*\}\n```$/);

  const blocks = await messages(msgBody({ messages: [{ role: "user", content: [{ type: "text", text: "block" }] }] }));
  assert.match(blocks.json.content[0].text, /"echo":"block"/);
});

test("auth and version headers in Anthropic's error shape; browser opt-in header", async () => {
  const noKey = await messages(msgBody(), { "anthropic-version": "2023-06-01", "content-type": "application/json" });
  assert.equal(noKey.status, 401);
  assert.equal(noKey.json.type, "error");
  assert.equal(noKey.json.error.type, "authentication_error");
  const wrong = await messages(msgBody(), { ...anthropicHeaders, "x-api-key": "sk-ant-wrong-secret" });
  assert.deepEqual(wrong.json, { type: "error", error: { type: "authentication_error", message: "invalid x-api-key" } });
  assert.ok(!wrong.text.includes("sk-ant-wrong-secret"));
  const noVersion = await messages(msgBody(), { "x-api-key": "sk-ant-test", "content-type": "application/json" });
  assert.equal(noVersion.status, 400);
  assert.equal(noVersion.json.error.type, "invalid_request_error");
  assert.match(noVersion.json.error.message, /anthropic-version/);
  const browser = await messages(msgBody(), { ...anthropicHeaders, origin: "http://localhost:1234" });
  assert.equal(browser.status, 401);
  const optedIn = await messages(msgBody(), { ...anthropicHeaders, origin: "http://localhost:1234", "anthropic-dangerous-direct-browser-access": "true" });
  assert.equal(optedIn.status, 200);
});

test("messages validation: required fields, roles, system", async () => {
  for (const field of ["model", "max_tokens", "messages"]) {
    const r = await messages(msgBody({ [field]: undefined }));
    assert.equal(r.status, 400, field);
    assert.equal(r.json.error.message, `${field}: Field required`);
  }
  const sys = await messages(msgBody({ messages: [{ role: "system", content: "x" }, { role: "user", content: "y" }] }));
  assert.equal(sys.status, 400);
  assert.match(sys.json.error.message, /Unexpected role "system"/);
  const other = await messages(msgBody({ messages: [{ role: "tool", content: "x" }] }));
  assert.equal(other.json.error.message, "messages.0.role: Input should be 'user' or 'assistant'");
  assert.equal((await messages(msgBody({ system: 5 }))).status, 400);
  assert.equal((await messages("nope")).status, 400);
});

test("messages markers and models", async () => {
  const withUser = (content) => msgBody({ messages: [{ role: "user", content }] });
  const trunc = (await messages(withUser("[[truncate]]"))).json;
  assert.equal(trunc.stop_reason, "max_tokens");
  assert.throws(() => JSON.parse(trunc.content[0].text));
  assert.equal((await messages(withUser("[[refuse]]"))).json.stop_reason, "refusal");
  const oneToken = await messages(msgBody({ max_tokens: 1 }));
  assert.equal(oneToken.status, 200);
  assert.equal(oneToken.json.stop_reason, "max_tokens");
  assert.equal(oneToken.json.usage.output_tokens, 1);
  const overloaded = await messages(withUser("[[status:529]]"));
  assert.equal(overloaded.status, 529);
  assert.equal(overloaded.json.error.type, "overloaded_error");

  const m = await call(`${base()}/models/claude-opus-4-1`, { headers: anthropicHeaders });
  assert.equal(m.status, 200);
  assert.equal(m.json.type, "model");
  assert.equal(m.json.id, "claude-opus-4-1");
  assert.equal(typeof m.json.display_name, "string");
  const nf = await call(`${base()}/models/claude-2`, { headers: anthropicHeaders });
  assert.equal(nf.status, 404);
  assert.equal(nf.json.error.type, "not_found_error");
  assert.equal((await call(`${base()}/models`, { headers: anthropicHeaders })).json.data.length, 3);

  const route = await call(`${base()}/nope`, { headers: anthropicHeaders });
  assert.equal(route.status, 404);
  assert.equal(route.json.type, "error");
  assert.equal((await call(`${base()}/messages`, { headers: anthropicHeaders })).status, 405);
});

const batchRequests = (ids, content = (id) => `q ${id}`) => ids.map((id) => ({ custom_id: id, params: msgBody({ messages: [{ role: "user", content: content(id) }] }) }));
const createBatch = (requests) => call(`${base()}/messages/batches`, { method: "POST", headers: anthropicHeaders, body: { requests } });
const getBatch = async (id) => (await call(`${base()}/messages/batches/${id}`, { headers: anthropicHeaders })).json;
const results = async (b) => {
  assert.equal(b.results_url, `${base()}/messages/batches/${b.id}/results`);
  const res = await call(b.results_url, { headers: anthropicHeaders });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("content-type"), "application/x-jsonl");
  return parseJsonl(res.text);
};

test("message batch lifecycle: in_progress → ended, results succeeded/errored", async () => {
  const reqs = batchRequests(["a", "b", "c", "d"], (id) => (id === "b" ? "[[status:400]]" : id === "c" ? "[[error-file]]" : `q ${id}`));
  const created = await createBatch(reqs);
  assert.equal(created.status, 200);
  const b0 = created.json;
  assert.match(b0.id, /^msgbatch_/);
  assert.equal(b0.type, "message_batch");
  assert.equal(b0.processing_status, "in_progress");
  assert.deepEqual(b0.request_counts, { processing: 4, succeeded: 0, errored: 0, canceled: 0, expired: 0 });
  for (const f of ["ended_at", "cancel_initiated_at", "archived_at", "results_url"]) assert.equal(b0[f], null, f);
  assert.match(b0.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
  assert.equal(Date.parse(b0.expires_at) - Date.parse(b0.created_at), 24 * 3600 * 1000);

  const early = await call(`${base()}/messages/batches/${b0.id}/results`, { headers: anthropicHeaders });
  assert.equal(early.status, 400);

  const polls = [await getBatch(b0.id), await getBatch(b0.id), await getBatch(b0.id)];
  assert.deepEqual(polls.map((b) => b.processing_status), ["in_progress", "in_progress", "ended"]);
  assert.deepEqual(polls.map((b) => b.request_counts.processing), [3, 1, 0]);
  const ended = polls[2];
  assert.deepEqual(ended.request_counts, { processing: 0, succeeded: 2, errored: 2, canceled: 0, expired: 0 });
  assert.equal(typeof ended.ended_at, "string");

  const lines = await results(ended);
  assert.deepEqual(lines.map((l) => [l.custom_id, l.result.type]), [["a", "succeeded"], ["b", "errored"], ["c", "errored"], ["d", "succeeded"]]);
  assert.equal(lines[0].result.message.type, "message");
  assert.deepEqual(JSON.parse(lines[0].result.message.content[0].text), { echo: "q a", model: "claude-sonnet-4-5" });
  assert.deepEqual(lines[1].result.error, { type: "error", error: { type: "invalid_request_error", message: "Bad request" } });
  assert.equal(lines[2].result.error.type, "error");
  assert.equal(lines[2].result.error.error.type, "invalid_request_error");

  const list = await call(`${base()}/messages/batches`, { headers: anthropicHeaders });
  assert.deepEqual(list.json.data.map((b) => b.id), [b0.id]);
  assert.equal(list.json.has_more, false);
  const del = await call(`${base()}/messages/batches/${b0.id}`, { method: "DELETE", headers: anthropicHeaders });
  assert.deepEqual(del.json, { id: b0.id, type: "message_batch_deleted" });
  assert.equal((await call(`${base()}/messages/batches/${b0.id}`, { headers: anthropicHeaders })).status, 404);
});

test("message batch cancel, expired and cancelled outcomes, shuffle", async () => {
  ctx.fake.configure({ batchStepsToComplete: 4 });
  const b = (await createBatch(batchRequests(["a", "b", "c", "d"]))).json;
  await getBatch(b.id);
  const canceling = await call(`${base()}/messages/batches/${b.id}/cancel`, { method: "POST", headers: anthropicHeaders });
  assert.equal(canceling.json.processing_status, "canceling");
  assert.equal(typeof canceling.json.cancel_initiated_at, "string");
  const ended = await getBatch(b.id);
  assert.equal(ended.processing_status, "ended");
  assert.deepEqual(ended.request_counts, { processing: 0, succeeded: 1, errored: 0, canceled: 3, expired: 0 });
  assert.deepEqual((await results(ended)).map((l) => l.result.type), ["succeeded", "canceled", "canceled", "canceled"]);
  assert.equal((await call(`${base()}/messages/batches/${b.id}/cancel`, { method: "POST", headers: anthropicHeaders })).status, 400);

  ctx.fake.configure({ batchStepsToComplete: 1, batchOutcome: "expired", expiredCompletedFraction: 0.5 });
  const e = (await createBatch(batchRequests(["a", "b", "c", "d"]))).json;
  const eEnded = await getBatch(e.id);
  assert.deepEqual(eEnded.request_counts, { processing: 0, succeeded: 2, errored: 0, canceled: 0, expired: 2 });
  const expiredLines = await results(eEnded);
  assert.deepEqual(expiredLines.map((l) => l.result.type), ["succeeded", "succeeded", "expired", "expired"]);
  assert.deepEqual(expiredLines[3].result, { type: "expired" });

  ctx.fake.configure({ batchOutcome: "cancelled", cancelledCompletedFraction: 0.25 });
  const c = (await createBatch(batchRequests(["a", "b", "c", "d"]))).json;
  assert.equal((await getBatch(c.id)).processing_status, "canceling");
  assert.deepEqual((await getBatch(c.id)).request_counts, { processing: 0, succeeded: 1, errored: 0, canceled: 3, expired: 0 });

  ctx.fake.configure({ batchOutcome: "completed", shuffleOutput: true });
  const ids = Array.from({ length: 20 }, (_, i) => `r${i}`);
  const s = (await createBatch(batchRequests(ids))).json;
  const order = (await results(await getBatch(s.id))).map((l) => l.custom_id);
  assert.notDeepEqual(order, ids);
  assert.deepEqual([...order].sort(), [...ids].sort());
});

test("message batch create validation: custom_id pattern, uniqueness, params, limits", async () => {
  const bad = async (requests, pattern) => {
    const r = await createBatch(requests);
    assert.equal(r.status, 400);
    assert.equal(r.json.error.type, "invalid_request_error");
    assert.match(r.json.error.message, pattern);
  };
  await bad(batchRequests(["has space"]), /requests\.0\.custom_id: String should match pattern/);
  await bad(batchRequests(["x".repeat(65)]), /custom_id/);
  await bad(batchRequests(["a", "a"]), /a/);
  await bad([], /at least 1 item/);
  await bad([{ custom_id: "a" }], /requests\.0\.params: Field required/);
  await bad([{ custom_id: "a", params: { model: "claude-sonnet-4-5", messages: [] } }], /requests\.0\.params\.max_tokens: Field required/);
  await bad(Array.from({ length: 100_001 }, (_, i) => ({ custom_id: `r${i}`, params: {} })), /at most 100000/);
  assert.equal((await createBatch(batchRequests(["ok_ID-1"]))).status, 200);
});
