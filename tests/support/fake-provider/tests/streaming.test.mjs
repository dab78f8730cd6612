// Streamed chat over real HTTP: OpenAI's and Anthropic's Server-Sent Events, Ollama's NDJSON;
// the stream markers ([[chunks:N]], [[chunk-delay:MS]], [[cut-stream]], [[stream-error]]),
// tools, and the record of a client that went away.

import { test } from "node:test";
import assert from "node:assert/strict";
import { anthropicHeaders, call, openaiHeaders, useFake } from "./helpers.mjs";

const ctx = useFake();

/** Posts and returns the response unread. */
const open = (url, headers, body, signal) => fetch(url, { method: "POST", headers, body: JSON.stringify(body), signal });
const sseData = (text) => text.split("\n\n").filter(Boolean).map((e) => {
  const data = e.split("\n").filter((l) => l.startsWith("data: ")).map((l) => l.slice(6)).join("\n");
  const name = e.split("\n").find((l) => l.startsWith("event: "))?.slice(7);
  return { event: name, data: data === "[DONE]" ? data : JSON.parse(data) };
});
const openaiChat = (content, extra = {}, signal) => open(`${ctx.fake.openaiBaseUrl}/chat/completions`, openaiHeaders,
  { model: "gpt-4o", messages: [{ role: "user", content }], stream: true, ...extra }, signal);
const claude = (content, extra = {}) => open(`${ctx.fake.anthropicBaseUrl}/messages`, anthropicHeaders,
  { model: "claude-sonnet-4-5", max_tokens: 1000, messages: [{ role: "user", content }], stream: true, ...extra });
const llama = (content, extra = {}) => open(`${ctx.fake.ollamaUrl}/api/chat`, { "content-type": "application/json" },
  { model: "llama3.2", messages: [{ role: "user", content }], ...extra });

test("OpenAI streams chunks that add up to the sync answer, usage last when asked for", async () => {
  const res = await openaiChat("hello stream", { stream_options: { include_usage: true } });
  assert.equal(res.status, 200);
  assert.match(res.headers.get("content-type"), /^text\/event-stream/);
  const events = sseData(await res.text()).map((e) => e.data);
  assert.equal(events.at(-1), "[DONE]");
  const chunks = events.slice(0, -1);
  assert.ok(chunks.every((c) => c.object === "chat.completion.chunk" && c.id === chunks[0].id));
  assert.deepEqual(chunks[0].choices[0].delta, { role: "assistant", content: "", refusal: null });
  const text = chunks.map((c) => c.choices[0]?.delta.content ?? "").join("");
  assert.deepEqual(JSON.parse(text), { echo: "hello stream", model: "gpt-4o" });
  assert.equal(chunks.at(-2).choices[0].finish_reason, "stop");
  assert.deepEqual(chunks.at(-1).choices, []);
  assert.equal(chunks.at(-1).usage.total_tokens, chunks.at(-1).usage.prompt_tokens + chunks.at(-1).usage.completion_tokens);
  assert.ok(chunks.slice(0, -1).every((c) => c.usage === null));
  const bad = await call(`${ctx.fake.openaiBaseUrl}/chat/completions`, { method: "POST", headers: openaiHeaders,
    body: { model: "gpt-4o", messages: [{ role: "user", content: "x" }], stream_options: { include_usage: true } } });
  assert.equal(bad.status, 400);
  assert.equal(bad.json.error.param, "stream_options");
});

test("OpenAI: a forced tool call streams its arguments", async () => {
  const tools = [{ type: "function", function: { name: "lookup", parameters: { type: "object" } } }];
  const res = await openaiChat("find it", { tools, tool_choice: "required" });
  const chunks = sseData(await res.text()).map((e) => e.data).slice(0, -1);
  assert.deepEqual(chunks[1].choices[0].delta.tool_calls[0].function, { name: "lookup", arguments: "" });
  const args = chunks.map((c) => c.choices[0].delta.tool_calls?.[0].function.arguments ?? "").join("");
  assert.deepEqual(JSON.parse(args), { echo: "find it" });
  assert.equal(chunks.at(-1).choices[0].finish_reason, "tool_calls");
});

test("Anthropic streams named events that add up to the Message", async () => {
  const res = await claude("hi claude");
  assert.equal(res.status, 200);
  const events = sseData(await res.text());
  assert.deepEqual(events.map((e) => e.event).filter((n, i, a) => a.indexOf(n) === i),
    ["message_start", "content_block_start", "ping", "content_block_delta", "content_block_stop", "message_delta", "message_stop"]);
  for (const e of events) assert.equal(e.data.type, e.event);
  const text = events.filter((e) => e.event === "content_block_delta").map((e) => e.data.delta.text).join("");
  assert.deepEqual(JSON.parse(text), { echo: "hi claude", model: "claude-sonnet-4-5" });
  const delta = events.find((e) => e.event === "message_delta").data;
  assert.equal(delta.delta.stop_reason, "end_turn");
  assert.ok(delta.usage.output_tokens > 1);
  assert.ok(events[0].data.message.usage.input_tokens > 0);
});

test("Anthropic: tool_choice any streams a tool_use block", async () => {
  const res = await claude("use it", { tools: [{ name: "lookup", input_schema: { type: "object" } }], tool_choice: { type: "any" } });
  const events = sseData(await res.text());
  assert.equal(events[1].data.content_block.type, "tool_use");
  const json = events.filter((e) => e.data.delta?.type === "input_json_delta").map((e) => e.data.delta.partial_json).join("");
  assert.deepEqual(JSON.parse(json), { echo: "use it" });
  assert.equal(events.find((e) => e.event === "message_delta").data.delta.stop_reason, "tool_use");
  const missing = await claude("x", { tools: [{ name: "a", input_schema: {} }], tool_choice: { type: "tool", name: "b" } });
  assert.equal(missing.status, 400);
});

test("[[chunks:N]] makes exactly N content chunks, each its own write, for every provider", async () => {
  const res = await openaiChat("[[chunks:10000]] many");
  const chunks = sseData(await res.text()).map((e) => e.data).slice(0, -1);
  assert.equal(chunks.filter((c) => c.choices[0].delta.content !== undefined && !c.choices[0].delta.role).length, 10000);
  assert.equal(JSON.parse(chunks.map((c) => c.choices[0].delta.content ?? "").join("")).echo, "[[chunks:10000]] many");
  assert.equal(ctx.fake.requests.at(-1).stream.written, 10003);
  const a = sseData(await (await claude("[[chunks:50]]")).text());
  assert.equal(a.filter((e) => e.data.delta?.type === "text_delta").length, 50);
  const lines = (await (await llama("[[chunks:40]]")).text()).trim().split("\n").map((l) => JSON.parse(l));
  assert.equal(lines.length, 41);
  assert.equal(lines.at(-1).done, true);
});

test("[[chunk-delay:MS]] paces the chunks as they are written", async () => {
  const res = await openaiChat("[[chunks:5]][[chunk-delay:60]]");
  const reader = res.body.getReader();
  const arrivals = [];
  for (;;) {
    const { done } = await reader.read();
    if (done) break;
    arrivals.push(Date.now());
  }
  assert.ok(arrivals.at(-1) - arrivals[0] >= 6 * 60 - 20, `spread ${arrivals.at(-1) - arrivals[0]} ms`);
});

test("a client that goes away is recorded, and the stream stops", async () => {
  const controller = new AbortController();
  const res = await openaiChat("[[chunks:200]][[chunk-delay:20]]", {}, controller.signal);
  const reader = res.body.getReader();
  await reader.read();
  controller.abort();
  await reader.cancel().catch(() => {});
  for (let i = 0; i < 50 && !ctx.fake.requests.at(-1).stream.clientClosed; i++) await new Promise((r) => setTimeout(r, 20));
  const s = ctx.fake.requests.at(-1).stream;
  assert.equal(s.clientClosed, true);
  assert.equal(s.completed, false);
  assert.ok(s.written < s.planned, `${s.written} of ${s.planned}`);
});

test("[[cut-stream]] drops the connection half way; [[stream-error]] sends each provider's error", async () => {
  await assert.rejects((await openaiChat("[[cut-stream]] bye")).text());
  const o = sseData(await (await openaiChat("[[stream-error]]")).text());
  assert.equal(o.at(-1).data.error.type, "server_error");
  const a = sseData(await (await claude("[[stream-error]]")).text());
  assert.deepEqual(a.at(-1), { event: "error", data: { type: "error", error: { type: "overloaded_error", message: "Overloaded" } } });
  const l = (await (await llama("[[stream-error]] a longer message so there are several lines to cut")).text()).trim().split("\n");
  assert.match(JSON.parse(l.at(-1)).error, /unexpected EOF/);
  assert.ok(ctx.fake.requests.at(-1).stream.completed);
});

test("Ollama calls a tool on [[tool]], whole, arguments as an object", async () => {
  const tools = [{ type: "function", function: { name: "lookup", parameters: { type: "object" } } }];
  const whole = await call(`${ctx.fake.ollamaUrl}/api/chat`, { method: "POST", headers: { "content-type": "application/json" },
    body: { model: "llama3.2", stream: false, tools, messages: [{ role: "user", content: "[[tool]] go" }] } });
  assert.deepEqual(whole.json.message.tool_calls, [{ function: { name: "lookup", arguments: { echo: "[[tool]] go" } } }]);
  const lines = (await (await llama("[[tool]] go", { tools })).text()).trim().split("\n").map((l) => JSON.parse(l));
  assert.equal(lines[0].message.tool_calls[0].function.name, "lookup");
  assert.equal(lines.at(-1).done, true);
});
