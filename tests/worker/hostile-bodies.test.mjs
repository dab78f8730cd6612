// Bounded memory for any body shape (contract §4.1): no request body, valid or not, makes the
// isolate hold more than a bounded amount — the target is 32 MiB of wasm memory growth for a
// 100 MiB hostile body — and error messages quote at most a short excerpt of the input.
// Each shape runs in a fresh isolate (wasm memory only grows, so one isolate would hide the
// later shapes); the growth is read from the Worker's own log line for the refused create.
// The figures go to the test output as diagnostics: this is a measurement with a bound, not
// a timed test.
import { test } from "node:test";
import assert from "node:assert/strict";
import { startWorker, MIB } from "./support/worker.mjs";

const BUDGET = 32 * MIB;
const SIZE = 99 * MIB; // under the 100 MiB limit: the shape, not the limit, is refused

/** A body made of pieces: strings, and `{fill, bytes}` runs, streamed in 1 MiB chunks. */
function body(...pieces) {
  const encoder = new TextEncoder();
  const fixed = pieces.filter((p) => typeof p === "string").reduce((n, p) => n + encoder.encode(p).length, 0);
  async function* chunks() {
    for (const p of pieces) {
      if (typeof p === "string") {
        yield encoder.encode(p);
        continue;
      }
      const unit = encoder.encode(p.fill);
      const bytes = p.bytes ?? SIZE - fixed;
      const block = new Uint8Array(Math.min(MIB, bytes - (bytes % unit.length)) || unit.length);
      for (let i = 0; i < block.length; i++) block[i] = unit[i % unit.length];
      let left = bytes - (bytes % unit.length);
      while (left > 0) {
        const n = Math.min(block.length, left);
        yield block.subarray(0, n);
        left -= n;
      }
    }
  }
  const it = chunks();
  return new ReadableStream({
    async pull(controller) {
      const { value, done } = await it.next();
      if (done) controller.close();
      else controller.enqueue(value);
    },
  });
}

const SHAPES = {
  "a 99 MiB field name": () => body('{"', { fill: "a" }, '": 1}'),
  "a 99 MiB model name": () => body('{"model":"', { fill: "m" }, '","requests":[]}'),
  "a 99 MiB key inside a request": () => body('{"requests":[{"', { fill: "k" }, '":1}]}'),
  "99 MiB of nesting inside a request": () => body('{"requests":[{"id":"a","messages":', { fill: "[" }),
  "a 99 MiB number": () => body('{"requests":[{"id":"a","messages":[],"n":', { fill: "7" }, "}]}"),
  "one 99 MiB request": () => body('{"requests":[{"id":"a","messages":[{"role":"user","content":"json ', { fill: "x" }, '"}]}]}'),
  "99 MiB of small valid requests": () => body('{"requests":[', { fill: '{"id":"r","messages":[{"role":"user","content":"json"}]},', bytes: SIZE - 64 }, '{"id":"z","messages":[]}]}'),
  "99 MiB of whitespace": () => body('{"requests":[', { fill: " " }, "]}"),
  "99 MiB of unknown top-level fields": () => body('{"requests":[],', { fill: '"x":1,' }, '"y":2}'),
};

async function refusedGrowth(w, make) {
  // A first refusal sets the baseline: the isolate, its wasm instance, the Worker's statics.
  const first = await w.api("POST", "/v1/batches", { body: "{}" });
  assert.equal(first.status, 400);
  const before = w.lines().filter((l) => l.msg === "batch refused").at(-1).wasmMemoryBytes;
  const started = Date.now();
  const res = await w.mf.dispatchFetch("http://localhost/v1/batches", {
    method: "POST", body: make(), duplex: "half",
    headers: { authorization: `Bearer ${w.bindings.GATEWAY_TOKEN}`, "content-type": "application/json" },
  });
  const text = await res.text();
  const after = w.lines().filter((l) => l.msg === "batch refused").at(-1).wasmMemoryBytes;
  return { status: res.status, text, growth: after - before, before, ms: Date.now() - started };
}

test("hostile bodies: every shape is refused with a short message and bounded memory", async (t) => {
  const rows = [];
  for (const [shape, make] of Object.entries(SHAPES)) {
    const w = await startWorker();
    try {
      const r = await refusedGrowth(w, make);
      rows.push({ shape, ...r });
      assert.ok([400, 413].includes(r.status), `${shape}: ${r.status} ${r.text.slice(0, 300)}`);
      const message = JSON.parse(r.text).error.message;
      assert.ok(message.length <= 400, `${shape}: a ${message.length}-character message`);
      assert.ok(!/(.)\1{200}/.test(message), `${shape}: quotes more than 200 characters of input: ${message.slice(0, 300)}`);
      assert.ok(r.growth <= BUDGET, `${shape}: wasm memory grew ${(r.growth / MIB).toFixed(1)} MiB`);
      if (shape === "99 MiB of small valid requests") {
        // Streamed: it reached upstream before the 50,001st request was read — then the
        // upload was aborted, so no batch was created.
        assert.equal(w.fake.requests.filter((q) => q.path.endsWith("/batches")).length, 0);
      }
    } finally {
      await w.close();
    }
  }
  t.diagnostic("shape                                   status  wasm growth  time");
  for (const r of rows) {
    t.diagnostic(`${r.shape.padEnd(40)} ${r.status}     ${(r.growth / MIB).toFixed(1).padStart(5)} MiB  ${String(r.ms).padStart(5)} ms  (baseline ${(r.before / MIB).toFixed(1)} MiB)`);
  }
});
