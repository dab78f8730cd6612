// OpenAIBatchChatProvider.chatBatch's poll errors (contract §2, step 3): one counter of
// consecutive failures, reset by any OK poll; three 5xx pass, four network errors fail.
import { test } from "node:test";
import assert from "node:assert/strict";
import { errorResponse, recordingLogger } from "./support/doubles.mjs";
import { jsonl, okLine, openaiBatchApi } from "./support/batch-doubles.mjs";
import { BATCH, completed, provider, requests } from "./support/openai-batch.mjs";

test("three 5xx polls in a row pass (logged `Transient poll error`); the result still comes", async () => {
  const fetchFn = openaiBatchApi({
    polls: [errorResponse(500), errorResponse(502), errorResponse(503), completed()],
    files: { "file-out": jsonl(okLine("a", {}), okLine("b", {})) },
  });
  const logger = recordingLogger();
  const results = await provider(fetchFn, { logger }).chatBatch(requests("a", "b"));
  assert.equal(results.length, 2);
  assert.deepEqual(
    logger.find("Transient poll error").map((l) => [l[0], l[2]]),
    [
      ["warn", { batchId: BATCH, status: 500, consecutiveErrors: 1 }],
      ["warn", { batchId: BATCH, status: 502, consecutiveErrors: 2 }],
      ["warn", { batchId: BATCH, status: 503, consecutiveErrors: 3 }],
    ],
  );
});

test("the fourth 5xx in a row throws `OpenAI batch poll error: <status> <statusText>`", async () => {
  const fetchFn = openaiBatchApi({ polls: [errorResponse(500), errorResponse(500), errorResponse(500), errorResponse(503), completed()] });
  await assert.rejects(provider(fetchFn).chatBatch(requests("a", "b")), { message: "OpenAI batch poll error: 503 Service Unavailable" });
  assert.equal(fetchFn.polls(), 4);
});

test("a non-5xx poll error throws at once", async () => {
  const fetchFn = openaiBatchApi({ polls: [errorResponse(404), completed()] });
  await assert.rejects(provider(fetchFn).chatBatch(requests("a", "b")), { message: "OpenAI batch poll error: 404 Not Found" });
  assert.equal(fetchFn.polls(), 1);
});

test("network errors: three pass (logged), the fourth throws `… after 4 consecutive errors: <msg>`", async () => {
  const logger = recordingLogger();
  const fetchFn = openaiBatchApi({
    polls: [new Error("ECONNRESET"), new Error("ECONNRESET"), new Error("ECONNRESET"), new Error("socket hang up"), completed()],
  });
  await assert.rejects(provider(fetchFn, { logger }).chatBatch(requests("a", "b")), {
    message: "OpenAI batch poll failed after 4 consecutive errors: socket hang up",
  });
  assert.equal(fetchFn.polls(), 4);
  assert.deepEqual(
    logger.find("Transient poll error (network)").map((l) => [l[0], l[2]]),
    [1, 2, 3].map((n) => ["warn", { batchId: BATCH, consecutiveErrors: n, error: "ECONNRESET" }]),
  );
});

test("three network errors, then an OK poll: the batch goes on", async () => {
  const fetchFn = openaiBatchApi({
    polls: [new Error("ECONNRESET"), new Error("ECONNRESET"), new Error("ECONNRESET"), completed()],
    files: { "file-out": jsonl(okLine("a", {}), okLine("b", {})) },
  });
  assert.equal((await provider(fetchFn).chatBatch(requests("a", "b"))).length, 2);
});

test("one counter for both kinds: any OK poll resets it", async () => {
  const err = () => new Error("ECONNRESET");
  const fetchFn = openaiBatchApi({
    polls: [errorResponse(500), errorResponse(500), errorResponse(500), "in_progress", err(), err(), err(), "in_progress", errorResponse(502), err(), errorResponse(500), completed()],
    files: { "file-out": jsonl(okLine("a", {}), okLine("b", {})) },
  });
  assert.equal((await provider(fetchFn).chatBatch(requests("a", "b"))).length, 2);
  assert.equal(fetchFn.polls(), 12);
});

test("three 5xx then a network error is the fourth consecutive error", async () => {
  const fetchFn = openaiBatchApi({ polls: [errorResponse(500), errorResponse(500), errorResponse(500), new Error("ETIMEDOUT"), completed()] });
  await assert.rejects(provider(fetchFn).chatBatch(requests("a", "b")), { message: "OpenAI batch poll failed after 4 consecutive errors: ETIMEDOUT" });
});

test("two network errors then two 5xx: the second 5xx finds the counter at 3 and throws", async () => {
  const fetchFn = openaiBatchApi({ polls: [new Error("x"), new Error("x"), errorResponse(500), errorResponse(500), completed()] });
  await assert.rejects(provider(fetchFn).chatBatch(requests("a", "b")), { message: "OpenAI batch poll error: 500 Internal Server Error" });
  assert.equal(fetchFn.polls(), 4);
});

test("requestTimeoutMs applies to polls: a hanging poll is a network error", async () => {
  const hang = () => new Promise(() => {});
  const fetchFn = openaiBatchApi({ polls: [hang, hang, hang, hang] });
  await assert.rejects(provider(fetchFn, { requestTimeoutMs: 20 }).chatBatch(requests("a", "b")), (err) => {
    assert.match(err.message, /^OpenAI batch poll failed after 4 consecutive errors: .*timed out after 20ms$/);
    return true;
  });
});
