// Auth on every /v1 route (contract §4): only `Authorization: Bearer <GATEWAY_TOKEN>`, the
// liveness probe open, and a 503 when the gateway has no token at all.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startWorker, errorMessage, GATEWAY_TOKEN } from "./support/worker.mjs";

const ROUTES = [
  ["GET", "/v1/health"],
  ["POST", "/v1/chat"],
  ["POST", "/v1/tokens"],
  ["POST", "/v1/batches"],
  ["GET", "/v1/batches/batch_abc"],
  ["GET", "/v1/batches/batch_abc/results"],
  ["POST", "/v1/batches/batch_abc/cancel"],
];

let w;
before(async () => { w = await startWorker(); });
after(async () => { await w?.close(); });

test("every /v1 route but the liveness probe refuses a request without a token", async () => {
  for (const [method, path] of ROUTES) {
    const r = await w.api(method, path, { token: null, body: method === "POST" ? {} : undefined });
    assert.equal(r.status, 401, `${method} ${path}: ${r.text}`);
    assert.equal(r.json.error.type, "unauthorized");
    assert.match(errorMessage(r), /Authorization header/);
  }
  assert.equal(w.fake.requests.length, 0, "nothing reached upstream");
});

test("a wrong token, a prefix of it, or a longer one is a 401", async () => {
  for (const token of ["nope", GATEWAY_TOKEN.slice(0, -1), `${GATEWAY_TOKEN}x`, "", GATEWAY_TOKEN.toUpperCase()]) {
    const r = await w.api("POST", "/v1/tokens", { token, body: { text: "hi" } });
    assert.equal(r.status, 401, `token ${JSON.stringify(token)}: ${r.text}`);
    assert.match(errorMessage(r), /invalid gateway token|Bearer/);
    assert.ok(!r.text.includes(GATEWAY_TOKEN), "the answer does not echo the real token");
  }
});

test("only the Bearer scheme is accepted", async () => {
  const basic = `Basic ${Buffer.from(`user:${GATEWAY_TOKEN}`).toString("base64")}`;
  for (const authorization of [basic, `Token ${GATEWAY_TOKEN}`, GATEWAY_TOKEN, `Bearer${GATEWAY_TOKEN}`]) {
    const r = await w.api("POST", "/v1/tokens", { token: null, headers: { authorization }, body: { text: "hi" } });
    assert.equal(r.status, 401, `${authorization}: ${r.text}`);
    assert.match(errorMessage(r), /Bearer/);
  }
  const ok = await w.api("POST", "/v1/tokens", { body: { text: "hi" } });
  assert.equal(ok.status, 200, ok.text);
  // Scheme names are case-insensitive (RFC 9110 §11.1).
  for (const scheme of ["bearer", "BEARER"]) {
    const r = await w.api("POST", "/v1/tokens", { token: null, headers: { authorization: `${scheme} ${GATEWAY_TOKEN}` }, body: { text: "hi" } });
    assert.equal(r.status, 200, `${scheme}: ${r.text}`);
  }
});

test("the liveness probe needs no token and calls no provider", async () => {
  for (const token of [null, "wrong", GATEWAY_TOKEN]) {
    const r = await w.api("GET", "/v1/health/live", { token });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json, { ok: true });
  }
  assert.equal(w.fake.requests.length, 0);
  const post = await w.api("POST", "/v1/health/live", { token: null });
  assert.equal(post.status, 405);
  errorMessage(post);
});

test("auth is checked before the body is read or the route is matched", async () => {
  const huge = "x".repeat(5 * 1024 * 1024);
  const r = await w.api("POST", "/v1/chat", { token: "wrong", body: huge });
  assert.equal(r.status, 401, "not 413: an anonymous caller learns nothing");
  const unknown = await w.api("GET", "/v1/nothing-here", { token: null });
  assert.equal(unknown.status, 401, unknown.text);
});

test("without a GATEWAY_TOKEN every authenticated route is a 503 saying so; liveness still answers", async () => {
  const bare = await startWorker({ vars: { GATEWAY_TOKEN: undefined } });
  try {
    for (const [method, path] of ROUTES) {
      for (const token of [null, "anything", GATEWAY_TOKEN]) {
        const r = await bare.api(method, path, { token, body: method === "POST" ? {} : undefined });
        assert.equal(r.status, 503, `${method} ${path}: ${r.text}`);
        assert.equal(r.json.error.type, "not_configured");
        assert.match(errorMessage(r), /GATEWAY_TOKEN/);
      }
    }
    assert.equal((await bare.api("GET", "/v1/health/live", { token: null })).status, 200);
    // An empty or blank secret counts as none.
  } finally {
    await bare.close();
  }
  const blank = await startWorker({ vars: { GATEWAY_TOKEN: "   " } });
  try {
    const r = await blank.api("POST", "/v1/tokens", { token: "   ", body: { text: "hi" } });
    assert.equal(r.status, 503, r.text);
  } finally {
    await blank.close();
  }
});
