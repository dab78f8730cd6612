// Anthropic Message Batches through the Worker, driven by real cron runs (contract §2, §4):
// one create call with the requests inline, `ended` mapped to one status vocabulary, result
// lines `succeeded` / `errored` / `canceled` / `expired` read back in input order.
import { test, before, after, beforeEach } from "node:test";
import assert from "node:assert/strict";
import { startWorker, cronUntilDone, createBatch, requests, allResults, errorMessage, ANTHROPIC_KEY } from "./support/worker.mjs";

let w;
before(async () => { w = await startWorker({ vars: { LLM_PROVIDER: "anthropic", LLM_MODEL: "claude-sonnet-4-5" } }); });
after(async () => { await w?.close(); });
beforeEach(() => { w.fake.reset(); });

const user = (content) => [{ role: "user", content }];

test("the lifecycle: one create, polls through cron, results in input order", async () => {
  const reqs = requests(6).map((r) => ({ ...r, messages: [{ role: "system", content: "Be brief." }, ...r.messages] }));
  const created = await createBatch(w, { requests: reqs });
  assert.match(created.id, /^eb_[0-9a-f]{24}$/);
  assert.match(await w.upstreamId(created.id), /^msgbatch_/);
  assert.deepEqual([created.provider, created.model, created.status], ["anthropic", "claude-sonnet-4-5", "in_progress"]);
  const [create] = w.fake.requests;
  assert.equal(`${create.method} ${create.path}`, "POST /anthropic/v1/messages/batches");
  assert.equal(create.headers["x-api-key"], ANTHROPIC_KEY);
  assert.equal(create.headers["anthropic-version"], "2023-06-01");
  // Named after the batch upstream (Anthropic keeps no metadata); the client's ids are kept.
  assert.deepEqual(create.json.requests.map((r) => r.custom_id), reqs.map((r, i) => `${created.id}-${i}`));
  const { params } = create.json.requests[0];
  assert.equal(params.model, "claude-sonnet-4-5");
  assert.equal(params.system, "Be brief.");
  assert.deepEqual(params.messages, [{ role: "user", content: "json please 0" }]);
  assert.ok(params.max_tokens > 0);

  const done = await cronUntilDone(w, created.id);
  assert.equal(done.status, "completed");
  assert.deepEqual(done.requestCounts, { total: 6, completed: 6, failed: 0 });
  const results = w.fake.requests.filter((r) => r.path.endsWith("/results"));
  assert.equal(results.length, 1);
  assert.equal(results[0].headers["x-api-key"], ANTHROPIC_KEY, "the results URL is read with the key");
  const got = (await allResults(w, created.id)).results;
  assert.deepEqual(got.map((r) => r.id), reqs.map((r) => r.id));
  got.forEach((r, i) => assert.deepEqual(r.response, { echo: `json please ${i}`, model: "claude-sonnet-4-5" }));
});

test("errored items read `<type>: <message>`; fenced JSON is accepted; shuffled lines are put back in order", async () => {
  w.fake.configure({ shuffleOutput: true, anthropicFencedJson: true });
  const reqs = [
    ...requests(3),
    { id: "bad", messages: user("[[status:400]]") },
    { id: "busy", messages: user("[[status:529]]") },
    { id: "prose", messages: user("[[invalid-json]]") },
    { id: "cut", messages: user("[[truncate]]") },
    ...requests(3, () => "", "s"),
  ];
  const { id } = await createBatch(w, { requests: reqs });
  assert.equal((await cronUntilDone(w, id)).status, "completed");
  const got = (await allResults(w, id)).results;
  assert.deepEqual(got.map((r) => r.id), reqs.map((r) => r.id));
  const byId = Object.fromEntries(got.map((r) => [r.id, r]));
  assert.match(byId.bad.error, /^invalid_request_error: /);
  assert.match(byId.busy.error, /^overloaded_error: /);
  assert.match(byId.prose.error, /^Invalid JSON: /);
  assert.match(byId.cut.error, /truncated/);
  for (const r of ["r0", "r1", "r2", "s0", "s1", "s2"]) assert.equal(byId[r].error, undefined, r);
});

test("expired: ended with expired lines maps to status expired; finished results are kept", async () => {
  w.fake.configure({ batchOutcome: "expired", expiredCompletedFraction: 0.5 });
  const { id } = await createBatch(w, { requests: requests(8) });
  const done = await cronUntilDone(w, id);
  assert.equal(done.status, "expired");
  const got = (await allResults(w, id)).results;
  assert.equal(got.filter((r) => !r.error).length, 4);
  for (const r of got.filter((r) => r.error)) assert.equal(r.error, "Batch expired before this request completed");
});

test("no failed batches at Anthropic: outcome failed errors every request", async () => {
  w.fake.configure({ batchOutcome: "failed" });
  const { id } = await createBatch(w, { requests: requests(3) });
  const done = await cronUntilDone(w, id);
  assert.equal(done.status, "completed");
  assert.deepEqual(done.requestCounts, { total: 3, completed: 0, failed: 3 });
  for (const r of (await allResults(w, id)).results) assert.match(r.error, /^api_error: /);
});

test("the cancel route: canceling, then ended → cancelled, unfinished requests canceled", async () => {
  w.fake.configure({ batchStepsToComplete: 6 });
  const { id } = await createBatch(w, { requests: requests(6) });
  await w.cron();
  await w.cron();
  const cancel = await w.api("POST", `/v1/batches/${id}/cancel`);
  assert.equal(cancel.status, 200, cancel.text);
  assert.equal(cancel.json.status, "cancelling");
  const done = await cronUntilDone(w, id);
  assert.equal(done.status, "cancelled");
  const got = (await allResults(w, id)).results;
  assert.equal(got.length, 6);
  assert.ok(got.some((r) => !r.error) && got.some((r) => r.error === "Batch cancelled before this request completed"), JSON.stringify(got.map((r) => r.error)));
});

test("polls that fail are retried with Anthropic's prefix in lastError; a 404 ends it", async () => {
  const { id } = await createBatch(w, { requests: requests(2) });
  const upstream = await w.upstreamId(id);
  w.fake.configure({ faults: [{ method: "GET", path: `/messages/batches/${upstream}$`, status: 529, times: 6 }] });
  for (let i = 0; i < 6; i++) await w.cron();
  const failing = (await w.api("GET", `/v1/batches/${id}`)).json;
  assert.equal(failing.status, "in_progress");
  assert.match(failing.lastError.message, /^Anthropic batch poll error: 529 /);
  assert.equal((await cronUntilDone(w, id)).status, "completed");
  const second = await createBatch(w, { requests: requests(2) });
  w.fake.configure({ faults: [{ method: "GET", path: `/messages/batches/${await w.upstreamId(second.id)}$`, status: 404 }] });
  const gone = await cronUntilDone(w, second.id);
  assert.equal(gone.status, "failed");
  assert.match(gone.error, /^Anthropic batch poll error: 404 /);
});

test("a results download cut half way is retried on the next run", async () => {
  w.fake.configure({ outputPadBytes: 1500 });
  const reqs = requests(50);
  const { id } = await createBatch(w, { requests: reqs });
  w.fake.configure({ faults: [{ method: "GET", path: "/results$", dropAfterBytes: 20_000, times: 1 }] });
  assert.equal((await cronUntilDone(w, id)).status, "completed");
  const got = (await allResults(w, id)).results;
  assert.deepEqual(got.map((r) => r.id), reqs.map((r) => r.id));
  assert.ok(got.every((r) => !r.error));
});

test("ids Anthropic would reject are a 400 before anything is sent; a create 4xx is a 502", async () => {
  const r = await w.api("POST", "/v1/batches", { body: { requests: [...requests(1), { id: "no spaces", messages: user("hi") }] } });
  assert.equal(r.status, 400, r.text);
  assert.match(errorMessage(r), /^requests\[1\]\.id: "no spaces" must match/);
  assert.equal(w.fake.requests.length, 0);
  w.fake.configure({ faults: [{ method: "POST", path: "/messages/batches$", status: 413 }] });
  const create = await w.api("POST", "/v1/batches", { body: { requests: requests(2) } });
  assert.equal(create.status, 502, create.text);
  assert.match(errorMessage(create), /^Anthropic batch create error: 413 /);
});

test("an OpenAI batch can be asked for on an Anthropic gateway, and the reverse", async () => {
  const { id } = await createBatch(w, { requests: requests(2), provider: "openai", model: "gpt-4o-mini" });
  assert.match(await w.upstreamId(id), /^batch_/);
  const done = await cronUntilDone(w, id);
  assert.equal(done.status, "completed");
  assert.equal(done.provider, "openai");
});

test("results are read only from the configured origin: a results_url elsewhere never gets the key", async () => {
  // The same fake under another name: its results_url says 127.0.0.1, the gateway was told localhost.
  const other = await startWorker({
    vars: (fake) => ({ LLM_PROVIDER: "anthropic", LLM_MODEL: "claude-sonnet-4-5", ANTHROPIC_BASE_URL: fake.anthropicBaseUrl.replace("127.0.0.1", "localhost") }),
  });
  try {
    const { id } = await createBatch(other, { requests: requests(2) });
    for (let i = 0; i < 8; i++) await other.cron();
    const status = (await other.api("GET", `/v1/batches/${id}`)).json;
    assert.equal(status.status, "finalizing", JSON.stringify(status));
    assert.match(status.lastError.message, /results_url "http:\/\/127\.0\.0\.1:\d+\/anthropic\/v1\/messages\/batches\/msgbatch_\w+\/results" is not on the configured API origin/);
    assert.equal(other.fake.requests.filter((r) => r.path.endsWith("/results")).length, 0, "the key was never sent there");
  } finally {
    await other.close();
  }
});

test("a results download answered 200 with garbage is tried again, not stored as the results, however often it comes", async () => {
  const reqs = requests(4);
  const { id } = await createBatch(w, { requests: reqs });
  // Four in a row: more than a count of tries would allow (the soak met three, then a fourth).
  w.fake.configure({ faults: [{ method: "GET", path: "/results$", status: 200, body: "<html>a proxy's error page</html>", times: 4 }] });
  assert.equal((await cronUntilDone(w, id)).status, "completed");
  assert.equal(w.fake.requests.filter((r) => r.path.endsWith("/results")).length, 5);
  assert.ok(w.lines().some((l) => l.msg === "collecting results failed; trying again later" && /result lines could not be read/.test(l.error)));
  const got = (await allResults(w, id)).results;
  assert.deepEqual(got.map((r) => r.id), reqs.map((r) => r.id));
  assert.ok(got.every((r) => !r.error), JSON.stringify(got));
});
