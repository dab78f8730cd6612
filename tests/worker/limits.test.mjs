// Body limits (contract §4): 4 MiB for chat and tokens, 100 MiB for batches, 413 beyond —
// whether the size is declared (Content-Length) or only found while reading a chunked body.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { connect } from "node:net";
import { once } from "node:events";
import { startWorker, errorMessage, MIB, requests } from "./support/worker.mjs";

let w;
before(async () => { w = await startWorker(); });
after(async () => { await w?.close(); });

/** A JSON body of exactly `bytes` bytes: `{"text":"hello world hello…"}` (plain words count fast). */
function sized(bytes, field = "text") {
  const head = `{"${field}":"`;
  const n = bytes - head.length - 2;
  return `${head}${"hello world ".repeat(Math.ceil(n / 12)).slice(0, n)}"}`;
}

/** The same body sent chunked, without Content-Length, so the Worker must count as it reads. */
async function chunked(path, text) {
  const bytes = new TextEncoder().encode(text);
  for (let attempt = 1; ; attempt++) {
    const body = new ReadableStream({
      start(controller) {
        for (let i = 0; i < bytes.length; i += 256 * 1024) controller.enqueue(bytes.subarray(i, i + 256 * 1024));
        controller.close();
      },
    });
    try {
      const res = await w.mf.dispatchFetch(`http://localhost${path}`, {
        method: "POST", body, duplex: "half",
        headers: { authorization: `Bearer ${w.bindings.GATEWAY_TOKEN}`, "content-type": "application/json" },
      });
      return { status: res.status, json: await res.json() };
    } catch (e) {
      // The Worker may answer 413 and close while the upload is still going (see dispatch()).
      if (attempt >= 5 || e?.cause?.code !== "EPIPE") throw e;
    }
  }
}

/**
 * A request that declares `length` bytes and sends only its headers, over a raw socket: the
 * Worker must refuse it from Content-Length alone. (Sending the body through fetch races
 * the 413: the socket closes while the client is still writing, and fetch fails with EPIPE.)
 */
async function declaredOnly(path, length) {
  const url = await w.mf.ready;
  const socket = connect(Number(url.port), url.hostname);
  await once(socket, "connect");
  socket.write(
    `POST ${path} HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${w.bindings.GATEWAY_TOKEN}\r\n` +
      `Content-Type: application/json\r\nContent-Length: ${length}\r\n\r\n{"requests":`,
  );
  let raw = "";
  socket.setEncoding("utf8");
  for await (const chunk of socket) {
    raw += chunk;
    const [head, body = ""] = raw.split("\r\n\r\n");
    const declared = /content-length: (\d+)/i.exec(head);
    if (declared && Buffer.byteLength(body) >= Number(declared[1])) break;
  }
  socket.destroy();
  const [head, body] = raw.split("\r\n\r\n");
  return { status: Number(head.split(" ")[1]), json: JSON.parse(body) };
}

test("chat and tokens: 4 MiB is accepted, a byte more is a 413", async () => {
  const ok = await w.api("POST", "/v1/tokens", { body: sized(4 * MIB) });
  assert.equal(ok.status, 200, ok.text.slice(0, 200));
  for (const path of ["/v1/tokens", "/v1/chat"]) {
    const r = await w.api("POST", path, { body: sized(4 * MIB + 1) });
    assert.equal(r.status, 413, `${path}: ${r.text.slice(0, 200)}`);
    assert.equal(r.json.error.type, "payload_too_large");
    assert.match(errorMessage(r), /4 MiB/);
  }
});

test("chunked bodies are measured while they are read", async () => {
  const over = await chunked("/v1/tokens", sized(4 * MIB + 1));
  assert.equal(over.status, 413, JSON.stringify(over.json));
  const under = await chunked("/v1/tokens", sized(MIB));
  assert.equal(under.status, 200, JSON.stringify(under.json));
});

test("batches take more than 4 MiB", async () => {
  const pad = "p".repeat(3 * MIB);
  const body = { requests: [...requests(1), { id: "big", messages: [{ role: "user", content: `json ${pad}` }] }, ...requests(1, () => "", "s")] };
  const r = await w.api("POST", "/v1/batches", { body });
  assert.equal(r.status, 202, r.text.slice(0, 300));
  const upload = w.fake.requests.find((q) => q.path === "/openai/v1/files");
  assert.ok(upload.bodyText.length > 3 * MIB, "the whole batch was uploaded");
});

test("batches: beyond 100 MiB is a 413, declared or chunked", async () => {
  const r = await declaredOnly("/v1/batches", 100 * MIB + 1);
  assert.equal(r.status, 413, JSON.stringify(r.json));
  assert.match(r.json.error.message, /100 MiB/);
  const streamed = await chunked("/v1/batches", sized(100 * MIB + 1, "requests"));
  assert.equal(streamed.status, 413, JSON.stringify(streamed.json));
});
