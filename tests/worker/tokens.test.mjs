// POST /v1/tokens (contract §4): `{text, model?}` → `{tokens, encoding}`, gpt-4o by default,
// counted in the Worker without calling any provider.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startWorker, errorMessage } from "./support/worker.mjs";

let w;
before(async () => { w = await startWorker(); });
after(async () => { await w?.close(); });

const count = (body) => w.api("POST", "/v1/tokens", { body });

test("the default model is gpt-4o (o200k_base)", async () => {
  const r = await count({ text: "hello world" });
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.json, { tokens: 2, encoding: "o200k_base" });
  assert.deepEqual((await count({ text: "hello world", model: "gpt-4o" })).json, r.json);
  assert.equal(w.fake.requests.length, 0);
});

test("the model picks the encoding; unknown and non-OpenAI models estimate with o200k_base", async () => {
  const cases = [["gpt-4", "cl100k_base"], ["gpt-3.5-turbo", "cl100k_base"], ["gpt-4o-mini", "o200k_base"], ["claude-sonnet-4-5", "o200k_base"], ["llama3.2", "o200k_base"], ["", "o200k_base"]];
  for (const [model, encoding] of cases) {
    const r = await count({ text: "The quick brown fox jumps over the lazy dog.", model });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.encoding, encoding, model);
    assert.equal(r.json.tokens, 10, model);
  }
});

test("counts known strings exactly; special-token text is ordinary text", async () => {
  assert.equal((await count({ text: "" })).json.tokens, 0);
  // As a special token it would be 1; as ordinary text it is several pieces.
  for (const model of ["gpt-4o", "gpt-4"]) {
    const special = (await count({ text: "<|endoftext|>", model })).json.tokens;
    assert.ok(special > 3, `${model}: ${special}`);
  }
  const unicode = await count({ text: "héllo wörld 🌍 日本語" });
  assert.equal(unicode.status, 200);
  assert.ok(unicode.json.tokens > 4, unicode.text);
});

test("a large text under the 4 MiB limit is counted", async () => {
  const text = "lorem ipsum dolor sit amet ".repeat(140_000); // ≈ 3.6 MiB
  const r = await count({ text });
  assert.equal(r.status, 200, r.text);
  // Five words a repetition, each one token with its leading space.
  assert.ok(Math.abs(r.json.tokens - 140_000 * 5) < 10, r.text);
});

test("missing text is a 400 naming text", async () => {
  const r = await count({ model: "gpt-4o" });
  assert.equal(r.status, 400, r.text);
  assert.equal(errorMessage(r), "text: is required");
});
