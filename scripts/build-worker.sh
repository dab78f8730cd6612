#!/usr/bin/env bash
# Builds the Worker into build/ with worker-build, using the installed wasm-bindgen, npm
# binaryen and npm esbuild (worker-build would download them from GitHub otherwise).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
worker-build --release
