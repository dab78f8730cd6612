// A 50,000-request batch whose output file (with outputPadBytes) is ~190 MB, downloaded
// as a stream: the fake must generate it on the fly, so the heap stays far below its size.

import { test } from "node:test";
import assert from "node:assert/strict";
import v8 from "node:v8";
import vm from "node:vm";
import { chatLine, createOpenAIBatch, openaiHeaders, pollOpenAIBatch, useFake } from "./helpers.mjs";

// `node --test` gives no --expose-gc; turning the flag on at run time and fetching `gc`
// from a fresh context is the documented workaround. A GC before each reading makes the
// baseline and the samples comparable.
v8.setFlagsFromString("--expose-gc");
const gc = vm.runInNewContext("gc");

const ctx = useFake();
const N = 50_000;
const PAD = 3_000;

const t0 = Date.now();
const lap = (what) => process.env.FAKE_PROVIDER_DEBUG && process.stderr.write(`${what}: ${Date.now() - t0} ms\n`);

test("50k requests: output streamed in chunks, every line present, heap bounded", { timeout: 60_000 }, async () => {
  ctx.fake.configure({ outputPadBytes: PAD, batchStepsToComplete: 2 });
  const lines = Array.from({ length: N }, (_, i) => chatLine(`req-${i}`, `question ${i}`));
  lap("lines built");
  const b = await createOpenAIBatch(ctx.fake, lines);
  lap("uploaded and created");
  const done = (await pollOpenAIBatch(ctx.fake, b.id)).at(-1);
  lap("completed");
  assert.equal(done.status, "completed");
  assert.deepEqual(done.request_counts, { total: N, completed: N, failed: 0 });

  gc();
  const baseline = process.memoryUsage().heapUsed;
  let peak = baseline;
  let bytes = 0;
  let chunks = 0;
  let count = 0;
  let rest = "";
  const seen = new Uint8Array(N); // not a Set of id strings: those would be slices pinning whole lines
  let first;

  const res = await fetch(`${ctx.fake.openaiBaseUrl}/files/${done.output_file_id}/content`, { headers: openaiHeaders });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("content-length"), null, "streamed (chunked), not a buffered body");
  const decoder = new TextDecoder();
  for await (const chunk of res.body) {
    bytes += chunk.length;
    chunks += 1;
    const text = rest + decoder.decode(chunk, { stream: true });
    const parts = text.split("\n");
    rest = parts.pop();
    for (const line of parts) {
      count += 1;
      first ??= line;
      seen[Number(/"custom_id":"req-(\d+)"/.exec(line)[1])] = 1;
    }
    // Live heap, not heapUsed as it drifts: between collections heapUsed also counts the
    // garbage of every line already sent, which says nothing about what is retained.
    if (chunks % 250 === 0) {
      gc();
      peak = Math.max(peak, process.memoryUsage().heapUsed);
    }
  }
  lap("downloaded");
  assert.equal(rest, "");
  gc();
  peak = Math.max(peak, process.memoryUsage().heapUsed);

  assert.equal(count, N);
  assert.equal(seen.reduce((a, x) => a + x, 0), N);
  assert.ok(bytes > N * PAD, `output is ${bytes} bytes`);
  assert.ok(chunks > 100, `arrived in ${chunks} chunks`);
  const parsed = JSON.parse(first);
  assert.equal(parsed.custom_id, "req-0");
  assert.equal(JSON.parse(parsed.response.body.choices[0].message.content).pad.length, PAD);

  const grewMb = (peak - baseline) / 1e6;
  const outputMb = bytes / 1e6;
  lap(`live heap grew ${grewMb.toFixed(2)} MB for ${outputMb.toFixed(0)} MB streamed`);
  // The whole output would be ~190 MB of heap as one string; streaming keeps the live heap
  // to the chunks in flight (well under 1 MB measured; 20 MB leaves room for noise).
  assert.ok(grewMb < 20, `heap grew ${grewMb.toFixed(1)} MB while streaming ${outputMb.toFixed(0)} MB`);
});
