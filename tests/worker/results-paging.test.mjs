// GET /v1/batches/{id}/results paging (contract §4): results in input order, `next` cursors
// until the last page, across the 1000-request pages the Worker stores results in.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
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
