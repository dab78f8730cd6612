// Cold-start probe: loads the Worker's wasm module (workerd compiles it as the Worker starts)
// and answers without instantiating it.
import wasm from "./index_bg.wasm";

export default {
  fetch: () => new Response(String(wasm instanceof WebAssembly.Module)),
};
