// The poll schedule and the batch deadline (contract §2, OpenAI batch lifecycle step 3),
// with node:test's mocked setTimeout and Date: before poll n (0-based) the package waits
// min(pollIntervalMs · 1.5ⁿ, maxPollIntervalMs); it gives up `timeoutMs` after polling
// starts with `<Provider> batch timed out after <ms>ms`.

import { test, afterEach } from "node:test";
import assert from "node:assert/strict";
import { AnthropicBatchChatProvider, OpenAIBatchChatProvider } from "edge-llm";
import { errorResponse, mockClock, recordingLogger } from "./support/doubles.mjs";
import { anthropicBatchApi, claudeSucceeded, jsonl, okLine, openaiBatchApi } from "./support/batch-doubles.mjs";

let clock;
afterEach(() => clock?.restore());

const requests = [
  { id: "a", messages: [{ role: "user", content: "json a" }] },
  { id: "b", messages: [{ role: "user", content: "json b" }] },
];
const files = { "file-out": jsonl(okLine("a", {}), okLine("b", {})) };

/** Milliseconds from the create call to each poll, and between polls. */
function pollTimes(fetchFn) {
  const create = fetchFn.calls.find((c) => c.method === "POST" && c.url.endsWith("/batches"));
  const polls = fetchFn.calls.filter((c) => c.method === "GET" && /\/batches\/[^/]+$/.test(c.url));
  const waits = polls.map((p, i) => p.at - (i === 0 ? create.at : polls[i - 1].at));
  return { polls, waits };
}

test("default schedule: 10 s growing ×1.5 per poll, capped at 120 s", async () => {
  clock = mockClock();
  const statuses = [...Array(9).fill("in_progress"), { status: "completed", output_file_id: "file-out" }];
  const fetchFn = openaiBatchApi({ polls: statuses, files });
  const p = new OpenAIBatchChatProvider({ apiKey: "k", model: "gpt-4o", fetchFn });
  const outcome = await clock.runUntilSettled(p.chatBatch(requests));
  assert.ok(outcome.value, String(outcome.error));
  assert.deepEqual(pollTimes(fetchFn).waits, [10_000, 15_000, 22_500, 33_750, 50_625, 75_937.5, 113_906.25, 120_000, 120_000, 120_000]);
});

test("pollIntervalMs and maxPollIntervalMs shape the schedule", async () => {
  clock = mockClock();
  const fetchFn = openaiBatchApi({ polls: ["validating", "in_progress", "in_progress", "in_progress", "finalizing", { status: "completed", output_file_id: "file-out" }], files });
  const p = new OpenAIBatchChatProvider({ apiKey: "k", model: "gpt-4o", fetchFn, pollIntervalMs: 1000, maxPollIntervalMs: 3000 });
  await clock.runUntilSettled(p.chatBatch(requests));
  assert.deepEqual(pollTimes(fetchFn).waits, [1000, 1500, 2250, 3000, 3000, 3000]);
});

test("pollIntervalMs: 0 polls at once", async () => {
  clock = mockClock();
  const fetchFn = openaiBatchApi({ polls: ["in_progress", "in_progress", { status: "completed", output_file_id: "file-out" }], files });
  const p = new OpenAIBatchChatProvider({ apiKey: "k", model: "gpt-4o", fetchFn, pollIntervalMs: 0 });
  await clock.runUntilSettled(p.chatBatch(requests));
  assert.deepEqual(pollTimes(fetchFn).waits, [0, 0, 0]);
});

test("failed polls keep the schedule growing (the wait depends on the poll count)", async () => {
  clock = mockClock();
  const fetchFn = openaiBatchApi({ polls: [errorResponse(500), new Error("ECONNRESET"), "in_progress", { status: "completed", output_file_id: "file-out" }], files });
  const p = new OpenAIBatchChatProvider({ apiKey: "k", model: "gpt-4o", fetchFn, pollIntervalMs: 100 });
  await clock.runUntilSettled(p.chatBatch(requests));
  assert.deepEqual(pollTimes(fetchFn).waits, [100, 150, 225, 337.5]);
});

test("`Polling batch` logs the elapsed time since polling started", async () => {
  clock = mockClock();
  const logger = recordingLogger();
  const fetchFn = openaiBatchApi({ polls: ["in_progress", { status: "completed", output_file_id: "file-out" }], files });
  const p = new OpenAIBatchChatProvider({ apiKey: "k", model: "gpt-4o", fetchFn, logger });
  await clock.runUntilSettled(p.chatBatch(requests));
  assert.deepEqual(logger.find("Polling batch").map((l) => l[2].elapsedMs), [10_000, 25_000]);
  assert.equal(logger.find("Batch completed")[0][2].elapsedMs, 25_000);
});

test("the deadline: after the poll whose next wait would pass timeoutMs, `OpenAI batch timed out after <ms>ms`", async () => {
  clock = mockClock();
  const fetchFn = openaiBatchApi({ polls: ["in_progress"] });
  const p = new OpenAIBatchChatProvider({ apiKey: "k", model: "gpt-4o", fetchFn, timeoutMs: 60_000 });
  const outcome = await clock.runUntilSettled(p.chatBatch(requests));
  assert.equal(outcome.error?.message, "OpenAI batch timed out after 60000ms");
  assert.ok(outcome.error instanceof Error);
  // Polls at 10 s, 25 s and 47.5 s; the next would be at 81.25 s > 60 s, so it stops at 47.5 s.
  const { polls } = pollTimes(fetchFn);
  const create = fetchFn.calls[1].at;
  assert.deepEqual(polls.map((c) => c.at - create), [10_000, 25_000, 47_500]);
  assert.equal(Date.now() - create, 47_500);
});

test("the default deadline is 24 h", async () => {
  clock = mockClock();
  const fetchFn = openaiBatchApi({ polls: ["in_progress"] });
  const p = new OpenAIBatchChatProvider({ apiKey: "k", model: "gpt-4o", fetchFn });
  const outcome = await clock.runUntilSettled(p.chatBatch(requests), 5000);
  assert.equal(outcome.error?.message, "OpenAI batch timed out after 86400000ms");
  const { polls } = pollTimes(fetchFn);
  const create = fetchFn.calls[1].at;
  const last = polls.at(-1).at - create;
  assert.ok(last <= 86_400_000 && last + 120_000 > 86_400_000, String(last));
  // 7 growing waits (321 718.75 ms), then 717 waits of 120 s.
  assert.equal(polls.length, 724);
});

test("transient errors near the deadline also time out", async () => {
  clock = mockClock();
  const fetchFn = openaiBatchApi({ polls: ["in_progress", errorResponse(503), errorResponse(503)] });
  const p = new OpenAIBatchChatProvider({ apiKey: "k", model: "gpt-4o", fetchFn, pollIntervalMs: 1000, timeoutMs: 3000 });
  const outcome = await clock.runUntilSettled(p.chatBatch(requests));
  assert.equal(outcome.error?.message, "OpenAI batch timed out after 3000ms");
  assert.equal(pollTimes(fetchFn).polls.length, 2);
});

test("a resumed batch's deadline counts from the resume", async () => {
  clock = mockClock();
  const fetchFn = openaiBatchApi({ batchId: "batch_old", polls: ["in_progress"] });
  const p = new OpenAIBatchChatProvider({ apiKey: "k", model: "gpt-4o", fetchFn, pollIntervalMs: 1000, timeoutMs: 5000 });
  const start = Date.now();
  const outcome = await clock.runUntilSettled(p.chatBatch(requests, { existingBatchId: "batch_old" }));
  assert.equal(outcome.error?.message, "OpenAI batch timed out after 5000ms");
  assert.deepEqual(fetchFn.calls.map((c) => c.at - start), [1000, 2500, 4750]);
});

test("Anthropic batches use the same schedule and deadline", async () => {
  clock = mockClock();
  let fetchFn = anthropicBatchApi({ polls: ["in_progress", "in_progress", "ended"], results: jsonl(claudeSucceeded("a", {}), claudeSucceeded("b", {})) });
  let p = new AnthropicBatchChatProvider({ apiKey: "k", model: "claude-sonnet-4-5", fetchFn, pollIntervalMs: 2000, maxPollIntervalMs: 4000 });
  const outcome = await clock.runUntilSettled(p.chatBatch(requests));
  assert.ok(outcome.value, String(outcome.error));
  const create = fetchFn.calls[0].at;
  const polls = fetchFn.calls.filter((c) => c.url.endsWith("/msgbatch_01abc"));
  assert.deepEqual(polls.map((c) => c.at - create), [2000, 5000, 9000]);

  fetchFn = anthropicBatchApi({ polls: ["in_progress"] });
  p = new AnthropicBatchChatProvider({ apiKey: "k", model: "claude-sonnet-4-5", fetchFn, timeoutMs: 30_000 });
  const timedOut = await clock.runUntilSettled(p.chatBatch(requests));
  assert.equal(timedOut.error?.message, "Anthropic batch timed out after 30000ms");
});
