// GET /v1/batches/{id}/results paging (contract §4): results in input order, `next` cursors
// until the last page, across the 1000-request pages the Worker stores results in.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startWorker, cronUntilDone, createBatch, requests, allResults, errorMessage } from "./support/worker.mjs";

const N = 2_345;
let w;
let batch;
let reqs;
before(async () => {
  w = await startWorker();
  // Shuffled output with errors sprinkled in: every stored page gets items out of order.
  w.fake.configure({ shuffleOutput: true, seed: 3 });
  reqs = requests(N, (i) => (i % 97 === 13 ? " [[status:400]]" : ""));
  batch = await createBatch(w, { requests: reqs });
  await cronUntilDone(w, batch.id);
});
after(async () => { await w?.close(); });

test("every result, in input order, over pages joined by `next`", async () => {
  const { results, pages } = await allResults(w, batch.id);
  assert.equal(results.length, N);
  assert.deepEqual(results.map((r) => r.id), reqs.map((r) => r.id));
  results.forEach((r, i) => {
    if (i % 97 === 13) assert.match(r.error, /status 400/, r.id);
    else assert.equal(r.response.echo, `json please ${i}`, r.id);
  });
  assert.ok(pages.length > 3, `${pages.length} pages`);
  assert.ok(pages.every((n) => n > 0 && n <= 1000), JSON.stringify(pages));
});

test("cursors are opaque strings that resume exactly where the last page stopped", async () => {
  const first = await w.api("GET", `/v1/batches/${batch.id}/results`);
  assert.equal(first.status, 200);
  assert.equal(typeof first.json.next, "string");
  const n = first.json.results.length;
  const second = await w.api("GET", `/v1/batches/${batch.id}/results?cursor=${first.json.next}`);
  assert.equal(second.json.results[0].id, reqs[n].id);
  // Reading a page twice gives the same page.
  const again = await w.api("GET", `/v1/batches/${batch.id}/results?cursor=${first.json.next}`);
  assert.deepEqual(again.json, second.json);
});

test("pages cross the 1000-request storage pages cleanly", async () => {
  for (const start of [900, 999, 1000, 1999, 2300]) {
    const r = await w.api("GET", `/v1/batches/${batch.id}/results?cursor=${start}`);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.results[0].id, `r${start}`);
    const ids = r.json.results.map((x) => x.id);
    assert.deepEqual(ids, reqs.slice(start, start + ids.length).map((x) => x.id));
  }
});

test("the last page has no `next`; a cursor past the end is a 400", async () => {
  const last = await w.api("GET", `/v1/batches/${batch.id}/results?cursor=${N - 5}`);
  assert.equal(last.json.results.length, 5);
  assert.equal(last.json.next, undefined);
  const past = await w.api("GET", `/v1/batches/${batch.id}/results?cursor=${N}`);
  assert.equal(past.status, 400, past.text);
  assert.match(errorMessage(past), /^cursor: /);
});

test("each page read stays small in KV operations", async () => {
  await w.kvOps({ reset: true });
  await w.api("GET", `/v1/batches/${batch.id}/results?cursor=1200`);
  const ops = await w.kvOps({ reset: true });
  assert.ok(ops.every((o) => o.op === "get"), JSON.stringify(ops));
  assert.ok(ops.length <= 6, `${ops.length} reads for one page: ${JSON.stringify(ops.map((o) => o.key))}`);
});

test("results reads touch only what they return: 1,000 answers of 64 KB read back within the memory bound (§4.1)", async (t) => {
  // Stored by one Worker, read by a fresh one over the same KV: the reads' memory is their own.
  const persist = mkdtempSync(join(tmpdir(), "edge-llm-results-"));
  let id;
  const many = requests(1000, () => ` ${"é".repeat(32_200)}`);
  const writer = await startWorker({ persist });
  try {
    // 64 KB answers within the 8192-token cap (≈ 4 characters a token): the fake echoes the
    // prompt, and 32,200 two-byte characters are 64 KB of UTF-8.
    ({ id } = await createBatch(writer, { requests: many }));
    assert.equal((await cronUntilDone(writer, id)).status, "completed");
  } finally {
    await writer.close();
  }
  const reader = await startWorker({ persist });
  try {
    const stored = await reader.record(id);
    const fragments = stored.results.manifest.fragments[0];
    assert.ok(fragments >= 8, `a 64 MB page is stored as ${fragments} fragments`);
    const baseline = await reader.api("GET", `/v1/batches/${id}/results?cursor=999`);
    assert.equal(baseline.status, 200);
    const before = reader.lines().find((l) => l.msg === "results read").wasmMemoryBytes;
    await reader.kvOps({ reset: true });
    const { results } = await allResults(reader, id);
    assert.deepEqual(results.map((r) => r.id), many.map((r) => r.id));
    assert.ok(results.every((r) => !r.error && Buffer.byteLength(JSON.stringify(r)) > 64_000), JSON.stringify(results[0]).slice(0, 200));
    const reads = reader.lines().filter((l) => l.msg === "results read").slice(1);
    assert.equal(reads.length, 10);
    const maxFragments = Math.max(...reads.map((l) => l.fragments));
    const fragmentGets = (await reader.kvOps({ reset: true })).filter((o) => o.key?.includes?.(":results:")).length;
    // 100 answers of 64 KB (6.4 MB) lie in two of the page's 8 MiB fragments, or three where
    // a buffer flush left a short one between them — never the page's whole neighbourhood.
    assert.ok(maxFragments <= 3, `a call read ${maxFragments} fragments`);
    assert.equal(fragmentGets, reads.reduce((n, l) => n + l.fragments, 0));
    const peak = Math.max(...reads.map((l) => l.wasmMemoryBytes));
    t.diagnostic(`64 MB page in ${fragments} fragments; a call reads ≤ ${maxFragments} (${fragmentGets} fragment reads for 10 calls); wasm memory ${(before / 2 ** 20).toFixed(1)} MiB after one call, ${(peak / 2 ** 20).toFixed(1)} MiB after all`);
    assert.ok(peak <= 32 * 2 ** 20, `reading grew wasm memory to ${(peak / 2 ** 20).toFixed(1)} MiB`);
  } finally {
    await reader.close();
    rmSync(persist, { recursive: true, force: true });
  }
});
