// Cross-origin calls (CORS_ORIGINS): a browser app on another origin gets the headers that
// let it read the gateway's answers — errors and streams included — and preflights are
// answered without the token they ask about. Unset, nothing changes: same-origin only.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { startWorker } from "./support/worker.mjs";
import { user, sseEvents } from "./support/compat.mjs";

const APP = "https://app.example";
const workers = [];
after(async () => { await Promise.all(workers.map((w) => w.close())); });
async function worker(CORS_ORIGINS) {
  const w = await startWorker({ vars: { CORS_ORIGINS } });
  workers.push(w);
  return w;
}

/** A preflight as a browser sends it before a JSON POST with a Bearer token. */
function preflight(w, path, origin, requestHeaders = "authorization, content-type, x-stainless-os") {
  return w.mf.dispatchFetch(`http://localhost${path}`, {
    method: "OPTIONS",
    headers: { origin, "access-control-request-method": "POST", "access-control-request-headers": requestHeaders },
  });
}
const chat = (w, origin, extra = {}) => w.api("POST", "/v1/chat/completions", {
  body: { model: "gpt-4o-mini", messages: user("hello"), ...extra }, headers: { origin },
});

test("without CORS_ORIGINS: no CORS headers, and a preflight is not answered", async () => {
  const w = await worker(undefined);
  const r = await chat(w, APP);
  assert.equal(r.status, 200, r.text);
  assert.equal(r.headers.get("access-control-allow-origin"), null);
  const p = await preflight(w, "/v1/chat/completions", APP);
  assert.ok([401, 405].includes(p.status), `the route's own answer to OPTIONS, not a preflight's: ${p.status}`);
  assert.equal(p.headers.get("access-control-allow-origin"), null);
  await p.arrayBuffer();
});

test("a listed origin: preflight answered before auth, answers readable (errors too), others refused", async () => {
  const w = await worker(`${APP}, http://localhost:5173`);
  const p = await preflight(w, "/v1/chat/completions", APP);
  assert.equal(p.status, 204);
  assert.equal(p.headers.get("access-control-allow-origin"), APP);
  assert.equal(p.headers.get("access-control-allow-methods"), "GET, POST");
  assert.equal(p.headers.get("access-control-allow-headers"), "authorization, content-type, x-stainless-os");
  assert.equal(p.headers.get("access-control-max-age"), "86400");
  assert.match(p.headers.get("vary"), /Origin/);
  assert.equal(await p.text(), "");

  const r = await chat(w, APP);
  assert.equal(r.status, 200, r.text);
  assert.equal(r.headers.get("access-control-allow-origin"), APP);
  assert.match(r.headers.get("vary"), /Origin/);
  const exposed = r.headers.get("access-control-expose-headers").split(/,\s*/);
  for (const h of ["retry-after", "retry-after-ms", "x-edge-llm-provider", "x-edge-llm-ignored-params"]) assert.ok(exposed.includes(h), h);

  // A browser app must be able to read why it was refused.
  const unauthorized = await w.api("POST", "/v1/chat", { body: { messages: user("hi") }, token: null, headers: { origin: "http://localhost:5173" } });
  assert.equal(unauthorized.status, 401);
  assert.equal(unauthorized.headers.get("access-control-allow-origin"), "http://localhost:5173");
  const own = await w.api("GET", "/v1/health/live", { headers: { origin: APP } });
  assert.equal(own.headers.get("access-control-allow-origin"), APP);

  for (const other of ["https://evil.example", "http://app.example", "null"]) {
    const refused = await chat(w, other);
    assert.equal(refused.status, 200, "the answer is the same; only the browser is not allowed to read it");
    assert.equal(refused.headers.get("access-control-allow-origin"), null, other);
    const p2 = await preflight(w, "/v1/chat/completions", other);
    assert.ok([401, 405].includes(p2.status), `${other}: ${p2.status}`);
    assert.equal(p2.headers.get("access-control-allow-origin"), null, other);
    await p2.arrayBuffer();
  }
  const logged = w.lines().filter((l) => l.msg === "request" && l.method === "OPTIONS");
  assert.ok(logged.some((l) => l.status === 204), "the preflight has its request log line");
});

test("a stream is readable cross-origin", async () => {
  const w = await worker(APP);
  const r = await w.mf.dispatchFetch("http://localhost/v1/chat/completions", {
    method: "POST",
    headers: { origin: APP, authorization: `Bearer ${w.bindings.GATEWAY_TOKEN}`, "content-type": "application/json" },
    body: JSON.stringify({ model: "gpt-4o-mini", messages: user("stream me"), stream: true }),
  });
  assert.equal(r.status, 200);
  assert.equal(r.headers.get("access-control-allow-origin"), APP);
  assert.equal(sseEvents(await r.text()).at(-1), "[DONE]");
});

test("* allows every origin without echoing it; entries that are not origins are logged when they refuse one", async () => {
  const any = await worker("*");
  const r = await chat(any, "https://anyone.example");
  assert.equal(r.headers.get("access-control-allow-origin"), "*");
  assert.equal(r.headers.get("vary"), null);

  const typo = await worker("app.example");
  const refused = await chat(typo, APP);
  assert.equal(refused.headers.get("access-control-allow-origin"), null);
  const warning = typo.lines().find((l) => l.msg.startsWith("CORS_ORIGINS has entries that are not origins"));
  assert.ok(warning, "a warning names the bad entry");
  assert.deepEqual(warning.entries, ["app.example"]);
  assert.equal(warning.origin, APP);
});
