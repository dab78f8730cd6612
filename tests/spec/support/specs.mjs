// The providers' official API descriptions as JSON Schema validators (ajv, draft 2020-12).
//
// The specs are test data in the repository, tests/spec/openapi/ (where each came from is in
// its README); EDGE_LLM_SPECS_DIR points at other copies. Each spec is added to ajv whole,
// with an `$id`, so `$ref: "#/components/schemas/…"` resolves inside it; the request schema
// of an operation is found from the spec's own `paths`, not hard-coded.
//
// Two OpenAPI leftovers are not JSON Schema 2020-12 and are rewritten before compiling:
// `nullable: true` (OpenAPI 3.0) becomes a `"null"` type / an `anyOf` with `{type: "null"}`,
// and `type: null` (the Anthropic spec's way of saying "no type") is dropped.
//
// Parsing the 3 MB OpenAI YAML takes over a second, so the rewritten specs are cached as
// JSON in the OS temp directory, keyed by the files' size and mtime.

import { existsSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import Ajv2020 from "ajv/dist/2020.js";
import { parse as parseYaml } from "yaml";

export const SPECS_DIR = process.env.EDGE_LLM_SPECS_DIR ?? resolve(dirname(fileURLToPath(import.meta.url)), "..", "openapi");
const FILES = { openai: "openai-openapi.yaml", anthropic: "anthropic-openapi.json" };

function specPath(name) {
  const path = join(SPECS_DIR, FILES[name]);
  if (!existsSync(path)) {
    throw new Error(
      `The ${name} API spec is missing: ${path}. It is kept in the repository (tests/spec/openapi/)` +
        (process.env.EDGE_LLM_SPECS_DIR ? `; EDGE_LLM_SPECS_DIR points elsewhere.` : `; restore it from git.`),
    );
  }
  return path;
}

/** OpenAPI 3.0 / generator quirks → JSON Schema 2020-12 (see the module comment). */
export function toJsonSchema(node) {
  if (Array.isArray(node)) return node.map(toJsonSchema);
  if (node === null || typeof node !== "object") return node;
  const out = {};
  for (const [key, value] of Object.entries(node)) out[key] = toJsonSchema(value);
  if (out.type === null) delete out.type;
  if (!("nullable" in out) || typeof out.nullable !== "boolean") return out;
  const nullable = out.nullable;
  delete out.nullable;
  if (!nullable) return out;
  if (typeof out.type === "string") {
    out.type = [out.type, "null"];
    if (Array.isArray(out.enum)) out.enum = [...out.enum, null];
    return out;
  }
  return { anyOf: [out, { type: "null" }] };
}

function loadSpec(name) {
  const path = specPath(name);
  const { size, mtimeMs } = statSync(path);
  const cache = join(tmpdir(), `edge-llm-spec-${name}-${size}-${Math.round(mtimeMs)}.json`);
  if (existsSync(cache)) {
    try {
      return JSON.parse(readFileSync(cache, "utf8"));
    } catch {
      // An unreadable cache: rebuild it.
    }
  }
  const text = readFileSync(path, "utf8");
  const raw = name === "openai" ? parseYaml(text) : JSON.parse(text);
  const spec = { paths: raw.paths, components: toJsonSchema(raw.components) };
  const partial = `${cache}.${process.pid}`;
  writeFileSync(partial, JSON.stringify(spec));
  renameSync(partial, cache); // atomic: a concurrent reader sees no half-written file
  return spec;
}

let loaded;

/** `{openai, anthropic}`: each has `schema(name)` and `requestSchema(path, method, contentType)` returning a validator. */
export function specs() {
  if (loaded) return loaded;
  const ajv = new Ajv2020.default({ strict: false, allErrors: true, validateFormats: false });
  const make = (name) => {
    const spec = loadSpec(name);
    const id = `https://edge-llm.test/specs/${name}.json`;
    ajv.addSchema({ $id: id, components: spec.components });
    const byRef = (ref) => {
      const validate = ajv.getSchema(`${id}${ref}`);
      if (!validate) throw new Error(`${name} spec has no ${ref}`);
      validate.ref = ref;
      return validate;
    };
    return {
      schema: (component) => byRef(`#/components/schemas/${component}`),
      /** The validator of an operation's request body, found through the spec's paths. */
      requestSchema(path, method = "post", contentType = "application/json") {
        const op = spec.paths[path]?.[method];
        const schema = op?.requestBody?.content?.[contentType]?.schema;
        if (!schema?.$ref) throw new Error(`${name} spec: no ${contentType} request body for ${method.toUpperCase()} ${path}`);
        return byRef(schema.$ref);
      },
    };
  };
  loaded = { openai: make("openai"), anthropic: make("anthropic") };
  return loaded;
}

/** Throws an assertion-style Error listing ajv's complaints when `data` does not validate. */
export function assertValid(validate, data, label = validate.ref) {
  if (validate(data)) return;
  const errors = validate.errors.slice(0, 8).map((e) => `  ${e.instancePath || "/"} ${e.message} ${JSON.stringify(e.params)}`);
  throw new Error(`${label}: ${JSON.stringify(data).slice(0, 300)}\ndoes not validate against ${validate.ref}:\n${errors.join("\n")}`);
}

/** The request schemas edge-llm's bodies must match. */
export function requestValidators() {
  const { openai, anthropic } = specs();
  return {
    chat: openai.requestSchema("/chat/completions"),
    embeddings: openai.requestSchema("/embeddings"),
    batches: openai.requestSchema("/batches"),
    files: openai.requestSchema("/files", "post", "multipart/form-data"),
    messages: anthropic.requestSchema("/v1/messages"),
    messageBatches: anthropic.requestSchema("/v1/messages/batches"),
  };
}

/** The validator for a batch JSONL line's `body`, by the line's `url`. */
export function lineBodyValidator(url) {
  const v = requestValidators();
  const byUrl = { "/v1/chat/completions": v.chat, "/v1/embeddings": v.embeddings };
  if (!byUrl[url]) throw new Error(`no request schema for batch line url ${url}`);
  return byUrl[url];
}
