// The browser entry: the same API, after `await init()` has loaded the WebAssembly.
export * from "./edge-llm.js";

export type InitInput = RequestInfo | URL | Response | BufferSource | WebAssembly.Module;

/** Loads the module (by default `edge_llm_bg.wasm` next to this file). Call once before use. */
export default function init(input?: InitInput | Promise<InitInput> | { module_or_path: InitInput | Promise<InitInput> }): Promise<unknown>;
/** Instantiates from bytes or a compiled module you already have. */
export declare function initSync(module: BufferSource | WebAssembly.Module | { module: BufferSource | WebAssembly.Module }): unknown;
