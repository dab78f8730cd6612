// The batch form's input parsing (www/batch-input.js has no DOM, so it runs in Node as is).
import { test } from "node:test";
import assert from "node:assert/strict";
import { promptsToRequests, jsonlToRequests } from "../../www/batch-input.js";

test("prompts: one request per non-empty line, ids p1… over those lines, the system message first", () => {
  assert.deepEqual(promptsToRequests("  first \n\n\r\nsecond\r\n", " Answer in JSON. "), [
    { id: "p1", messages: [{ role: "system", content: "Answer in JSON." }, { role: "user", content: "first" }] },
    { id: "p2", messages: [{ role: "system", content: "Answer in JSON." }, { role: "user", content: "second" }] },
  ]);
  assert.deepEqual(promptsToRequests("only json", ""), [{ id: "p1", messages: [{ role: "user", content: "only json" }] }]);
  assert.deepEqual(promptsToRequests(" \n \n"), []);
});

test("JSONL: {id, messages} and OpenAI batch-input lines, sent as written", () => {
  const text = [
    JSON.stringify({ id: "a", messages: [{ role: "user", content: "hi json" }] }),
    "",
    JSON.stringify({ custom_id: "b", method: "POST", url: "/v1/chat/completions", body: { model: "x", messages: [{ role: "system", content: "json" }, { role: "user", content: "yo" }] } }),
  ].join("\n");
  assert.deepEqual(jsonlToRequests(text), [
    { id: "a", messages: [{ role: "user", content: "hi json" }] },
    { id: "b", messages: [{ role: "system", content: "json" }, { role: "user", content: "yo" }] },
  ]);
});

test("JSONL: a bad line is named by its number", () => {
  const ok = JSON.stringify({ id: "a", messages: [] });
  assert.throws(() => jsonlToRequests(`${ok}\n{"id":`), /^Error: line 2: not JSON/);
  assert.throws(() => jsonlToRequests(`${ok}\n\n[1]`), /^Error: line 3: not a JSON object$/);
  assert.throws(() => jsonlToRequests(`{"messages": []}`), /^Error: line 1: needs a string "id" \(or "custom_id"\)$/);
  assert.throws(() => jsonlToRequests(`{"id": "a", "body": {}}`), /^Error: line 1: needs "messages" \(or "body.messages"\) as an array$/);
  assert.throws(() => jsonlToRequests("\n\n"), /the file has no requests/);
});
