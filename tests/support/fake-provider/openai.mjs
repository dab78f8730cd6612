// The fake OpenAI API under `/openai/v1`: auth, chat completions, embeddings and models.
// Files and batches live in openai-files.mjs and openai-batches.mjs; this module assembles
// the provider object the dispatcher in index.mjs works with.

import { jsonObject, route } from "./http.mjs";
import { HEX, nowSeconds } from "./util.mjs";
import { maskKey, NOT_JSON_MESSAGE, openaiCall, openaiError, openaiStatusError } from "./openai-wire.mjs";
import { openaiChatStream } from "./openai-stream.mjs";
import { lastUserText, parseMarkers } from "./util.mjs";
import { fileRoutes } from "./openai-files.mjs";
import { batchRoutes } from "./openai-batches.mjs";

const NO_KEY_MESSAGE =
  "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or as the password field (with blank username) if you're accessing the API from your browser and are prompted for a username and password. You can obtain an API key from https://platform.openai.com/account/api-keys.";

/** `Authorization: Bearer <openaiKey>`; anything else is OpenAI's 401 (key masked). */
function authenticate(ctx) {
  const header = ctx.headers.authorization;
  const match = typeof header === "string" ? /^Bearer\s+(.+)$/i.exec(header.trim()) : null;
  if (!match) return openaiError(401, NO_KEY_MESSAGE);
  if (match[1] !== ctx.scenario.openaiKey) {
    return openaiError(401, `Incorrect API key provided: ${maskKey(match[1])}. You can find your API key at https://platform.openai.com/account/api-keys.`, {
      code: "invalid_api_key",
    });
  }
  return undefined;
}

/** Sync calls get fresh ids from the server's id source and the current time. */
const syncIds = (ctx) => ({ id: (prefix) => ctx.state.newId(prefix, 29), created: nowSeconds() });

function chat(ctx) {
  const body = jsonObject(ctx);
  if (!body) return openaiError(400, NOT_JSON_MESSAGE);
  const result = openaiCall("/v1/chat/completions", body, ctx.scenario, syncIds(ctx));
  if (body.stream !== true || result.status !== 200) return result;
  return openaiChatStream(result.body, body, parseMarkers(lastUserText(body.messages)));
}

function embeddings(ctx) {
  const body = jsonObject(ctx);
  if (!body) return openaiError(400, NOT_JSON_MESSAGE);
  return openaiCall("/v1/embeddings", body, ctx.scenario, syncIds(ctx));
}

// A fixed creation date keeps model objects identical across runs.
const modelObject = (id) => ({ id, object: "model", created: 1715367049, owned_by: "system" });

function listModels(ctx) {
  return { status: 200, body: { object: "list", data: ctx.scenario.openaiModels.map(modelObject) } };
}

function getModel(ctx) {
  const id = ctx.params.id;
  if (!ctx.scenario.openaiModels.includes(id)) {
    return openaiError(404, `The model '${id}' does not exist`, { param: "model", code: "model_not_found" });
  }
  return { status: 200, body: modelObject(id) };
}

export const openai = {
  name: "openai",
  prefix: "/openai/v1",
  routes: [
    route("POST", "/chat/completions", chat),
    route("POST", "/embeddings", embeddings),
    route("GET", "/models", listModels),
    route("GET", "/models/:id", getModel),
    ...fileRoutes,
    ...batchRoutes,
  ],
  authenticate,
  statusError: openaiStatusError,
  notFound: (ctx) => openaiError(404, `Invalid URL (${ctx.method} /v1${ctx.path})`),
  methodNotAllowed: (ctx) => openaiError(405, `Invalid method for URL (${ctx.method} /v1${ctx.path})`),
  responseHeaders: (ctx) => ({ "x-request-id": ctx.state.newId("req_", 32, HEX) }),
};
