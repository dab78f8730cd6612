// Every answer against api/openapi.json: the document's schema for the path, method and
// status (ajv, JSON Schema draft 2020-12), its content type and documented headers. Used by
// the `api` helper (support/worker.mjs) and the compatible routes' stream helper, so a test
// fails the moment the Worker says something the document does not.
//
// Paths the document does not describe (a 404 for /v1/nope) and methods it does not list on a
// path (405 tests) are not operations and are skipped; a documented operation answering a
// status the document does not list is a failure.
import Ajv2020 from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

export const DOCUMENT = JSON.parse(readFileSync(fileURLToPath(new URL("../../../api/openapi.json", import.meta.url)), "utf8"));
const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);
ajv.addSchema(DOCUMENT, "openapi.json");

const escape = (s) => s.replace(/~/g, "~0").replace(/\//g, "~1");
const compiled = new Map();
/** A validator for the schema at a JSON pointer inside the document. */
function validatorAt(pointer) {
  if (!compiled.has(pointer)) compiled.set(pointer, ajv.compile({ $ref: `openapi.json#${pointer}` }));
  return compiled.get(pointer);
}

// Templates to regexes: a parameter is one segment; a last parameter may also span several
// (`/v1/models/{model}` takes `ollama/llama3.2`), tried only when nothing else matches.
const templates = Object.keys(DOCUMENT.paths).map((t) => ({
  template: t,
  exact: new RegExp(`^${t.replace(/\{[^}]+\}/g, "[^/]+")}$`),
  greedy: new RegExp(`^${t.replace(/\{[^}]+\}$/, ".+").replace(/\{[^}]+\}/g, "[^/]+")}$`),
}));

function templateOf(path) {
  const bare = path.split("?")[0].replace(/(.)\/+$/, "$1");
  return (templates.find((t) => t.exact.test(bare)) ?? templates.find((t) => t.greedy.test(bare)))?.template;
}

const deref = (node) => {
  if (!node?.$ref) return [node, null];
  const pointer = node.$ref.slice(1);
  return [pointer.split("/").slice(1).reduce((n, k) => n[k.replace(/~1/g, "/").replace(/~0/g, "~")], DOCUMENT), pointer];
};

function check(validate, value, what) {
  if (!validate(value)) {
    throw new Error(`${what} does not match api/openapi.json:\n${ajv.errorsText(validate.errors, { separator: "\n" })}\n${JSON.stringify(value).slice(0, 600)}`);
  }
}

/**
 * Throws unless the answer to `method path` (`{status, headers, text}`) is one the document
 * describes. Returns false when the document does not describe the operation (skipped).
 */
export function checkAnswer(method, path, { status, headers, text }) {
  const template = templateOf(path);
  const op = template && DOCUMENT.paths[template][method.toLowerCase()];
  if (!op) return false;
  const what = `${method} ${path} → ${status}`;
  const [response, refPointer] = deref(op.responses[String(status)] ?? op.responses.default);
  if (!response) throw new Error(`${what}: the document lists no ${status} for ${method} ${template} (${Object.keys(op.responses).join(", ")})`);
  const base = refPointer ?? `/paths/${escape(template)}/${method.toLowerCase()}/responses/${status}`;
  for (const [name, header] of Object.entries(response.headers ?? {})) {
    const value = headers.get(name);
    const [spec, pointer] = deref(header);
    if (value !== null && spec.schema) check(validatorAt(`${pointer ?? `${base}/headers/${escape(name)}`}/schema`), value, `${what} header ${name}`);
  }
  if (!response.content) {
    if (text !== "") throw new Error(`${what}: the document says no body, got ${text.slice(0, 200)}`);
    return true;
  }
  const type = (headers.get("content-type") ?? "").split(";")[0].trim();
  if (!(type in response.content)) throw new Error(`${what}: content-type ${type} is not one of ${Object.keys(response.content).join(", ")}`);
  const media = `${base}/content/${escape(type)}`;
  if (type === "application/json") {
    let json;
    try { json = JSON.parse(text); } catch { throw new Error(`${what}: the body is not JSON: ${text.slice(0, 200)}`); }
    check(validatorAt(`${media}/schema`), json, what);
  } else if (type === "text/event-stream" && response.content[type]["x-sse-data"]) {
    checkEvents(validatorAt(`${media}/x-sse-data`), text, what);
  }
  return true;
}

/** One streamed chat event's payload (parsed JSON) against the document's event schema. */
export function checkChatEvent(json) {
  check(validatorAt(`/paths/${escape("/v1/chat/completions")}/post/responses/200/content/${escape("text/event-stream")}/x-sse-data`), json, "a chat completion event");
}

/** Each `data:` of an SSE body against the event schema; `[DONE]` only last. */
function checkEvents(validate, text, what) {
  const events = text.split("\n\n").filter((e) => e.trim());
  events.forEach((e, i) => {
    const data = e.split("\n").filter((l) => l.startsWith("data: ")).map((l) => l.slice(6)).join("\n");
    if (data === "[DONE]") {
      if (i !== events.length - 1) throw new Error(`${what}: [DONE] is not the last event`);
      return;
    }
    let json;
    try { json = JSON.parse(data); } catch { throw new Error(`${what}: event ${i} is not JSON: ${data.slice(0, 200)}`); }
    check(validate, json, `${what} event ${i}`);
  });
}
