// The browser entry: the same API, after `await init()` has loaded the WebAssembly.
export * from "./edge-llm.js";

export type InitInput = RequestInfo | URL | Response | BufferSource | WebAssembly.Module;

/** Where to load each of the package's two wasm modules from. */
export interface InitOptions {
  /** The token counter, by default `edge_llm_tokens_bg.wasm` next to this file. */
  tokens?: { module_or_path: InitInput | Promise<InitInput> };
  /** The providers, by default `edge_llm_bg.wasm` next to this file. */
  providers?: { module_or_path: InitInput | Promise<InitInput> };
}

/** Loads both wasm modules (in parallel). Call once, and wait for it, before using anything. */
export default function init(options?: InitOptions): Promise<void>;
/** The same from bytes or compiled modules you already have. */
export declare function initSync(modules: { tokens: BufferSource | WebAssembly.Module; providers: BufferSource | WebAssembly.Module }): void;
