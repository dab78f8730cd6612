// The browser entry's surface: the same names after `await init()`.
import init, { countTokens, initSync, type InitOptions } from "edge-llm/web";

const options: InitOptions = { tokens: { module_or_path: "/pkg/edge_llm_tokens_bg.wasm" } };
async function start(): Promise<number> {
  await init(options);
  return countTokens("hello");
}
// @ts-expect-error: initSync wants both modules
initSync({ tokens: new Uint8Array() });
void start;
