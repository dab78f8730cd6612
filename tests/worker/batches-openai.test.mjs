// OpenAI batches through the Worker, driven by real cron runs (contract §2, §4, §4.1): upload
// and create before the 202, polls one step per run, results downloaded, stored and read back
// in input order, every way a batch or an item can end, and poll failures retried.
import { test, before, after, beforeEach } from "node:test";
import assert from "node:assert/strict";
import { startWorker, cronUntilDone, createBatch, requests, allResults, errorMessage, OPENAI_KEY, CLOSE_AFTER_MS } from "./support/worker.mjs";

let w;
before(async () => { w = await startWorker(); });
after(async () => { await w?.close(); });
beforeEach(() => { w.fake.reset(); });

const polls = (upstream) => w.fake.requests.filter((r) => r.method === "GET" && r.path === `/openai/v1/batches/${upstream}`);
const MINUTE = 60_000;
const user = (content) => [{ role: "user", content }];

test("the lifecycle: upload and create before the 202, statuses through cron, results in input order", async () => {
  const reqs = requests(5);
  const created = await createBatch(w, { requests: reqs });
  assert.match(created.id, /^eb_[0-9a-f]{24}$/, "the gateway's own id, not upstream's");
  assert.deepEqual(
    { ...created, createdAt: undefined },
    { id: created.id, status: "validating", provider: "openai", model: "gpt-4o-mini", requestCounts: { total: 5, completed: 0, failed: 0 }, createdAt: undefined },
  );
  assert.ok(!Number.isNaN(Date.parse(created.createdAt)));
  // The reference's upload: JSONL as multipart, purpose=batch, batch-input.jsonl; then the create.
  const [upload, create] = w.fake.requests;
  assert.equal(`${upload.method} ${upload.path}`, "POST /openai/v1/files");
  assert.equal(upload.headers.authorization, `Bearer ${OPENAI_KEY}`);
  assert.equal(upload.multipart.fields.purpose, "batch");
  const [file] = upload.multipart.files;
  assert.equal(file.filename, "batch-input.jsonl");
  const lines = file.content.trim().split("\n").map((l) => JSON.parse(l));
  assert.deepEqual(lines.map((l) => [l.custom_id, l.method, l.url, l.body.model]), reqs.map((r) => [r.id, "POST", "/v1/chat/completions", "gpt-4o-mini"]));
  assert.deepEqual(lines[0].body.response_format, { type: "json_object" });
  assert.equal(`${create.method} ${create.path}`, "POST /openai/v1/batches");
  assert.match(create.json.input_file_id, /^file-/);
  // The gateway's id goes along as metadata: a create whose answer is lost can be found by it.
  assert.deepEqual(create.json, { input_file_id: create.json.input_file_id, endpoint: "/v1/chat/completions", completion_window: "24h", metadata: { edge_llm_id: created.id } });

  const seen = [];
  for (let i = 0; i < 10; i++) {
    await w.cron();
    const s = (await w.api("GET", `/v1/batches/${created.id}`)).json;
    if (seen.at(-1) !== s.status) seen.push(s.status);
    if (s.status === "completed") break;
  }
  // The first run's poll already finds it in progress; upstream's finalizing shows too.
  assert.deepEqual(seen, ["in_progress", "finalizing", "completed"]);
  const status = (await w.api("GET", `/v1/batches/${created.id}`)).json;
  assert.deepEqual(status.requestCounts, { total: 5, completed: 5, failed: 0 });
  assert.ok(Date.parse(status.updatedAt) >= Date.parse(status.createdAt));
  assert.ok(!("error" in status));
  const { results } = await allResults(w, created.id);
  assert.deepEqual(results.map((r) => r.id), reqs.map((r) => r.id));
  results.forEach((r, i) => {
    assert.deepEqual(r.response, { echo: `json please ${i}`, model: "gpt-4o-mini" });
    assert.ok(r.usage.inputTokens > 0 && r.usage.outputTokens > 0);
    assert.ok(!("error" in r));
  });
  const openKey = (await w.dumpKv()).map((k) => k.key).find((k) => k.startsWith("open:") && k.endsWith(created.id));
  assert.ok(openKey, "an ended batch stays listed a while (an overlapping run may still write)");
  await w.cron(Date.now() + CLOSE_AFTER_MS + MINUTE);
  const keys = (await w.dumpKv()).map((k) => k.key);
  assert.ok(!keys.includes(openKey), "then it leaves the open index");
  assert.equal((await w.api("GET", `/v1/batches/${created.id}`)).json.status, "completed");
});

test("per-item errors: upstream status, invalid JSON, truncation, refusal, error file", async () => {
  const reqs = [
    { id: "ok", messages: user("json fine") },
    { id: "bad", messages: user("json [[status:400]]") },
    { id: "limit", messages: user("json [[status:429]]") },
    { id: "prose", messages: user("json [[invalid-json]]") },
    { id: "cut", messages: user("json [[truncate]]") },
    { id: "no", messages: user("json [[refuse]]") },
    { id: "lost", messages: user("json [[error-file]]") },
  ];
  const { id } = await createBatch(w, { requests: reqs });
  const done = await cronUntilDone(w, id);
  assert.equal(done.status, "completed");
  assert.equal(done.requestCounts.total, 7);
  const { results } = await allResults(w, id);
  const byId = Object.fromEntries(results.map((r) => [r.id, r]));
  assert.deepEqual(results.map((r) => r.id), reqs.map((r) => r.id));
  assert.equal(byId.ok.error, undefined);
  assert.match(byId.bad.error, /status 400/);
  assert.match(byId.bad.error, /[Bb]ad request/);
  assert.match(byId.limit.error, /status 429/);
  assert.match(byId.prose.error, /^Invalid JSON: /);
  assert.ok(byId.prose.usage.outputTokens > 0, "usage is kept for an answered item");
  assert.match(byId.cut.error, /truncated/);
  assert.match(byId.no.error, /refused/);
  assert.match(byId.lost.error, /server_error/);
  for (const r of results.filter((r) => r.error)) assert.deepEqual(r.response, {});
  // Collecting logs the reference's per-item lines.
  const msgs = w.lines().map((l) => l.msg);
  assert.ok(msgs.includes("Batch item errored") && msgs.includes("Batch item returned invalid JSON"));
});

test("shuffled output and error files come back in input order", async () => {
  w.fake.configure({ shuffleOutput: true, httpErrorsInErrorFile: true, seed: 7 });
  const reqs = requests(40, (i) => (i % 7 === 3 ? " [[status:500]]" : i % 11 === 5 ? " [[error-file]]" : ""));
  const { id } = await createBatch(w, { requests: reqs });
  assert.equal((await cronUntilDone(w, id)).status, "completed");
  const { results } = await allResults(w, id);
  assert.deepEqual(results.map((r) => r.id), reqs.map((r) => r.id));
  results.forEach((r, i) => {
    if (i % 7 === 3) assert.match(r.error, /status 500/, r.id);
    else if (i % 11 === 5) assert.match(r.error, /server_error/, r.id);
    else assert.deepEqual(r.response.echo, `json please ${i}`, r.id);
  });
});

test("expired: the finished part is kept, the rest says why", async () => {
  w.fake.configure({ batchOutcome: "expired", expiredCompletedFraction: 0.5 });
  const reqs = requests(10);
  const { id } = await createBatch(w, { requests: reqs });
  const done = await cronUntilDone(w, id);
  assert.equal(done.status, "expired");
  assert.equal(done.requestCounts.total, 10);
  const { results } = await allResults(w, id);
  assert.deepEqual(results.map((r) => r.id), reqs.map((r) => r.id));
  const answered = results.filter((r) => !r.error);
  assert.equal(answered.length, 5);
  for (const r of results.filter((r) => r.error)) assert.match(r.error, /batch_expired/);
});

test("failed upstream: status failed with upstream's reason; results say the batch failed", async () => {
  w.fake.configure({ batchOutcome: "failed" });
  const { id } = await createBatch(w, { requests: requests(3) });
  const done = await cronUntilDone(w, id);
  assert.equal(done.status, "failed");
  assert.match(done.error, /token/i, JSON.stringify(done));
  const { results } = await allResults(w, id);
  assert.equal(results.length, 3);
  for (const r of results) assert.equal(r.error, "Batch failed before this request completed");
});

test("cancelled upstream: partial results, the rest marked cancelled", async () => {
  w.fake.configure({ batchOutcome: "cancelled", cancelledCompletedFraction: 0.5 });
  const { id } = await createBatch(w, { requests: requests(4) });
  const done = await cronUntilDone(w, id);
  assert.equal(done.status, "cancelled");
  const { results } = await allResults(w, id);
  assert.equal(results.filter((r) => !r.error).length, 2);
  for (const r of results.filter((r) => r.error)) assert.match(r.error, /batch_cancelled|cancelled/);
});

test("the cancel route cancels upstream; the status follows; results are what finished", async () => {
  w.fake.configure({ batchStepsToComplete: 6 });
  const { id } = await createBatch(w, { requests: requests(6) });
  await w.cron();
  await w.cron();
  const upstream = await w.upstreamId(id);
  const stored = await w.record(id);
  const cancel = await w.api("POST", `/v1/batches/${id}/cancel`);
  assert.equal(cancel.status, 200, cancel.text);
  assert.equal(cancel.json.status, "cancelling");
  assert.equal(cancel.json.id, id);
  assert.equal(w.fake.requests.filter((r) => r.path === `/openai/v1/batches/${upstream}/cancel`).length, 1);
  // The cron is the record's only writer: the route asked upstream and wrote nothing.
  assert.deepEqual(await w.record(id), stored);
  const before = await w.api("GET", `/v1/batches/${id}/results`);
  assert.equal(before.status, 409, before.text);
  const done = await cronUntilDone(w, id);
  assert.equal(done.status, "cancelled");
  const { results } = await allResults(w, id);
  assert.equal(results.length, 6);
  assert.ok(results.some((r) => r.error), "unfinished requests say so");
  const again = await w.api("POST", `/v1/batches/${id}/cancel`);
  assert.equal(again.status, 409, again.text);
  assert.match(errorMessage(again), /already cancelled/);
});

test("results before the batch ended are a 409 naming its status", async () => {
  const { id } = await createBatch(w, { requests: requests(2) });
  const r = await w.api("GET", `/v1/batches/${id}/results`);
  assert.equal(r.status, 409, r.text);
  assert.equal(r.json.error.type, "conflict");
  assert.match(errorMessage(r), /validating/);
});

test("5xx while polling are retried, the status showing the last error meanwhile (§4.1)", async () => {
  const { id } = await createBatch(w, { requests: requests(3) });
  const upstream = await w.upstreamId(id);
  w.fake.configure({ faults: [{ method: "GET", path: `/batches/${upstream}$`, status: 500, times: 4 }] });
  await w.cron();
  const failing = (await w.api("GET", `/v1/batches/${id}`)).json;
  assert.equal(failing.status, "validating");
  assert.match(failing.lastError.message, /^OpenAI batch poll error: 500 /);
  assert.equal(failing.lastError.attempts, 1);
  assert.ok(Date.parse(failing.lastError.since) > 0 && Date.parse(failing.lastError.retryAt) >= Date.parse(failing.lastError.since));
  const done = await cronUntilDone(w, id);
  assert.equal(done.status, "completed");
  assert.equal(done.lastError, undefined, "a good poll clears it");
  assert.ok(w.lines().some((l) => l.msg === "Poll failed; retrying" && l.batchId === id));
  assert.equal((await allResults(w, id)).results.length, 3);
});

test("a 429 is retried no sooner than its retry-after, and dropped connections like any failure", async () => {
  const { id } = await createBatch(w, { requests: requests(2) });
  const upstream = await w.upstreamId(id);
  w.fake.configure({ faults: [{ method: "GET", path: `/batches/${upstream}$`, status: 429, headers: { "retry-after": "300" }, times: 1 }] });
  const t0 = Date.now();
  await w.cron(t0);
  assert.equal(polls(upstream).length, 1);
  await w.cron(t0 + 2 * MINUTE);
  await w.cron(t0 + 4 * MINUTE);
  assert.equal(polls(upstream).length, 1, "retry-after: 300 keeps it waiting five minutes");
  // Dropped connections, run after run: it waits (workerd may retry a dropped GET itself,
  // so the count of attempts is not asserted, only that none ends the batch).
  w.fake.configure({ faults: [{ method: "GET", path: `/batches/${upstream}$`, drop: true }] });
  for (let i = 6; i < 16; i++) await w.cron(t0 + i * MINUTE);
  const status = (await w.api("GET", `/v1/batches/${id}`)).json;
  assert.equal(status.status, "validating", JSON.stringify(status));
  assert.ok(status.lastError.attempts >= 6, JSON.stringify(status));
  assert.ok(Math.abs(Date.parse(status.lastError.since) - t0) < 1000, "the streak runs from the 429");
  w.fake.configure({ faults: [] });
  let done;
  for (let i = 16; i < 120 && !done; i++) {
    await w.cron(t0 + i * MINUTE);
    const s = (await w.api("GET", `/v1/batches/${id}`)).json;
    if (s.status === "completed") done = s;
  }
  assert.ok(done, "it completes once upstream answers again");
});

test("failures that last six hours without a break end the batch, whatever they are", async () => {
  const { id } = await createBatch(w, { requests: requests(2) });
  const upstream = await w.upstreamId(id);
  w.fake.configure({ faults: [{ method: "GET", path: `/batches/${upstream}$`, status: 503 }] });
  const t0 = Date.now();
  let status;
  for (let t = t0; t < t0 + 7 * 3_600_000; t += 10 * MINUTE) {
    await w.cron(t);
    status = (await w.api("GET", `/v1/batches/${id}`)).json;
    if (t < t0 + 6 * 3_600_000 - 20 * MINUTE) assert.equal(status.status, "validating", `at ${(t - t0) / MINUTE} min`);
  }
  assert.equal(status.status, "failed");
  assert.match(status.error, /^OpenAI batch: polls failed without a break for 6h/);
  assert.match(status.error, /503/);
  const { results } = await allResults(w, id);
  for (const r of results) assert.equal(r.error, "Batch failed before this request completed");
});

test("a 404 while polling fails the batch at once: upstream says it does not exist", async () => {
  const { id } = await createBatch(w, { requests: requests(2) });
  const upstream = await w.upstreamId(id);
  w.fake.configure({ faults: [{ method: "GET", path: `/batches/${upstream}$`, status: 404 }] });
  const done = await cronUntilDone(w, id);
  assert.equal(done.status, "failed");
  assert.match(done.error, /^OpenAI batch poll error: 404 /);
  assert.equal(polls(upstream).length, 1);
});

test("a download cut half way is tried again on the next run; nothing is lost or doubled", async () => {
  w.fake.configure({ outputPadBytes: 2000 });
  const reqs = requests(60);
  const { id } = await createBatch(w, { requests: reqs });
  w.fake.configure({ faults: [{ method: "GET", path: "/files/.*/content", dropAfterBytes: 50_000, times: 1 }] });
  const done = await cronUntilDone(w, id);
  assert.equal(done.status, "completed");
  assert.ok(w.lines().some((l) => l.msg === "collecting results failed; trying again later" && l.batchId === id), "the cut was seen");
  assert.equal(w.fake.requests.filter((r) => /\/files\/.*\/content$/.test(r.path)).length, 2);
  const { results } = await allResults(w, id);
  assert.deepEqual(results.map((r) => r.id), reqs.map((r) => r.id));
  assert.ok(results.every((r) => !r.error), JSON.stringify(results.find((r) => r.error)));
});

test("downloads that keep failing are retried with backoff, and end the batch only after six hours", async () => {
  const { id } = await createBatch(w, { requests: requests(2) });
  w.fake.configure({ faults: [{ method: "GET", path: "/files/.*/content", status: 500, headers: { "retry-after-ms": "5" } }] });
  const t0 = Date.now();
  let status;
  // About five runs to complete upstream, then every download fails.
  for (let t = t0; t < t0 + 8 * 3_600_000; t += 15 * MINUTE) {
    await w.cron(t);
    status = (await w.api("GET", `/v1/batches/${id}`)).json;
    if (t < t0 + 6 * 3_600_000) assert.notEqual(status.status, "failed", `at ${(t - t0) / MINUTE} min`);
  }
  assert.equal(status.status, "failed");
  assert.match(status.error, /polls failed without a break for 6h.*OpenAI file download error: 500 /);
});

test("a one-request batch is answered by the sync call: 202 completed at once", async () => {
  const [only] = requests(1);
  const r = await w.api("POST", "/v1/batches", { body: { requests: [only] } });
  assert.equal(r.status, 202, r.text);
  assert.equal(r.json.status, "completed");
  assert.match(r.json.id, /^eb_[0-9a-f]{24}$/);
  assert.deepEqual(r.json.requestCounts, { total: 1, completed: 1, failed: 0 });
  assert.deepEqual(w.fake.requests.map((q) => q.path), ["/openai/v1/chat/completions"]);
  const status = await w.api("GET", `/v1/batches/${r.json.id}`);
  assert.equal(status.json.status, "completed");
  const results = await w.api("GET", `/v1/batches/${r.json.id}/results`);
  assert.equal(results.status, 200, results.text);
  assert.deepEqual(results.json.results.map((x) => [x.id, x.response.echo]), [["r0", "json please 0"]]);
  assert.equal(results.json.next, undefined);
  const cancel = await w.api("POST", `/v1/batches/${r.json.id}/cancel`);
  assert.equal(cancel.status, 409, cancel.text);
  await w.cron();
  assert.deepEqual(w.fake.requests.map((q) => q.path), ["/openai/v1/chat/completions"], "cron has nothing to do for it");
});

test("a one-request batch whose call fails is completed with the item's error", async () => {
  const r = await w.api("POST", "/v1/batches", { body: { requests: [{ id: "x", messages: user("json [[status:400]]") }] } });
  assert.equal(r.status, 202, r.text);
  assert.deepEqual([r.json.status, r.json.requestCounts], ["completed", { total: 1, completed: 0, failed: 1 }]);
  const results = await w.api("GET", `/v1/batches/${r.json.id}/results`);
  assert.match(results.json.results[0].error, /^OpenAI chat error: 400 /);
});

test("an upload or create that fails is a 502 and leaves nothing behind", async () => {
  const before = (await w.dumpKv()).map((k) => k.key);
  w.fake.configure({ faults: [{ method: "POST", path: "/files$", status: 400 }] });
  const upload = await w.api("POST", "/v1/batches", { body: { requests: requests(2) } });
  assert.equal(upload.status, 502, upload.text);
  assert.match(errorMessage(upload), /^OpenAI file upload error: 400 /);
  w.fake.reset();
  w.fake.configure({ faults: [{ method: "POST", path: "/batches$", status: 400 }] });
  const create = await w.api("POST", "/v1/batches", { body: { requests: requests(2) } });
  assert.equal(create.status, 502, create.text);
  assert.match(errorMessage(create), /^OpenAI batch create error: 400 /);
  assert.equal(create.json.error.upstreamStatus, 400);
  assert.equal(create.json.error.batchId, undefined, "nothing was created: there is nothing to follow");
  const added = (await w.dumpKv()).map((k) => k.key).filter((k) => !before.includes(k));
  assert.deepEqual(added, [], "the intent and its ids are gone");
});

test("request ids with odd characters survive the round trip (OpenAI takes any string)", async () => {
  const odd = ["a/b", "x:y:z", "é-ü", "quote\"d", "back\\slash", "  spaced  ", "🙂", "line\nbreak", "<tag>", "batch:evil:ids:0", "x".repeat(512)];
  const reqs = odd.map((id, i) => ({ id, messages: user(`json ${i}`) }));
  const { id } = await createBatch(w, { requests: reqs });
  assert.equal((await cronUntilDone(w, id)).status, "completed");
  const { results } = await allResults(w, id);
  assert.deepEqual(results.map((r) => r.id), odd);
  results.forEach((r, i) => assert.equal(r.response.echo, `json ${i}`, JSON.stringify(r.id)));
});

test("completed without any result file: failed, saying so", async () => {
  w.fake.configure({ outputWithoutFile: true });
  const { id } = await createBatch(w, { requests: requests(2) });
  const done = await cronUntilDone(w, id);
  assert.equal(done.status, "failed");
  assert.equal(done.error, "OpenAI batch completed but no output_file_id");
  const { results } = await allResults(w, id);
  assert.deepEqual(results.map((r) => r.error), ["Batch failed before this request completed", "Batch failed before this request completed"]);
});

test("creating the batch is not repeated after a 5xx: a retry could start a second, billed batch", async () => {
  w.fake.reset();
  w.fake.configure({ faults: [{ method: "POST", path: "/batches$", status: 502, times: 1 }] });
  const r = await w.api("POST", "/v1/batches", { body: { requests: requests(2) } });
  assert.equal(r.status, 502, r.text);
  assert.equal(r.json.error.upstreamStatus, 502);
  // It may have gone through: the client gets the id to follow, and the cron settles it.
  assert.match(r.json.error.batchId, /^eb_/);
  assert.match(errorMessage(r), /may still have been created upstream/);
  const creates = w.fake.requests.filter((q) => q.method === "POST" && /\/batches$/.test(q.path));
  assert.equal(creates.length, 1);
  // A 429 says upstream refused the call, so that one is retried.
  w.fake.reset();
  w.fake.configure({ faults: [{ method: "POST", path: "/batches$", status: 429, headers: { "retry-after-ms": "10" }, times: 1 }] });
  const ok = await w.api("POST", "/v1/batches", { body: { requests: requests(2) } });
  assert.equal(ok.status, 202, ok.text);
  assert.equal(w.fake.requests.filter((q) => q.method === "POST" && /\/batches$/.test(q.path)).length, 2);
});
