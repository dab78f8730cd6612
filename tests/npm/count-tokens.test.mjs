// countTokens(text, model?) (contract §3): default model gpt-4o; o200k_base for the gpt-4o
// family and unknown models, cl100k_base for gpt-4/3.5; special-token text counts as
// ordinary text. Expected counts come from tiktoken (`encode_ordinary`).

import { test } from "node:test";
import assert from "node:assert/strict";
import { countTokens, encodingForModel } from "edge-llm";

const MIXED = "Привет, как дела? こんにちは世界"; // o200k_base 9, cl100k_base 13
const CODE = "function add(a, b) {\n  return a + b; // 🚀 emoji and tabs\there\n}"; // o200k_base 23, cl100k_base 24

test("the default model is gpt-4o (o200k_base)", () => {
  assert.equal(countTokens("hello world"), 2);
  assert.equal(countTokens(MIXED), 9);
  assert.equal(countTokens(MIXED), countTokens(MIXED, "gpt-4o"));
  assert.equal(countTokens(""), 0);
});

test("each model family counts with its encoding; unknown models use o200k_base", () => {
  const cases = [
    ["gpt-4o", 9, 23],
    ["gpt-4o-mini", 9, 23],
    ["gpt-4.1", 9, 23],
    ["o3-mini", 9, 23],
    ["gpt-5", 9, 23],
    ["gpt-4", 13, 24],
    ["gpt-4-turbo", 13, 24],
    ["gpt-3.5-turbo", 13, 24],
    ["text-embedding-3-small", 13, 24],
    ["some-future-model", 9, 23],
  ];
  for (const [model, mixed, code] of cases) {
    assert.equal(countTokens(MIXED, model), mixed, model);
    assert.equal(countTokens(CODE, model), code, model);
  }
});

test("encodingForModel names the encoding", () => {
  assert.equal(encodingForModel(), "o200k_base");
  assert.equal(encodingForModel("gpt-4o"), "o200k_base");
  assert.equal(encodingForModel("gpt-4"), "cl100k_base");
  assert.equal(encodingForModel("gpt-3.5-turbo-0125"), "cl100k_base");
  assert.equal(encodingForModel("llama3.2"), "o200k_base");
});

test("special-token text counts as ordinary text (never one token, never an error)", () => {
  assert.equal(countTokens("<|endoftext|>"), 7);
  assert.equal(countTokens("<|endoftext|><|fim_prefix|>"), 12);
  assert.equal(countTokens("<|endoftext|><|fim_prefix|>", "gpt-4"), 13);
  assert.equal(countTokens("<|im_start|>user"), 7);
});

test("longer text", () => {
  assert.equal(countTokens("The quick brown fox jumps over the lazy dog. ".repeat(100)), 1001);
  assert.equal(countTokens("12345678901234567890"), 7);
  assert.equal(countTokens('{"colours":["red","green","blue"],"n":3}'), 15);
  assert.equal(countTokens('{"colours":["red","green","blue"],"n":3}', "gpt-4"), 14);
});
