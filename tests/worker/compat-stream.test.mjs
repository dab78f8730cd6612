// POST /v1/chat/completions with `stream: true`: Server-Sent Events in OpenAI's chunk format
// from all three providers, passed on as upstream produces them (the first chunk arrives
// while upstream is still writing), `stream_options.include_usage`, in-stream errors, and the
// client going away aborting the upstream request.
import { test, before, after, beforeEach } from "node:test";
import assert from "node:assert/strict";
import { startWorker } from "./support/worker.mjs";
import { checkedText, contentOf, dispatch, eventually, readEvents, sseEvents, user } from "./support/compat.mjs";

let w;
before(async () => {
  w = await startWorker({
    vars: (fake) => ({ EMBEDDING_PROVIDER: "ollama", EMBEDDING_MODEL: "nomic-embed-text", EMBEDDING_URL: fake.ollamaUrl, UPSTREAM_TIMEOUT_MS: "1500" }),
  });
});
after(async () => { await w?.close(); });
beforeEach(() => { w.fake.reset(); });

const stream = (body, options) => dispatch(w, "/v1/chat/completions", { stream: true, ...body }, options);
const upstreamStream = () => w.fake.requests.at(-1)?.stream;

/** The chunks of a whole streamed answer, checked for OpenAI's framing. */
async function chunksOf(response) {
  assert.equal(response.status, 200);
  assert.equal(response.headers.get("content-type"), "text/event-stream; charset=utf-8");
  const events = sseEvents(await checkedText(response));
  assert.equal(events.at(-1), "[DONE]", JSON.stringify(events.at(-1)));
  const chunks = events.slice(0, -1);
  for (const c of chunks) {
    assert.equal(c.object, "chat.completion.chunk");
    assert.equal(c.id, chunks[0].id);
    assert.equal(typeof c.created, "number");
  }
  return chunks;
}

for (const [model, upstreamModel] of [["gpt-4o", "gpt-4o"], ["anthropic/claude-sonnet-4-5", "claude-sonnet-4-5"], ["ollama/llama3.2", "llama3.2"]]) {
  test(`${model}: OpenAI chunks that add up to the answer, usage last when asked for`, async () => {
    const chunks = await chunksOf(await stream({ model, messages: user("stream me"), stream_options: { include_usage: true } }));
    assert.equal(chunks[0].choices[0].delta.role, "assistant");
    assert.deepEqual(JSON.parse(contentOf(chunks)), { echo: "stream me", model: upstreamModel });
    const finish = chunks.findLast((c) => c.choices.length > 0);
    assert.equal(finish.choices[0].finish_reason, "stop");
    const usage = chunks.at(-1);
    assert.deepEqual(usage.choices, []);
    assert.ok(usage.usage.prompt_tokens > 0 && usage.usage.completion_tokens > 0);
    assert.equal(usage.usage.total_tokens, usage.usage.prompt_tokens + usage.usage.completion_tokens);
    const plain = await chunksOf(await stream({ model, messages: user("stream me") }));
    assert.ok(plain.every((c) => !c.usage), "no usage chunk unless asked for");
  });
}

test("Anthropic tool calls stream as tool_calls deltas", async () => {
  const tools = [{ type: "function", function: { name: "lookup", parameters: { type: "object" } } }];
  const chunks = await chunksOf(await stream({ model: "anthropic/claude-sonnet-4-5", messages: user("find"), tools, tool_choice: "required" }));
  const calls = chunks.flatMap((c) => c.choices[0]?.delta.tool_calls ?? []);
  assert.deepEqual(calls[0], { index: 0, id: calls[0].id, type: "function", function: { name: "lookup", arguments: "" } });
  assert.deepEqual(JSON.parse(calls.map((c) => c.function.arguments).join("")), { echo: "find" });
  assert.equal(chunks.at(-1).choices[0].finish_reason, "tool_calls");
  assert.deepEqual(w.fake.requests.at(-1).json.tool_choice, { type: "any" });
});

test("chunks are passed on as upstream writes them, not after it finishes", async () => {
  for (const model of ["gpt-4o", "anthropic/claude-sonnet-4-5", "ollama/llama3.2"]) {
    w.fake.reset();
    const response = await stream({ model, messages: user("[[chunks:6]][[chunk-delay:150]] slow") });
    const events = readEvents(response);
    const first = (await events.next()).value;
    assert.equal(first.choices[0].delta.role, "assistant", model);
    const second = (await events.next()).value;
    assert.ok(second.choices[0].delta.content, model);
    assert.equal(upstreamStream().completed, false, `${model}: upstream still writing when the first chunks arrived`);
    const rest = [first, second];
    for await (const e of events) rest.push(e);
    assert.equal(rest.at(-1), "[DONE]");
    assert.equal(rest.filter((c) => c.choices?.[0]?.delta.content).length, 6, model);
  }
});

test("the client going away aborts the upstream request", async () => {
  for (const model of ["gpt-4o", "anthropic/claude-sonnet-4-5", "ollama/llama3.2"]) {
    w.fake.reset();
    const response = await stream({ model, messages: user("[[chunks:100]][[chunk-delay:40]] long") });
    const reader = response.body.getReader();
    await reader.read();
    await reader.cancel();
    assert.ok(await eventually(() => upstreamStream()?.clientClosed === true), `${model}: upstream connection still open: ${JSON.stringify(upstreamStream())}`);
    const s = upstreamStream();
    assert.equal(s.completed, false);
    assert.ok(s.written < s.planned, `${model}: ${s.written} of ${s.planned} chunks written`);
  }
  const line = await eventually(() => w.lines().some((l) => l.msg === "stream ended" && l.outcome === "client went away"));
  assert.ok(line, "the Worker logs the stream it lost");
});

test("upstream errors before the stream starts are HTTP errors in OpenAI's shape", async () => {
  const limited = await stream({ model: "anthropic/claude-sonnet-4-5", messages: user("[[status:429]]") });
  assert.equal(limited.status, 429);
  assert.match(limited.headers.get("content-type"), /application\/json/);
  assert.equal(JSON.parse(await checkedText(limited)).error.code, "rate_limit_exceeded");
  const refused = await stream({ model: "ollama/llama3.2", messages: user("x"), n: 3 });
  assert.equal(refused.status, 400);
  assert.equal(JSON.parse(await checkedText(refused)).error.param, "n");
});

test("a stream that breaks ends with OpenAI's error event, never [DONE]", async () => {
  for (const [model, marker, message] of [
    ["gpt-4o", "[[stream-error]]", /server had an error/],
    ["anthropic/claude-sonnet-4-5", "[[stream-error]]", /Anthropic stream error \(overloaded_error\): Overloaded/],
    ["ollama/llama3.2", "[[stream-error]]", /Ollama stream error/],
    ["gpt-4o", "[[cut-stream]]", /ended before \[DONE\]|upstream stream broke/],
    ["anthropic/claude-sonnet-4-5", "[[cut-stream]]", /ended before message_stop|upstream stream broke/],
    ["ollama/llama3.2", "[[cut-stream]]", /ended before done|upstream stream broke/],
  ]) {
    const response = await stream({ model, messages: user(`${marker} [[chunks:20]] x`) });
    assert.equal(response.status, 200);
    const events = sseEvents(await checkedText(response));
    assert.ok(!events.includes("[DONE]"), `${model} ${marker}`);
    assert.match(events.at(-1).error.message, message, `${model} ${marker}: ${JSON.stringify(events.at(-1))}`);
  }
});

test("a secret upstream quotes back in a stream never reaches the client", async () => {
  const body = `data: {"error":{"message":"Incorrect API key provided: ${w.bindings.OPENAI_API_KEY}","type":"invalid_request_error"}}\n\n`;
  w.fake.configure({ faults: [{ path: "/chat/completions", status: 200, body, headers: { "content-type": "text/event-stream" } }] });
  const text = await checkedText(await stream({ model: "gpt-4o", messages: user("x") }));
  assert.ok(!text.includes(w.bindings.OPENAI_API_KEY), text);
  assert.match(sseEvents(text)[0].error.message, /Incorrect API key provided: \[redacted\]/);
});

test("a stall longer than the upstream timeout ends the stream with an error", async () => {
  const response = await stream({ model: "gpt-4o", messages: user("[[chunks:3]][[chunk-delay:2500]]") });
  const events = sseEvents(await checkedText(response));
  assert.match(events.at(-1).error.message, /upstream sent nothing for 1500 ms/);
  assert.ok(await eventually(() => upstreamStream()?.clientClosed === true), "the stalled upstream request was aborted");
});

test("10,000 chunks stream through whole and in order", async () => {
  const chunks = await chunksOf(await stream({ model: "anthropic/claude-sonnet-4-5", messages: user("[[chunks:10000]] long") }));
  const content = chunks.filter((c) => c.choices[0]?.delta.content !== undefined && !c.choices[0].delta.role);
  assert.equal(content.length, 10000);
  assert.equal(JSON.parse(contentOf(chunks)).echo, "[[chunks:10000]] long");
});
