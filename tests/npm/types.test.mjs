// The hand-written edge-llm.d.ts and web.d.ts, type-checked as a consumer sees them:
// `tsc --strict` on tests/npm/types/, which uses the whole contract surface and marks the
// misuses the types must refuse with `@ts-expect-error`.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

test("a strict TypeScript consumer compiles against the package's types, and misuses do not", () => {
  const tsc = spawnSync(join(root, "node_modules", ".bin", "tsc"), ["-p", join(root, "tests", "npm", "types", "tsconfig.json")], { encoding: "utf8" });
  assert.equal(tsc.status, 0, `tsc failed:\n${tsc.stdout}${tsc.stderr}`);
});
