#!/usr/bin/env bash
# The main job: sets up, builds, and runs the Worker locally under `wrangler dev` (real
# workerd, local KV persisted in .wrangler/state) serving the demo page at
# http://127.0.0.1:8787/. With no provider key in .dev.vars it starts the bundled fake
# provider and points the Worker at it, so chat, batches and health work offline.
# Cron runs are fired every few seconds through wrangler's /__scheduled endpoint.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
source scripts/env.sh

PORT="${PORT:-8787}"
FAKE_PORT="${FAKE_PORT:-8788}"
CRON_EVERY="${CRON_EVERY:-5}"
node scripts/build-pkg.mjs

vars=()
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT INT TERM

if [[ ! -f .dev.vars ]]; then
  token="dev-$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
  printf 'GATEWAY_TOKEN=%s\n' "$token" > .dev.vars
  echo "Wrote .dev.vars with a new GATEWAY_TOKEN (see .dev.vars.example for the other settings)."
fi
token="$(sed -n 's/^GATEWAY_TOKEN=//p' .dev.vars | head -n 1)"
if (( ${#token} < 32 )); then
  echo "warning: GATEWAY_TOKEN in .dev.vars is shorter than 32 characters, and the Worker refuses it (503)." >&2
  echo "         Put a longer one there (e.g. \`openssl rand -hex 32\`), or delete .dev.vars to get a new one." >&2
fi
if ! grep -qE '^(OPENAI|ANTHROPIC)_API_KEY=.+' .dev.vars; then
  echo "No provider key in .dev.vars: starting the bundled fake provider on 127.0.0.1:$FAKE_PORT."
  node tests/support/fake-provider/cli.mjs --port "$FAKE_PORT" > .wrangler-fake-provider.json &
  pids+=($!)
  for _ in $(seq 50); do [[ -s .wrangler-fake-provider.json ]] && break; sleep 0.1; done
  fake="http://127.0.0.1:$FAKE_PORT"
  vars+=(--var "OPENAI_API_KEY:sk-test" --var "ANTHROPIC_API_KEY:sk-ant-test"
         --var "OPENAI_BASE_URL:$fake/openai/v1" --var "ANTHROPIC_BASE_URL:$fake/anthropic/v1"
         --var "BATCH_POLL_INTERVAL_MS:2000" --var "BATCH_MAX_POLL_INTERVAL_MS:5000")
fi

( # A local stand-in for the cron trigger.
  until curl -fs "http://127.0.0.1:$PORT/v1/health/live" >/dev/null 2>&1; do sleep 1; done
  echo "Demo page: http://127.0.0.1:$PORT/  (gateway token: see GATEWAY_TOKEN in .dev.vars)"
  while sleep "$CRON_EVERY"; do curl -fs "http://127.0.0.1:$PORT/__scheduled?cron=*+*+*+*+*" >/dev/null || true; done
) &
pids+=($!)

"$NODE22" node_modules/.bin/wrangler dev --local --test-scheduled --ip 127.0.0.1 --port "$PORT" "${vars[@]}"
