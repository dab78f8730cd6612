// Which implementation the consumer suite runs against. The suite imports only "edge-llm";
// reference/run.mjs maps that specifier to the TypeScript reference and sets
// EDGE_LLM_TARGET=reference. Tests of behaviour where the contract deliberately improves on
// the reference (or of API the reference excerpt does not contain) pass `contractOnly(why)`
// as their `skip` option: skipped against the reference, run against edge-llm.

export const REFERENCE = process.env.EDGE_LLM_TARGET === "reference";

/** `skip` option value: the reason against the reference, `false` against edge-llm. */
export const contractOnly = (why) => (REFERENCE ? `contract-only: ${why}` : false);
