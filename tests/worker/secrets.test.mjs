// No secret ever leaves the Worker (contract §4: "secrets never"): every route is exercised,
// including upstream errors that echo the API key back, then every response (status line,
// headers, body), every log line and every KV key and value is searched for the secrets.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startWorker, cronUntilDone, createBatch, requests, allResults } from "./support/worker.mjs";

const OPENAI = "sk-proj-SECRETopenai-7f3a9c2e1b0d";
const ANTHROPIC = "sk-ant-api03-SECRETanthropic-44d1e2";
const GATEWAY = "gw-SECRET-gateway-9b8a7c6d5e4f-0123456789";
const SECRETS = [OPENAI, ANTHROPIC, GATEWAY];

let w;
before(async () => {
  w = await startWorker({ vars: { GATEWAY_TOKEN: GATEWAY }, fakeOptions: { openaiKey: OPENAI, anthropicKey: ANTHROPIC } });
});
after(async () => { await w?.close(); });

const user = (content) => [{ role: "user", content }];
/** An upstream error body that quotes the key back, as a misconfigured proxy might. */
const echo = (key) => ({ error: { message: `Incorrect API key provided: ${key}`, type: "invalid_request_error", code: "invalid_api_key" } });

const sentKeys = new Set();
async function exercise() {
  const fake = {
    configure: (patch) => w.fake.configure(patch),
    reset() {
      for (const r of w.fake.requests) sentKeys.add(r.headers.authorization).add(r.headers["x-api-key"]);
      w.fake.reset();
    },
  };
  // Sync routes, healthy and failing.
  await w.api("GET", "/v1/health/live", { token: null });
  await w.api("GET", "/v1/health");
  await w.api("GET", "/v1/health?deep=1");
  await w.api("POST", "/v1/tokens", { body: { text: "hello" } });
  await w.api("POST", "/v1/chat", { body: { messages: user("json hi") } });
  await w.api("POST", "/v1/chat", { body: { messages: user("hi"), provider: "anthropic", model: "claude-sonnet-4-5" } });
  await w.api("POST", "/v1/chat", { body: { messages: user("json [[status:500]]") } });
  await w.api("POST", "/v1/chat", { token: "wrong", body: { messages: user("json") } });
  await w.api("POST", "/v1/chat", { token: null, body: { messages: user("json") } });
  fake.configure({ faults: [{ path: "/chat/completions", status: 401, body: echo(OPENAI) }, { path: "/messages$", status: 401, body: echo(ANTHROPIC) }, { path: "/models/", status: 401, body: echo(OPENAI) }] });
  await w.api("POST", "/v1/chat", { body: { messages: user("json") } });
  await w.api("POST", "/v1/chat", { body: { messages: user("hi"), provider: "anthropic", model: "claude-sonnet-4-5" } });
  await w.api("GET", "/v1/health");
  await w.api("GET", "/v1/health?deep=1");
  await w.api("POST", "/v1/batches", { body: { requests: [{ id: "one", messages: user("json") }] } });
  fake.reset();

  // Batches: a healthy one of each provider, with item errors.
  const ok = await createBatch(w, { requests: requests(5, (i) => (i === 2 ? " [[status:400]]" : "")) });
  const anth = await createBatch(w, { requests: requests(4, (i) => (i === 1 ? " [[status:400]]" : "")), provider: "anthropic", model: "claude-sonnet-4-5" });
  await cronUntilDone(w, ok.id);
  await cronUntilDone(w, anth.id);
  await allResults(w, ok.id);
  await allResults(w, anth.id);
  const one = await createBatch(w, { requests: requests(1) });
  await allResults(w, one.id);

  // Create failing with the key in the body.
  fake.configure({ faults: [{ method: "POST", path: "/files$", status: 401, body: echo(OPENAI), times: 1 }, { method: "POST", path: "/messages/batches$", status: 401, body: echo(ANTHROPIC), times: 1 }] });
  await w.api("POST", "/v1/batches", { body: { requests: requests(2) } });
  await w.api("POST", "/v1/batches", { body: { requests: requests(2), provider: "anthropic", model: "claude-sonnet-4-5" } });
  fake.reset();

  // Polls failing with the key in the body: retried (a revoked key may be fixed), the error
  // stored and shown as lastError meanwhile; then a 404 ends it with the error kept.
  const polled = await createBatch(w, { requests: requests(2) });
  const polledUpstream = await w.upstreamId(polled.id);
  fake.configure({ faults: [{ method: "GET", path: `/batches/${polledUpstream}$`, status: 401, body: echo(OPENAI) }] });
  for (let i = 0; i < 3; i++) await w.cron();
  const failing = await w.api("GET", `/v1/batches/${polled.id}`);
  assert.match(failing.json.lastError.message, /401.*Incorrect API key provided: \[redacted\]/);
  fake.configure({ faults: [{ method: "GET", path: `/batches/${polledUpstream}$`, status: 404, body: echo(OPENAI) }] });
  await cronUntilDone(w, polled.id);
  await allResults(w, polled.id);
  fake.reset();

  // A cancel refused with the key in the body.
  const cancelled = await createBatch(w, { requests: requests(2) });
  fake.configure({ faults: [{ method: "POST", path: "/cancel$", status: 401, body: echo(OPENAI), times: 1 }] });
  await w.api("POST", `/v1/batches/${cancelled.id}/cancel`);
  fake.reset();
  await w.api("POST", `/v1/batches/${cancelled.id}/cancel`);
  await cronUntilDone(w, cancelled.id);

  // Result lines whose errors quote the key (an output file served by a faulty proxy).
  const quoted = await createBatch(w, { requests: requests(2) });
  for (let i = 0; i < 10 && (await w.api("GET", `/v1/batches/${quoted.id}`)).json.status !== "finalizing"; i++) await w.cron();
  const line = (id) => JSON.stringify({ id: `batch_req_${id}`, custom_id: id, response: { status_code: 401, request_id: "x", body: echo(OPENAI) }, error: null });
  fake.configure({ faults: [{ method: "GET", path: "/files/.*/content", status: 200, body: `${line("r0")}\n${line("r1")}\n` }] });
  await cronUntilDone(w, quoted.id);
  await allResults(w, quoted.id);
  fake.reset();
  // Download errors with the key: retried, the message stored and shown meanwhile.
  const dl = await createBatch(w, { requests: requests(2) });
  fake.configure({ faults: [{ method: "GET", path: "/files/.*/content", status: 403, body: echo(OPENAI) }] });
  for (let i = 0; i < 8; i++) await w.cron();
  const stuck = await w.api("GET", `/v1/batches/${dl.id}`);
  assert.match(stuck.json.lastError.message, /403.*\[redacted\]/);
  fake.reset();
  return { quoted };
}

test("no response, log line or KV value contains a secret", async () => {
  const { quoted } = await exercise();
  // The secrets were really used upstream.
  assert.ok(sentKeys.has(`Bearer ${OPENAI}`) && sentKeys.has(ANTHROPIC));

  const leaks = [];
  const search = (where, text) => {
    for (const s of SECRETS) if (String(text).includes(s)) leaks.push(`${where}: ${String(text).slice(0, 300)}`);
  };
  for (const r of w.responses) {
    search(`response ${r.method} ${r.path} ${r.status}`, r.text);
    for (const [name, value] of r.headers) search(`response header ${name} of ${r.method} ${r.path}`, value);
  }
  for (const l of w.logs) search("log line", l.message);
  for (const { key, value } of await w.dumpKv()) {
    search(`KV key`, key);
    search(`KV value ${key}`, value);
  }
  assert.ok(w.responses.length > 40 && w.logs.length > 40, `${w.responses.length} responses, ${w.logs.length} log lines`);
  assert.deepEqual(leaks, []);
  // Scrubbed, not dropped: the messages still say what happened.
  const redacted = w.responses.filter((r) => r.text.includes("[redacted]"));
  assert.ok(redacted.length >= 5, `${redacted.length} answers show [redacted]`);
  const { results } = await allResults(w, quoted.id);
  assert.match(results[0].error, /status 401.*Incorrect API key provided: \[redacted\]/);
});

test("what a client sends is stored as sent: a request id holding the gateway token round-trips (scrubbed at the source, not whole values)", async () => {
  const own = await startWorker({ vars: { GATEWAY_TOKEN: GATEWAY } });
  try {
    const ids = [`with-${GATEWAY}-inside`, "plain"];
    const reqs = ids.map((id, i) => ({ id, messages: user(`json ${i}`) }));
    const { id } = await createBatch(own, { requests: reqs });
    assert.equal((await cronUntilDone(own, id)).status, "completed");
    const { results } = await allResults(own, id);
    assert.deepEqual(results.map((r) => r.id), ids);
    assert.deepEqual(results.map((r) => r.error), [undefined, undefined], "each id found its answer");
  } finally {
    await own.close();
  }
});

test("a GATEWAY_TOKEN under 32 characters is refused, naming the problem", async () => {
  const short = await startWorker({ vars: { GATEWAY_TOKEN: "x".repeat(31) } });
  try {
    const r = await short.api("POST", "/v1/tokens", { token: "x".repeat(31), body: { text: "hi" } });
    assert.equal(r.status, 503, r.text);
    assert.match(r.json.error.message, /GATEWAY_TOKEN is shorter than 32 characters/);
    assert.equal((await short.api("GET", "/v1/health/live", { token: null })).status, 200);
  } finally {
    await short.close();
  }
});
