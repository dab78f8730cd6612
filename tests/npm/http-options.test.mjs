// The opt-in HTTP options of contract §2 on every chat provider: maxRetries (network errors,
// 408/409/429/5xx; exponential backoff with jitter; retry-after-ms / retry-after honoured)
// and requestTimeoutMs. Defaults: no retries, no timeout.

import { test, afterEach } from "node:test";
import assert from "node:assert/strict";
import { AnthropicChatProvider, OllamaChatProvider, OpenAIChatProvider } from "edge-llm";
import { claudeMessage, completion, errorResponse, fetchDouble, jsonResponse, messages, mockClock, sequence } from "./support/doubles.mjs";

let clock;
afterEach(() => clock?.restore());

const openai = (fetchFn, extra = {}) => new OpenAIChatProvider({ apiKey: "k", model: "gpt-4o", fetchFn, ...extra });
const ok = () => jsonResponse(completion('{"ok":true}'));
const gaps = (calls) => calls.slice(1).map((c, i) => c.at - calls[i].at);

test("no retries by default: a 503 throws after one call", async () => {
  const fetchFn = sequence(errorResponse(503, "busy"), ok());
  await assert.rejects(openai(fetchFn).chat(messages), { message: "OpenAI chat error: 503 Service Unavailable — busy" });
  assert.equal(fetchFn.calls.length, 1);
});

test("maxRetries honours retry-after-ms, then retry-after seconds, then succeeds", async () => {
  clock = mockClock();
  const fetchFn = sequence(
    errorResponse(429, "slow down", { headers: { "retry-after-ms": "1500", "retry-after": "9" } }),
    errorResponse(503, "busy", { headers: { "retry-after": "2" } }),
    ok(),
  );
  const outcome = await clock.runUntilSettled(openai(fetchFn, { maxRetries: 2 }).chat(messages));
  assert.deepEqual(outcome.value?.response, { ok: true });
  assert.equal(fetchFn.calls.length, 3);
  assert.deepEqual(gaps(fetchFn.calls), [1500, 2000]);
});

test("without retry hints the backoff doubles from 500 ms, minus up to 25% jitter", async () => {
  clock = mockClock();
  const fetchFn = sequence(errorResponse(500, ""), new TypeError("fetch failed"), errorResponse(408, ""), errorResponse(409, ""), ok());
  const outcome = await clock.runUntilSettled(openai(fetchFn, { maxRetries: 4 }).chat(messages));
  assert.ok(outcome.value, String(outcome.error));
  const waits = gaps(fetchFn.calls);
  assert.equal(waits.length, 4);
  [500, 1000, 2000, 4000].forEach((base, i) => assert.ok(waits[i] > base * 0.75 - 1 && waits[i] <= base, `wait ${i}: ${waits[i]}`));
});

test("maxRetries is a limit: after maxRetries + 1 calls the last error is thrown", async () => {
  clock = mockClock();
  const fetchFn = fetchDouble(() => errorResponse(429, "again"));
  const outcome = await clock.runUntilSettled(openai(fetchFn, { maxRetries: 3 }).chat(messages));
  assert.equal(outcome.error?.message, "OpenAI chat error: 429 Too Many Requests — again");
  assert.equal(fetchFn.calls.length, 4);
});

test("4xx other than 408/409/429 are not retried", async () => {
  for (const status of [400, 401, 403, 404, 422]) {
    const fetchFn = fetchDouble(() => errorResponse(status, "no"));
    await assert.rejects(openai(fetchFn, { maxRetries: 3 }).chat(messages), (err) => err.message.startsWith(`OpenAI chat error: ${status} `));
    assert.equal(fetchFn.calls.length, 1, String(status));
  }
});

test("an answer that is OK but unusable is not retried", async () => {
  const fetchFn = fetchDouble(() => jsonResponse(completion("prose")));
  await assert.rejects(openai(fetchFn, { maxRetries: 3 }).chat(messages), { message: "LLM returned invalid JSON: prose" });
  assert.equal(fetchFn.calls.length, 1);
});

test("Anthropic and Ollama retry the same way", async () => {
  clock = mockClock();
  let fetchFn = sequence(errorResponse(529, "overloaded"), jsonResponse(claudeMessage('{"a":1}')));
  let outcome = await clock.runUntilSettled(new AnthropicChatProvider({ apiKey: "k", model: "claude-sonnet-4-5", fetchFn, maxRetries: 1 }).chat(messages));
  assert.deepEqual(outcome.value?.response, { a: 1 });
  assert.equal(fetchFn.calls.length, 2);
  fetchFn = sequence(new Error("ECONNREFUSED"), jsonResponse({ message: { content: '{"b":2}' }, prompt_eval_count: 1, eval_count: 1 }));
  outcome = await clock.runUntilSettled(new OllamaChatProvider({ model: "llama3.2", fetchFn, maxRetries: 1 }).chat(messages));
  assert.deepEqual(outcome.value?.response, { b: 2 });
  assert.equal(fetchFn.calls.length, 2);
});

const hang = () => fetchDouble(() => new Promise(() => {}));

test("requestTimeoutMs: `<Provider> chat error: request timed out after <ms>ms`, and the signal aborts", async () => {
  const cases = [
    ["OpenAI", (fetchFn) => new OpenAIChatProvider({ apiKey: "k", model: "gpt-4o", fetchFn, requestTimeoutMs: 40 })],
    ["Anthropic", (fetchFn) => new AnthropicChatProvider({ apiKey: "k", model: "claude-sonnet-4-5", fetchFn, requestTimeoutMs: 40 })],
    ["Ollama", (fetchFn) => new OllamaChatProvider({ model: "llama3.2", fetchFn, requestTimeoutMs: 40 })],
  ];
  for (const [name, make] of cases) {
    const fetchFn = hang();
    const started = performance.now();
    await assert.rejects(make(fetchFn).chat(messages), (err) => {
      assert.equal(err.constructor, Error);
      assert.equal(err.message, `${name} chat error: request timed out after 40ms`);
      return true;
    });
    assert.ok(performance.now() - started >= 35);
    const { signal } = fetchFn.calls[0].init;
    assert.ok(signal instanceof AbortSignal, `${name}: no signal passed`);
    assert.equal(signal.aborted, true);
  }
});

test("a timed-out call is retried when maxRetries allows", async () => {
  let n = 0;
  const fetchFn = fetchDouble(() => (n++ === 0 ? new Promise(() => {}) : ok()));
  const result = await openai(fetchFn, { requestTimeoutMs: 30, maxRetries: 1 }).chat(messages);
  assert.deepEqual(result.response, { ok: true });
  assert.equal(fetchFn.calls.length, 2);
});

test("an answer within requestTimeoutMs is unaffected", async () => {
  const fetchFn = fetchDouble(() => new Promise((resolve) => setTimeout(() => resolve(ok()), 5)));
  const result = await openai(fetchFn, { requestTimeoutMs: 2000 }).chat(messages);
  assert.deepEqual(result.response, { ok: true });
  assert.ok(fetchFn.calls[0].init.signal instanceof AbortSignal);
  assert.equal(fetchFn.calls[0].init.signal.aborted, false);
});

test("each retry is logged with its attempt, delay and (when there is one) status", async () => {
  clock = mockClock();
  const logged = [];
  const logger = { warn: (msg, meta) => logged.push([msg, meta]) };
  const fetchFn = sequence(errorResponse(429, "", { headers: { "retry-after-ms": "10" } }), new TypeError("fetch failed"), ok());
  const outcome = await clock.runUntilSettled(openai(fetchFn, { maxRetries: 2, logger }).chat(messages));
  assert.ok(outcome.value);
  assert.equal(logged.length, 2);
  assert.deepEqual(logged[0], ["Retrying request", { provider: "openai", attempt: 1, delayMs: 10, status: 429 }]);
  assert.equal(logged[1][0], "Retrying request");
  assert.equal("status" in logged[1][1], false);
  assert.equal(logged[1][1].attempt, 2);
});
