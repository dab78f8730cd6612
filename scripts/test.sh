#!/usr/bin/env bash
# Every test edge-llm has, in the order a failure is cheapest to find. Sets up first.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh --browser
source scripts/env.sh
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "core, tokens and the Worker's pure parts: native unit tests"
# The token-count equivalence test reads the 5 MB bench corpus; build it (about a second).
node benches/corpus/make-corpus.mjs
cargo test --locked

step "js-host: the wasm adapter under wasm-bindgen-test (Node)"
CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
  cargo test --locked -p edge-llm-js-host --target wasm32-unknown-unknown

step "npm package: build pkg/"
node scripts/build-pkg.mjs

step "JavaScript suites on Node $(node --version): fake provider, package, specs, token counts"
# Two test files at a time (Node 20's default is one less than the CPU count).
node --test --test-reporter=spec --test-concurrency=2 tests/support/fake-provider/tests/ tests/npm/ tests/spec/ tests/tokens/

step "npm package in workerd: a JavaScript Worker bundled by wrangler, run in Miniflare (Node $("$NODE22" --version))"
"$NODE22" --test --test-reporter=spec "tests/npm-workerd/*.test.mjs"

step "consumer suite against the TypeScript reference (../shared/contract/reference; skipped without it)"
node tests/npm/consumer/reference/run.mjs

step "standalone: the committed tree copied where no ../shared exists, its JavaScript suites and the reference runner's skip (~15 s)"
# A user's clone has nothing beside it; this keeps a test from needing ../shared again.
./scripts/test-standalone.sh

step "Worker: build/ (worker-build)"
bash scripts/build-worker.sh

step "Worker end to end in workerd (Miniflare, Node $("$NODE22" --version)): every route, batches through real cron runs, 50k results (~2 min)"
# Files one at a time: the 50k test measures memory and time, and would share the CPU otherwise.
"$NODE22" --test --test-reporter=spec --test-concurrency=1 'tests/worker/**/*.test.mjs'

step "Worker batches again with the BATCH_STEPS queue: the cron sends the steps, the Worker's consumer does them (~4 min)"
# The same suites (durability, lifecycles, KV and queue operations, the soak) with WORKER_QUEUE=1;
# queue and scale ran with the queue above, cron-bounds is the no-queue case only.
WORKER_QUEUE=1 "$NODE22" --test --test-reporter=spec --test-concurrency=1 \
  tests/worker/{batches-openai,batches-anthropic,isolation,kv-writes,large-batch,lost-creates,overlap,results-paging,schedule,secrets,soak,streamed-create}.test.mjs

step "gateway bench, smoke run: the Worker and the JavaScript forwarder in bare workerd answer every shape alike (~20 s)"
# Keeps benches/gateway/ working; its figures mean nothing here (the real run needs wrk).
node benches/gateway/bench.mjs --smoke

step "demo page in headless Chromium against wrangler dev and the fake provider (screenshots: tests/artifacts/browser/)"
# Starts its own wrangler dev (fresh ports and KV) and fake provider; needs www/pkg/ from build-pkg.
node --test --test-reporter=spec tests/browser/

step "schemathesis against wrangler dev and the fake provider, driven by api/openapi.json (~1 min)"
# Every operation, examples/coverage/fuzzing/stateful phases; fails on any 5xx or any answer
# the document does not describe; prints how many requests it sent. Reports: tests/artifacts/schemathesis/.
"$NODE22" tests/schemathesis/run.mjs --max-examples 100
