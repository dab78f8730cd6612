// The specs in tests/spec/openapi/ are the ones its README names: a replaced file without an
// updated note of where it came from fails here. Checks the repository's copies, whatever
// EDGE_LLM_SPECS_DIR says.

import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const dir = resolve(dirname(fileURLToPath(import.meta.url)), "openapi");
const readme = readFileSync(join(dir, "README.md"), "utf8");

test("each spec's SHA-256 is the one its README records", () => {
  for (const file of ["openai-openapi.yaml", "anthropic-openapi.json"]) {
    const sha = createHash("sha256").update(readFileSync(join(dir, file))).digest("hex");
    assert.match(readme, new RegExp(`^${sha}  ${file.replace(".", "\\.")}$`, "m"), `${file} (${sha}) is not the copy the README describes`);
  }
});

test("the OpenAI spec's MIT licence sits beside it", () => {
  assert.ok(existsSync(join(dir, "openai-openapi.LICENSE")));
  assert.match(readFileSync(join(dir, "openai-openapi.LICENSE"), "utf8"), /^The MIT License[\s\S]*Copyright \(c\) OpenAI/);
});
