// The fake Anthropic API under `/anthropic/v1`: auth, Messages and Models. Message Batches
// live in anthropic-batches.mjs; this module assembles the provider object for index.mjs.

import { jsonObject, route } from "./http.mjs";
import { anthropicError, anthropicStatusError, messagesCall } from "./anthropic-wire.mjs";
import { batchRoutes } from "./anthropic-batches.mjs";
import { anthropicMessageStream } from "./anthropic-stream.mjs";
import { lastUserText, parseMarkers } from "./util.mjs";

const VERSIONS = ["2023-06-01", "2023-01-01"];

/**
 * `x-api-key` and `anthropic-version` are both required. A browser request (it carries an
 * `Origin`) must also opt in with `anthropic-dangerous-direct-browser-access: true`, as on
 * the real API — a page that forgets it fails here just as it would in production.
 */
function authenticate(ctx) {
  const key = ctx.headers["x-api-key"];
  if (key === undefined || key === "") return anthropicError(401, "authentication_error", "x-api-key header is required");
  if (key !== ctx.scenario.anthropicKey) return anthropicError(401, "authentication_error", "invalid x-api-key");
  const version = ctx.headers["anthropic-version"];
  if (version === undefined) return anthropicError(400, "invalid_request_error", "anthropic-version: header is required");
  if (!VERSIONS.includes(version)) return anthropicError(400, "invalid_request_error", `anthropic-version: "${version}" is not a valid version`);
  if (ctx.headers.origin !== undefined && ctx.headers["anthropic-dangerous-direct-browser-access"] !== "true") {
    return anthropicError(401, "authentication_error", "CORS requests must set 'anthropic-dangerous-direct-browser-access' header");
  }
  return undefined;
}

function messages(ctx) {
  const body = jsonObject(ctx);
  if (!body) return anthropicError(400, "invalid_request_error", "There was an error parsing the body of your request: it is not valid JSON.");
  const result = messagesCall(body, ctx.scenario, { id: (prefix) => ctx.state.newId(prefix, 24) });
  if (body.stream !== true || result.status !== 200) return result;
  return anthropicMessageStream(result.body, parseMarkers(lastUserText(body.messages)));
}

const DISPLAY_NAMES = {
  "claude-sonnet-4-5": "Claude Sonnet 4.5",
  "claude-3-5-haiku-latest": "Claude Haiku 3.5",
  "claude-opus-4-1": "Claude Opus 4.1",
};
const modelObject = (id) => ({ type: "model", id, display_name: DISPLAY_NAMES[id] ?? id, created_at: "2025-09-29T00:00:00Z" });

function listModels(ctx) {
  const data = ctx.scenario.anthropicModels.map(modelObject);
  return { status: 200, body: { data, has_more: false, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null } };
}

function getModel(ctx) {
  const { id } = ctx.params;
  if (!ctx.scenario.anthropicModels.includes(id)) return anthropicError(404, "not_found_error", `model: ${id}`);
  return { status: 200, body: modelObject(id) };
}

export const anthropic = {
  name: "anthropic",
  prefix: "/anthropic/v1",
  routes: [
    route("POST", "/messages", messages),
    route("GET", "/models", listModels),
    route("GET", "/models/:id", getModel),
    ...batchRoutes,
  ],
  authenticate,
  statusError: anthropicStatusError,
  notFound: () => anthropicError(404, "not_found_error", "Not Found"),
  methodNotAllowed: () => anthropicError(405, "invalid_request_error", "Method Not Allowed"),
  responseHeaders: (ctx) => ({ "request-id": ctx.state.newId("req_", 24) }),
};
