// The scenario: every switch that changes how the fake behaves, with defaults that make a
// healthy provider. `configure(patch)` merges a patch over the current scenario (top-level
// keys; arrays such as `faults` are replaced, not appended). Unknown keys and wrong types
// are rejected, so a typo in a test fails loudly instead of silently testing the default.

import { describeFaults, normaliseFaults } from "./http.mjs";

export const DEFAULT_OPENAI_MODELS = [
  "gpt-4o", "gpt-4o-mini", "gpt-4.1", "gpt-5", "o3-mini", "text-embedding-3-small", "text-embedding-3-large",
];
export const DEFAULT_ANTHROPIC_MODELS = ["claude-sonnet-4-5", "claude-3-5-haiku-latest", "claude-opus-4-1"];
export const DEFAULT_OLLAMA_MODELS = ["llama3.2", "nomic-embed-text"];
export const BATCH_OUTCOMES = ["completed", "failed", "expired", "cancelled"];

/** The defaults; `options` of startFakeProvider may override the keys and the Ollama models. */
export function defaultScenario(options = {}) {
  return checkPatch({}, {
    openaiKey: options.openaiKey ?? "sk-test",
    anthropicKey: options.anthropicKey ?? "sk-ant-test",
    ollamaModels: options.ollamaModels ?? DEFAULT_OLLAMA_MODELS,
    openaiModels: DEFAULT_OPENAI_MODELS,
    anthropicModels: DEFAULT_ANTHROPIC_MODELS,
    requireJsonWord: true,
    rejectUnknownModels: false,
    anthropicFencedJson: false,
    batchStepsToComplete: 3,
    batchOutcome: "completed",
    expiredCompletedFraction: 0.5,
    cancelledCompletedFraction: 0.5,
    shuffleOutput: false,
    outputWithoutFile: false,
    httpErrorsInErrorFile: false,
    outputPadBytes: 0,
    advanceOnGet: true,
    seed: 42,
    faults: [],
  });
}

const str = (v) => typeof v === "string" && v.length > 0;
const bool = (v) => typeof v === "boolean";
const strings = (v) => Array.isArray(v) && v.every(str);
const fraction = (v) => typeof v === "number" && v >= 0 && v <= 1;
const intAtLeast = (min) => (v) => Number.isInteger(v) && v >= min;

const CHECKS = {
  openaiKey: [str, "a non-empty string"],
  anthropicKey: [str, "a non-empty string"],
  ollamaModels: [strings, "an array of strings"],
  openaiModels: [strings, "an array of strings"],
  anthropicModels: [strings, "an array of strings"],
  requireJsonWord: [bool, "a boolean"],
  rejectUnknownModels: [bool, "a boolean"],
  anthropicFencedJson: [bool, "a boolean"],
  batchStepsToComplete: [intAtLeast(1), "an integer >= 1"],
  batchOutcome: [(v) => BATCH_OUTCOMES.includes(v), `one of ${BATCH_OUTCOMES.join(", ")}`],
  expiredCompletedFraction: [fraction, "a number between 0 and 1"],
  cancelledCompletedFraction: [fraction, "a number between 0 and 1"],
  shuffleOutput: [bool, "a boolean"],
  outputWithoutFile: [bool, "a boolean"],
  httpErrorsInErrorFile: [bool, "a boolean"],
  outputPadBytes: [intAtLeast(0), "an integer >= 0"],
  advanceOnGet: [bool, "a boolean"],
  seed: [Number.isInteger, "an integer"],
  faults: [Array.isArray, "an array"],
};

/** Returns `scenario` with `patch` merged in, or throws an Error naming the bad key. */
export function checkPatch(scenario, patch) {
  if (typeof patch !== "object" || patch === null || Array.isArray(patch)) throw new Error("scenario patch must be an object");
  const next = { ...scenario };
  for (const [key, value] of Object.entries(patch)) {
    const check = CHECKS[key];
    if (!check) throw new Error(`unknown scenario key '${key}' (known: ${Object.keys(CHECKS).join(", ")})`);
    if (!check[0](value)) throw new Error(`scenario.${key} must be ${check[1]}`);
    next[key] = key === "faults" ? normaliseFaults(value) : Array.isArray(value) ? [...value] : value;
  }
  return next;
}

/** A key shown as its first 4 characters and stars: enough to tell keys apart, never the key. */
const hideKey = (key) => `${key.slice(0, Math.min(4, Math.floor(key.length / 3)))}***`;

/** The scenario as plain JSON: keys hidden, faults with their remaining uses. */
export function publicScenario(scenario) {
  return {
    ...scenario,
    openaiKey: hideKey(scenario.openaiKey),
    anthropicKey: hideKey(scenario.anthropicKey),
    faults: describeFaults(scenario.faults),
  };
}
