// countTokens against the committed adversarial set (tests/fixtures/tokens/): long
// whitespace and digit runs, emoji/CJK/combining marks, lone surrogates in JS strings,
// 1 MB single "words". The package gets exactly the JS strings the reference got: the
// npm `tiktoken` (same JS → UTF-8 conversion, lone surrogates becoming U+FFFD), or
// tiktoken-rs for the pieces npm tiktoken cannot count (see make-fixtures.mjs).
// Needs pkg/ (`npm run build`).

import { test } from "node:test";
import assert from "node:assert/strict";
import { countTokens } from "edge-llm";
import { loadCases, loadCounts } from "../fixtures/tokens/cases.mjs";

const MODELS = { o200k_base: "gpt-4o", cl100k_base: "gpt-4" };
const cases = loadCases();
const counts = loadCounts();

test("the adversarial set is all there", () => {
  assert.ok(cases.length >= 50);
  for (const c of cases) assert.ok(counts[c.name], `counts.json has ${c.name}`);
});

for (const c of cases) {
  test(`${c.name} (${c.text.length} UTF-16 units, reference ${counts[c.name].reference})`, () => {
    for (const [encoding, model] of Object.entries(MODELS)) {
      assert.equal(countTokens(c.text, model), counts[c.name][encoding], `${encoding} (${model})`);
    }
  });
}

test("a lone surrogate counts as U+FFFD, as TextEncoder would write it", () => {
  for (const model of Object.values(MODELS)) {
    assert.equal(countTokens("a\ud800b", model), countTokens("a\ufffdb", model));
    assert.equal(countTokens("\udc00\ud800", model), countTokens("\ufffd\ufffd", model));
  }
});
