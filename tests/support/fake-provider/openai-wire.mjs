// OpenAI's wire format as pure functions: error bodies, key masking, and what
// /v1/chat/completions and /v1/embeddings answer for a given body. The sync routes and the
// batch output file both call `openaiCall`, so a batch line's `response.body` is exactly what
// the sync endpoint would have returned for the same body.

import {
  estimateTokens, lastUserText, mergeMarkers, modelReply, parseMarkers, REFUSAL_TEXT, textOf, embeddingVector,
} from "./util.mjs";

/** `{status, body}` in OpenAI's error shape (`param` and `code` are always present). */
export function openaiError(status, message, { type = "invalid_request_error", param = null, code = null } = {}) {
  return { status, body: { error: { message, type, param, code } } };
}

// Bodies for these statuses (used by markers and by faults without a body); the 429, 500
// and 503 texts are OpenAI's, the others are plausible stand-ins.
const STATUS_MESSAGES = {
  400: ["Bad request", "invalid_request_error", null],
  403: ["You are not allowed to perform this request.", "invalid_request_error", null],
  404: ["Not found", "invalid_request_error", null],
  408: ["Request timed out.", "timeout", null],
  409: ["Conflict", "invalid_request_error", null],
  429: [
    "Rate limit reached for requests in organization org-fake on requests per min (RPM): Limit 3, Used 3, Requested 1. Please try again in 20s.",
    "requests",
    "rate_limit_exceeded",
  ],
  500: ["The server had an error while processing your request. Sorry about that!", "server_error", null],
  502: ["Bad gateway.", "server_error", null],
  503: ["The engine is currently overloaded, please try again later.", "server_error", null],
  504: ["Gateway timeout.", "server_error", null],
};

export function openaiStatusError(status) {
  const [message, type, code] = STATUS_MESSAGES[status] ?? [`HTTP ${status}`, status >= 500 ? "server_error" : "invalid_request_error", null];
  return openaiError(status, message, { type, code });
}

/**
 * Masks a key the way OpenAI's 401 does: a few characters at each end, stars between.
 * At most 9 characters and under half of the key are shown, so a key is never echoed.
 */
export function maskKey(key) {
  const s = String(key);
  const head = Math.min(5, Math.floor(s.length / 4));
  const tail = Math.min(4, Math.floor(s.length / 6));
  return `${s.slice(0, head)}${"*".repeat(Math.max(3, s.length - head - tail))}${tail ? s.slice(-tail) : ""}`;
}

export const NOT_JSON_MESSAGE =
  "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON. If you have trouble figuring out how to fix this, please contact us through our help center at help.openai.com.)";

const missing = (param) => openaiError(400, `Missing required parameter: '${param}'.`, { param, code: "missing_required_parameter" });
const noModel = () => openaiError(400, "you must provide a model parameter", { param: "model" });
const typeName = (v) => (Array.isArray(v) ? "an array" : v === null ? "null" : typeof v === "number" ? "a number" : `a ${typeof v}`);
const invalidType = (param, expected, v) =>
  openaiError(400, `Invalid type for '${param}': expected ${expected}, but got ${typeName(v)} instead.`, { param, code: "invalid_type" });

/** o-series and gpt-5 reject `max_tokens` (they want `max_completion_tokens`). */
export const isReasoningModel = (model) => /^o\d/.test(model) || /^gpt-5/.test(model);

const ROLES = ["system", "assistant", "user", "function", "tool", "developer"];

function unknownModel(model, scenario) {
  if (!scenario.rejectUnknownModels || scenario.openaiModels.includes(model)) return undefined;
  return openaiError(404, `The model \`${model}\` does not exist or you do not have access to it.`, { code: "model_not_found" });
}

function validateChat(body, scenario) {
  if (body.model === undefined) return noModel();
  if (typeof body.model !== "string") return invalidType("model", "a string", body.model);
  if (body.messages === undefined) return missing("messages");
  if (!Array.isArray(body.messages)) return invalidType("messages", "an array of objects", body.messages);
  if (body.messages.length === 0) {
    return openaiError(400, "Invalid 'messages': empty array. Expected an array with minimum length 1, but got an empty array instead.", {
      param: "messages", code: "empty_array",
    });
  }
  for (const [i, m] of body.messages.entries()) {
    if (typeof m !== "object" || m === null) return invalidType(`messages[${i}]`, "an object", m);
    if (m.role === undefined) return missing(`messages[${i}].role`);
    if (!ROLES.includes(m.role)) {
      return openaiError(400, `Invalid value: '${m.role}'. Supported values are: 'system', 'assistant', 'user', 'function', 'tool', and 'developer'.`, {
        param: `messages[${i}].role`, code: "invalid_value",
      });
    }
    if (m.role !== "assistant" && m.content === undefined) return missing(`messages[${i}].content`);
  }
  if (body.stream_options !== undefined && body.stream_options !== null && body.stream !== true) {
    return openaiError(400, "The 'stream_options' parameter is only allowed when 'stream' is enabled.", {
      param: "stream_options", code: "invalid_value",
    });
  }
  if (body.max_tokens !== undefined && isReasoningModel(body.model)) {
    return openaiError(400, "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead.", {
      param: "max_tokens", code: "unsupported_parameter",
    });
  }
  if (body.response_format?.type === "json_object" && scenario.requireJsonWord
      && !body.messages.some((m) => /json/i.test(textOf(m.content)))) {
    return openaiError(400, "'messages' must contain the word 'json' in some form, to use 'response_format' of type 'json_object'.", {
      param: "messages",
    });
  }
  return unknownModel(body.model, scenario);
}

function chatUsage(body, completionText) {
  const prompt = body.messages.reduce((n, m) => n + 4 + estimateTokens(textOf(m.content)), 3);
  const completion = estimateTokens(completionText);
  return { prompt, completion };
}

/** The model's reply for a chat body (`max_completion_tokens` or `max_tokens` caps it). */
const chatReply = (body, scenario) => modelReply({
  userText: lastUserText(body.messages),
  model: body.model,
  padBytes: scenario.outputPadBytes,
  maxTokens: body.max_completion_tokens ?? body.max_tokens,
});

/** The function a request makes the model call: forced by `tool_choice`, or `[[tool]]`. */
function calledFunction(body, markers) {
  const names = Array.isArray(body.tools) ? body.tools.map((t) => t?.function?.name).filter((n) => typeof n === "string") : [];
  if (names.length === 0 || body.tool_choice === "none") return undefined;
  const named = body.tool_choice?.function?.name;
  if (typeof named === "string") return named;
  return body.tool_choice === "required" || markers.tool ? names[0] : undefined;
}

function chatRespond(body, scenario, ids) {
  const { text, markers, truncated } = chatReply(body, scenario);
  const usage = chatUsage(body, markers.refuse ? REFUSAL_TEXT : text);
  const called = markers.refuse ? undefined : calledFunction(body, markers);
  const message = called
    ? { role: "assistant", content: null, refusal: null, annotations: [],
        tool_calls: [{ id: ids.id("call_"), type: "function", function: { name: called, arguments: JSON.stringify({ echo: lastUserText(body.messages) }) } }] }
    : { role: "assistant", content: markers.refuse ? null : text, refusal: markers.refuse ? REFUSAL_TEXT : null, annotations: [] };
  return {
    id: ids.id("chatcmpl-"),
    object: "chat.completion",
    created: ids.created,
    model: body.model,
    choices: [{
      index: 0,
      message,
      logprobs: null,
      finish_reason: called ? "tool_calls" : truncated ? "length" : "stop",
    }],
    usage: {
      prompt_tokens: usage.prompt,
      completion_tokens: usage.completion,
      total_tokens: usage.prompt + usage.completion,
      prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
      completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
    },
    service_tier: "default",
    system_fingerprint: "fp_fake_provider",
  };
}

// ---- embeddings -----------------------------------------------------------------------

const EMBEDDING_DIMS = { "text-embedding-3-small": 1536, "text-embedding-ada-002": 1536, "text-embedding-3-large": 3072 };
const MAX_EMBEDDING_INPUTS = 2048;
const badInput = () => openaiError(400, "'$.input' is invalid. Please check the API reference: https://platform.openai.com/docs/api-reference.");

/** `input` as a list of strings (token arrays hash as their JSON), or undefined if invalid. */
function embeddingInputs(input) {
  if (typeof input === "string") return [input];
  if (!Array.isArray(input)) return undefined;
  if (input.every((x) => typeof x === "number")) return [JSON.stringify(input)];
  if (input.every((x) => typeof x === "string" || (Array.isArray(x) && x.every((t) => typeof t === "number")))) {
    return input.map((x) => (typeof x === "string" ? x : JSON.stringify(x)));
  }
  return undefined;
}

function validateEmbeddings(body, scenario) {
  if (body.model === undefined) return noModel();
  if (typeof body.model !== "string") return invalidType("model", "a string", body.model);
  if (body.input === undefined) return missing("input");
  if (Array.isArray(body.input) && body.input.length > MAX_EMBEDDING_INPUTS) {
    return openaiError(400, `Invalid 'input': array too long. Expected an array with maximum length ${MAX_EMBEDDING_INPUTS}, but got an array with length ${body.input.length} instead.`, {
      param: "input", code: "array_above_max_length",
    });
  }
  const inputs = embeddingInputs(body.input);
  if (!inputs || inputs.length === 0 || inputs.some((t) => t === "" || t === "[]")) return badInput();
  if (body.dimensions !== undefined) {
    if (!Number.isInteger(body.dimensions) || body.dimensions < 1) return invalidType("dimensions", "an integer", body.dimensions);
    if (!body.model.startsWith("text-embedding-3")) return openaiError(400, "This model does not support specifying dimensions.", { param: "dimensions" });
  }
  return unknownModel(body.model, scenario);
}

function embeddingsRespond(body) {
  const inputs = embeddingInputs(body.input);
  const dims = body.dimensions ?? EMBEDDING_DIMS[body.model] ?? 8;
  const tokens = inputs.reduce((n, t) => n + estimateTokens(t), 0);
  return {
    object: "list",
    data: inputs.map((text, index) => {
      const vector = embeddingVector(body.model, text, dims);
      const embedding = body.encoding_format === "base64" ? Buffer.from(new Float32Array(vector).buffer).toString("base64") : vector;
      return { object: "embedding", index, embedding };
    }),
    model: body.model,
    usage: { prompt_tokens: tokens, total_tokens: tokens },
  };
}

// ---- the two endpoints, as batch lines name them -----------------------------------------

const ENDPOINTS = {
  "/v1/chat/completions": {
    validate: validateChat,
    markers: (body) => parseMarkers(lastUserText(body.messages)),
    respond: chatRespond,
    usage: (body, scenario) => {
      const { text, markers } = chatReply(body, scenario);
      return chatUsage(body, markers.refuse ? REFUSAL_TEXT : text);
    },
  },
  "/v1/embeddings": {
    validate: validateEmbeddings,
    markers: (body) => mergeMarkers(embeddingInputs(body.input) ?? []),
    respond: embeddingsRespond,
    usage: (body) => ({ prompt: embeddingInputs(body.input).reduce((n, t) => n + estimateTokens(t), 0), completion: 0 }),
  },
};

export const BATCH_ENDPOINTS = Object.keys(ENDPOINTS);

function checked(endpoint, body, scenario) {
  const spec = ENDPOINTS[endpoint];
  if (typeof body !== "object" || body === null || Array.isArray(body)) return { spec, error: openaiError(400, NOT_JSON_MESSAGE) };
  const error = spec.validate(body, scenario);
  if (error) return { spec, error };
  const markers = spec.markers(body);
  if (markers.status !== undefined && markers.status !== 200) return { spec, error: openaiStatusError(markers.status), markers };
  return { spec, markers };
}

/**
 * What `endpoint` answers for `body`: `{status, body}`. `ids` = `{id(prefix), created}` makes
 * the generated ids and timestamp the caller's (a batch derives them from its own id).
 */
export function openaiCall(endpoint, body, scenario, ids) {
  const { spec, error } = checked(endpoint, body, scenario);
  if (error) return error;
  return { status: 200, body: spec.respond(body, scenario, ids) };
}

/** The cheap part of `openaiCall` for batch bookkeeping: status, error-file marker, usage. */
export function openaiPreview(endpoint, body, scenario) {
  const { spec, error, markers } = checked(endpoint, body, scenario);
  if (error) return { status: error.status, errorFile: false, usage: { prompt: 0, completion: 0 } };
  return { status: 200, errorFile: markers.errorFile, usage: spec.usage(body, scenario) };
}
