#!/usr/bin/env bash
# Proves the repository tests on its own: a user's clone has no ../shared beside it (issue 9).
# Copies the committed tree (HEAD) into a fresh temporary directory, where ../shared cannot
# exist, and runs there the suites that once read ../shared — the spec tests, the package's
# suites with e2e (all of Node's JavaScript suites: 10–20 s) and the reference runner, which
# must skip. Needs pkg/ and node_modules/ (run after `node scripts/build-pkg.mjs`); they are
# reused, not rebuilt: pkg/ copied into the copy, node_modules/ linked entry by entry.
#
# It tests what is committed, as CI does, not the working tree: uncommitted edits are not in
# the copy (a note says so when there are any), so commit first. pkg/ is the working tree's
# build: the package cannot read ../shared; the tests, which could, are the committed ones.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

if ! git rev-parse --verify -q HEAD >/dev/null; then
  echo "SKIP standalone copy: not a git checkout with a commit, nothing to copy"
  exit 0
fi
[[ -z "$(git status --porcelain)" ]] ||
  echo "note: uncommitted changes are not tested here; this copies HEAD ($(git rev-parse --short HEAD))"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
copy="$tmp/repo"           # so ../shared is $tmp/shared: nothing
mkdir "$copy"
git archive HEAD | tar -x -C "$copy"

cp -r pkg "$copy/pkg"
mkdir "$copy/node_modules"
for entry in node_modules/* node_modules/.bin; do ln -s "$root/$entry" "$copy/node_modules/"; done
ln -sfn ../pkg "$copy/node_modules/edge-llm"   # the copy's package, as build-pkg links it

cd "$copy"
[[ ! -e ../shared ]] || { echo "$tmp/shared exists: not a standalone copy"; exit 1; }
# An override in the caller's environment would hide exactly what this step looks for.
unset EDGE_LLM_SPECS_DIR EDGE_LLM_REFERENCE_DIR
# Dots as it runs (the same tests ran in full earlier); the full report kept for a failure.
status=0
node --test --test-concurrency=2 --test-reporter=dot --test-reporter-destination=stdout \
  --test-reporter=spec --test-reporter-destination="$tmp/report" \
  tests/support/fake-provider/tests/ tests/npm/ tests/spec/ tests/tokens/ || status=$?
if (( status )); then grep -v '^ *✔' "$tmp/report"; exit "$status"; fi
grep -E '^ℹ (tests|pass|fail|skipped) ' "$tmp/report" | tr '\n' ' '; echo
out=$(node tests/npm/consumer/reference/run.mjs)
echo "$out"
[[ "$out" == SKIP* ]] || { echo "expected the reference runner to skip without ../shared"; exit 1; }
