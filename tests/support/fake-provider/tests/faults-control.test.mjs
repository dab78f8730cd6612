// Fault injection, the HTTP control API, CORS and the CLI.

import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { anthropicHeaders, call, chatLine, createOpenAIBatch, openaiHeaders, useFake } from "./helpers.mjs";

const ctx = useFake();
const chatBody = { model: "gpt-4o", messages: [{ role: "user", content: "json please" }], response_format: { type: "json_object" } };
const chat = () => call(`${ctx.fake.openaiBaseUrl}/chat/completions`, { method: "POST", headers: openaiHeaders, body: chatBody });

test("429 with retry-after headers for `times` requests, in each provider's shape, then healthy", async () => {
  ctx.fake.configure({
    faults: [
      { path: "/chat/completions$", status: 429, headers: { "retry-after": "2", "retry-after-ms": "1500" }, times: 2 },
      { path: "^/anthropic/", status: 429, times: 1 },
    ],
  });
  for (let i = 0; i < 2; i++) {
    const r = await chat();
    assert.equal(r.status, 429);
    assert.equal(r.headers.get("retry-after"), "2");
    assert.equal(r.headers.get("retry-after-ms"), "1500");
    assert.equal(r.json.error.code, "rate_limit_exceeded");
  }
  assert.equal((await chat()).status, 200);
  const a = await call(`${ctx.fake.anthropicBaseUrl}/messages`, { method: "POST", headers: anthropicHeaders, body: {} });
  assert.equal(a.status, 429);
  assert.equal(a.json.error.type, "rate_limit_error");
  assert.equal(ctx.fake.requests.length, 4, "faulted requests are recorded too");
  assert.deepEqual((await ctx.fake.state()).scenario.faults.map((f) => f.remaining), [0, 0]);
});

test("custom fault bodies, method filter, unlimited times", async () => {
  ctx.fake.configure({
    faults: [
      { method: "GET", path: "/models/", status: 503, body: "upstream connect error" },
      { method: "POST", path: "/embeddings", status: 500, body: { error: { message: "custom", type: "server_error", param: null, code: null } } },
    ],
  });
  for (let i = 0; i < 3; i++) {
    const r = await call(`${ctx.fake.openaiBaseUrl}/models/gpt-4o`, { headers: openaiHeaders });
    assert.equal(r.status, 503);
    assert.equal(r.text, "upstream connect error");
  }
  const e = await call(`${ctx.fake.openaiBaseUrl}/embeddings`, { method: "POST", headers: openaiHeaders, body: { model: "m", input: "x" } });
  assert.equal(e.json.error.message, "custom");
  assert.equal((await chat()).status, 200);
});

test("drop destroys the connection; 5xx and drops during polls do not advance the batch", async () => {
  ctx.fake.configure({ faults: [{ path: "/chat/completions", drop: true, times: 1 }] });
  await assert.rejects(chat(), (err) => err instanceof TypeError);
  assert.equal((await chat()).status, 200);

  const b = await createOpenAIBatch(ctx.fake, [chatLine("a", "a"), chatLine("b", "b")]);
  ctx.fake.configure({
    faults: [
      { method: "GET", path: "/batches/batch_", status: 500, times: 3 },
      { method: "GET", path: "/batches/batch_", drop: true, times: 1 },
    ],
  });
  const poll = () => call(`${ctx.fake.openaiBaseUrl}/batches/${b.id}`, { headers: openaiHeaders });
  for (let i = 0; i < 3; i++) {
    const r = await poll();
    assert.equal(r.status, 500);
    assert.equal(r.json.error.type, "server_error");
  }
  await assert.rejects(poll());
  assert.equal((await poll()).json.status, "in_progress", "faulted polls did not move the batch");
});

test("delayMs: slow answers for timeout tests; the server still closes promptly", async () => {
  ctx.fake.configure({ faults: [{ path: "/chat/completions", delayMs: 150, times: 1 }, { path: "/embeddings", delayMs: 60_000 }] });
  const t0 = Date.now();
  assert.equal((await chat()).status, 200);
  assert.ok(Date.now() - t0 >= 140, "answer was delayed");
  await assert.rejects(
    fetch(`${ctx.fake.openaiBaseUrl}/embeddings`, { method: "POST", headers: openaiHeaders, body: "{}", signal: AbortSignal.timeout(100) }),
    (err) => err.name === "TimeoutError",
  );
  // a request left hanging in a 60 s delay must not keep close() (the after hook) waiting
});

test("dropAfterBytes cuts a download half way", async () => {
  ctx.fake.configure({ batchStepsToComplete: 1 });
  const b = await createOpenAIBatch(ctx.fake, Array.from({ length: 50 }, (_, i) => chatLine(`r${i}`, `q${i}`)));
  let done;
  for (let i = 0; i < 3; i++) done = (await call(`${ctx.fake.openaiBaseUrl}/batches/${b.id}`, { headers: openaiHeaders })).json;
  assert.equal(done.status, "completed");
  ctx.fake.configure({ faults: [{ path: "/content$", dropAfterBytes: 1000, times: 1 }] });
  const res = await fetch(`${ctx.fake.openaiBaseUrl}/files/${done.output_file_id}/content`, { headers: openaiHeaders });
  assert.equal(res.status, 200);
  await assert.rejects(res.text());
  const full = await call(`${ctx.fake.openaiBaseUrl}/files/${done.output_file_id}/content`, { headers: openaiHeaders });
  assert.equal(full.text.split("\n").filter(Boolean).length, 50);
});

test("control API over HTTP: configure, requests, state, advance, reset", async () => {
  const url = ctx.fake.url;
  const post = (name, body) => call(`${url}/__control/${name}`, { method: "POST", headers: { "content-type": "application/json" }, body });
  const conf = await post("configure", { batchStepsToComplete: 1, advanceOnGet: false });
  assert.equal(conf.status, 200);
  assert.equal(conf.json.scenario.batchStepsToComplete, 1);
  assert.ok(!JSON.stringify(conf.json).includes("sk-test"), "keys are not echoed");
  const typo = await post("configure", { batchStepsToComplet: 1 });
  assert.equal(typo.status, 400);
  assert.match(typo.json.error.message, /unknown scenario key 'batchStepsToComplet'/);
  assert.equal((await post("configure", { batchOutcome: "exploded" })).status, 400);
  assert.equal((await post("configure", { faults: [{ path: "(" }] })).status, 400);
  assert.throws(() => ctx.fake.configure({ nope: 1 }), /unknown scenario key/);

  const b = await createOpenAIBatch(ctx.fake, [chatLine("a", "a"), chatLine("b", "b")]);
  await chat();
  const reqs = await call(`${url}/__control/requests?path=/chat/`);
  assert.equal(reqs.json.length, 1);
  assert.equal(reqs.json[0].json.model, "gpt-4o");
  const all = (await call(`${url}/__control/requests`)).json;
  assert.ok(all.every((r) => !r.path.startsWith("/__control")), "control calls are not recorded");
  assert.equal(all[0].multipart.files[0].filename, "batch-input.jsonl");
  assert.equal(typeof all[0].receivedAt, "number");

  const adv = await post("advance");
  assert.equal(adv.json.batches[0].id, b.id);
  assert.equal(adv.json.batches[0].status, "in_progress");
  await post("advance");
  await post("advance");
  const state = (await call(`${url}/__control/state`)).json;
  assert.equal(state.batches[0].status, "completed");
  assert.equal(state.files.length, 2);
  assert.equal(state.files[1].purpose, "batch_output");

  assert.deepEqual((await post("reset")).json, { ok: true });
  const after = (await call(`${url}/__control/state`)).json;
  assert.deepEqual([after.files, after.batches, after.messageBatches], [[], [], []]);
  assert.equal(after.scenario.batchStepsToComplete, 3);
  assert.equal(ctx.fake.requests.length, 0);
  assert.equal((await call(`${url}/__control/nope`)).status, 404);
});

test("CORS: preflight answered (not recorded), responses readable cross-origin", async () => {
  const pre = await fetch(`${ctx.fake.openaiBaseUrl}/chat/completions`, {
    method: "OPTIONS",
    headers: {
      origin: "http://localhost:5173",
      "access-control-request-method": "POST",
      "access-control-request-headers": "authorization,content-type",
      "access-control-request-private-network": "true",
    },
  });
  assert.equal(pre.headers.get("access-control-allow-private-network"), "true");
  assert.equal(pre.status, 204);
  assert.equal(pre.headers.get("access-control-allow-origin"), "*");
  assert.equal(pre.headers.get("access-control-allow-headers"), "authorization,content-type");
  assert.equal(ctx.fake.requests.length, 0);
  const r = await chat();
  assert.equal(r.headers.get("access-control-allow-origin"), "*");
  assert.match(r.headers.get("access-control-expose-headers"), /retry-after/);
});

test("CLI prints its URLs as one JSON line, serves, logs without keys, stops on SIGTERM", async () => {
  const cli = fileURLToPath(new URL("../cli.mjs", import.meta.url));
  const child = spawn(process.execPath, [cli, "--port", "0"], { env: { ...process.env, FAKE_PROVIDER_DEBUG: "1" }, stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (d) => (stderr += d));
  const [first] = await once(child.stdout, "data");
  const urls = JSON.parse(first.toString().split("\n")[0]);
  assert.deepEqual(Object.keys(urls), ["url", "openaiBaseUrl", "anthropicBaseUrl", "ollamaUrl"]);
  assert.match(urls.url, /^http:\/\/127\.0\.0\.1:\d+$/);
  assert.equal(urls.openaiBaseUrl, `${urls.url}/openai/v1`);
  const r = await call(`${urls.openaiBaseUrl}/models/gpt-4o`, { headers: openaiHeaders });
  assert.equal(r.status, 200);
  const tags = await call(`${urls.ollamaUrl}/api/tags`);
  assert.equal(tags.json.models.length, 2);
  child.kill("SIGTERM");
  const [code] = await once(child, "exit");
  assert.equal(code, 0);
  assert.match(stderr, /GET \/openai\/v1\/models\/gpt-4o → 200/);
  assert.ok(!stderr.includes("sk-test"));
});
