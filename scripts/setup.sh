#!/usr/bin/env bash
# Sets up a fresh Debian machine (with rustup, Node 20 and npm) for edge-llm; safe to re-run.
# Installs: the wasm32 Rust target, wasm-bindgen-cli and worker-build at the versions
# Cargo.lock pins, the npm dev tools from package-lock.json (wrangler, Miniflare, Node 22 for
# them, binaryen, esbuild, playwright-core), schemathesis into .venv/ (PyPI), and — with
# --browser — Debian's Chromium.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
locked_version() { # the version Cargo.lock pins for crate $1
  awk -v name="$1" '$0 == "name = \"" name "\"" { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock
}

step "Rust target wasm32-unknown-unknown"
rustup target add wasm32-unknown-unknown

wb=$(locked_version wasm-bindgen)
if [[ "$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen $wb" ]]; then
  step "wasm-bindgen-cli $wb (must equal the library version in Cargo.lock; ~3 min)"
  # --locked fails for some versions (a transitive crate missing from the registry).
  cargo install wasm-bindgen-cli --version "$wb" --force
fi

worker=$(locked_version worker)
if [[ -n "$worker" && "$(worker-build --version 2>/dev/null)" != *"$worker"* ]]; then
  step "worker-build $worker (~3 min)"
  cargo install worker-build --version "$worker" --locked --force
fi

if [[ ! -d node_modules || package-lock.json -nt node_modules/.package-lock.json ]]; then
  step "npm dev tools (package-lock.json)"
  npm ci --no-audit --no-fund
fi

# schemathesis (PyPI) drives the Worker from api/openapi.json; a local venv, git-ignored.
st_version=$(sed -n 's/^schemathesis==//p' tests/schemathesis/requirements.txt)
if [[ "$(.venv/bin/schemathesis --version 2>/dev/null)" != *"$st_version"* ]]; then
  step "schemathesis $st_version into .venv/ (tests/schemathesis/requirements.txt)"
  if ! python3 -c "import ensurepip" 2>/dev/null; then # Debian splits venv support out
    sudo=""; [[ $(id -u) -eq 0 ]] || sudo="sudo"
    $sudo apt-get update -q && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q python3-venv
  fi
  python3 -m venv .venv
  .venv/bin/pip install --quiet --disable-pip-version-check -r tests/schemathesis/requirements.txt
fi

if [[ "${1:-}" == "--browser" ]] && ! command -v chromium >/dev/null; then
  step "Chromium from Debian (browser tests)"
  sudo=""; [[ $(id -u) -eq 0 ]] || sudo="sudo"
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q chromium
fi
