// schemathesis (PyPI, installed into .venv/ by scripts/setup.sh) against the running Worker:
// `wrangler dev --local` with the fake provider as OpenAI and Anthropic upstream (the browser
// tests' server), driven by api/openapi.json — every operation, the examples, coverage,
// fuzzing and stateful phases (the document's links: create batch → status → results →
// cancel), a bounded number of examples. It fails on any 5xx and on any answer the document
// does not describe, and reports how many requests it sent.
//
//   source scripts/env.sh && "$NODE22" tests/schemathesis/run.mjs [--max-examples N] [--seed N]
//
// The fake provider is set to accept what fuzzing sends (no "json" word needed, any model),
// so an upstream refusal, which the gateway's own routes report as a 502, does not hide
// among the answers: every 5xx left is the Worker's.
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { GATEWAY_TOKEN, root, startServer } from "../browser/support/server.mjs";

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
};
const maxExamples = arg("max-examples", "25");
const seed = arg("seed", "11");
const st = join(root, ".venv", "bin", "schemathesis");
if (!existsSync(st)) throw new Error(".venv/bin/schemathesis is missing: run ./scripts/setup.sh");

const server = await startServer({
  page: false,
  vars: { MODELS: "anthropic/claude-sonnet-4-5 openai/gpt-4.1", UPSTREAM_TIMEOUT_MS: "10000" },
});
server.fake.configure({ requireJsonWord: false });
const reports = join(root, "tests", "artifacts", "schemathesis");
rmSync(reports, { recursive: true, force: true });
mkdirSync(reports, { recursive: true });
const checks = ["not_a_server_error", "status_code_conformance", "content_type_conformance", "response_headers_conformance", "response_schema_conformance"];
const args = [
  "run", join(root, "api", "openapi.json"),
  "--url", server.url,
  "--header", `Authorization: Bearer ${GATEWAY_TOKEN}`,
  "--checks", checks.join(","),
  "--phases", "examples,coverage,fuzzing,stateful",
  "--max-examples", maxExamples,
  "--seed", seed,
  "--workers", "1",
  "--request-timeout", "30",
  "--continue-on-failure",
  "--generation-database", "none",
  "--report", "ndjson,junit",
  "--report-dir", reports,
  "--no-color",
];
console.log(`schemathesis ${args.join(" ").replace(GATEWAY_TOKEN, "<token>")}`);
const started = Date.now();
const code = await new Promise((resolve) => {
  const child = spawn(st, args, { stdio: "inherit" });
  child.on("exit", (c) => resolve(c ?? 1));
});
await server.close();

// Count what was sent, from the run's event log.
const events = readFileSync(join(reports, readdirName(reports, ".ndjson")), "utf8").trim().split("\n").map((l) => JSON.parse(l));
let requests = 0;
const statuses = new Map();
for (const e of events) {
  const cases = e.ScenarioFinished?.recorder?.interactions;
  if (!cases) continue;
  for (const interaction of Object.values(cases)) {
    if (!interaction.response) continue;
    requests += 1;
    const s = interaction.response.status_code;
    statuses.set(s, (statuses.get(s) ?? 0) + 1);
  }
}
const serverErrors = [...statuses].filter(([s]) => s >= 500).reduce((n, [, c]) => n + c, 0);
console.log(`\nschemathesis sent ${requests} requests in ${((Date.now() - started) / 1000).toFixed(0)} s; statuses: ${[...statuses].sort((a, b) => a[0] - b[0]).map(([s, c]) => `${s}×${c}`).join(", ")}; 5xx: ${serverErrors}`);
if (code !== 0 || serverErrors > 0) {
  console.error(`schemathesis failed (exit ${code}); reports in ${reports}`);
  process.exit(1);
}

function readdirName(dir, ext) {
  const name = readdirSync(dir).find((f) => f.endsWith(ext));
  if (!name) throw new Error(`no ${ext} report in ${dir}`);
  return name;
}
