// Anthropic's wire format as pure functions: error bodies, Messages API validation and the
// Message object. POST /messages and the Message Batches results both call `messagesCall`,
// so a `succeeded` result holds exactly what the sync call would have returned.

import { estimateTokens, lastUserText, modelReply, REFUSAL_TEXT, textOf } from "./util.mjs";

/** `{status, body}` in Anthropic's error shape. */
export function anthropicError(status, type, message) {
  return { status, body: { type: "error", error: { type, message } } };
}

const STATUS_ERRORS = {
  400: ["invalid_request_error", "Bad request"],
  401: ["authentication_error", "invalid x-api-key"],
  403: ["permission_error", "Your API key does not have permission to use the specified resource."],
  404: ["not_found_error", "Not found"],
  413: ["request_too_large", "Request exceeds the maximum allowed number of bytes."],
  429: ["rate_limit_error", "Number of request tokens has exceeded your per-minute rate limit (https://docs.anthropic.com/en/api/rate-limits); see the response headers for current usage. Please reduce the prompt length or the maximum tokens requested, or try again later."],
  500: ["api_error", "Internal server error"],
  529: ["overloaded_error", "Overloaded"],
};

export function anthropicStatusError(status) {
  const [type, message] = STATUS_ERRORS[status] ?? [status >= 500 ? "api_error" : "invalid_request_error", `HTTP ${status}`];
  return anthropicError(status, type, message);
}

const invalid = (message) => anthropicError(400, "invalid_request_error", message);

/**
 * Checks a Messages API body. `at` prefixes field paths (`requests.3.params.` inside a
 * batch), as the real validation messages do.
 */
export function validateMessages(body, scenario, at = "") {
  if (typeof body !== "object" || body === null || Array.isArray(body)) return invalid(`${at || "body"}: Input should be a valid dictionary`);
  for (const field of ["model", "max_tokens", "messages"]) {
    if (body[field] === undefined) return invalid(`${at}${field}: Field required`);
  }
  if (typeof body.model !== "string") return invalid(`${at}model: Input should be a valid string`);
  if (!Number.isInteger(body.max_tokens) || body.max_tokens < 1) return invalid(`${at}max_tokens: Input should be a valid integer greater than or equal to 1`);
  if (!Array.isArray(body.messages)) return invalid(`${at}messages: Input should be a valid list`);
  if (body.messages.length === 0) return invalid(`${at}messages: at least one message is required`);
  for (const [i, m] of body.messages.entries()) {
    if (typeof m !== "object" || m === null) return invalid(`${at}messages.${i}: Input should be a valid dictionary`);
    if (m.role === "system") {
      return invalid(`${at}messages: Unexpected role "system". The Messages API accepts a top-level \`system\` parameter, not "system" as an input message role.`);
    }
    if (m.role !== "user" && m.role !== "assistant") return invalid(`${at}messages.${i}.role: Input should be 'user' or 'assistant'`);
    if (m.content === undefined) return invalid(`${at}messages.${i}.content: Field required`);
  }
  if (body.system !== undefined && typeof body.system !== "string" && !Array.isArray(body.system)) {
    return invalid(`${at}system: Input should be a valid string`);
  }
  if (body.tools !== undefined) {
    if (!Array.isArray(body.tools)) return invalid(`${at}tools: Input should be a valid list`);
    for (const [i, t] of body.tools.entries()) {
      if (typeof t?.name !== "string") return invalid(`${at}tools.${i}.name: Field required`);
      if (typeof t.input_schema !== "object" || t.input_schema === null) return invalid(`${at}tools.${i}.input_schema: Field required`);
    }
  }
  const choice = body.tool_choice;
  if (choice !== undefined) {
    if (!["auto", "any", "tool", "none"].includes(choice?.type)) return invalid(`${at}tool_choice.type: Input should be 'auto', 'any', 'tool' or 'none'`);
    if (choice.type === "tool" && !(body.tools ?? []).some((t) => t.name === choice.name)) {
      return invalid(`${at}tool_choice: tool '${choice.name}' not found in tools`);
    }
  }
  if (scenario.rejectUnknownModels && !scenario.anthropicModels.includes(body.model)) {
    return anthropicError(404, "not_found_error", `model: ${body.model}`);
  }
  return undefined;
}

/** The reply text and markers for a (valid) body; fenced in ```json when the scenario says so. */
export function messagesReply(body, scenario) {
  const reply = modelReply({ userText: lastUserText(body.messages), model: body.model, padBytes: scenario.outputPadBytes, maxTokens: body.max_tokens });
  const text = scenario.anthropicFencedJson ? `\`\`\`json\n${reply.text}\n\`\`\`` : reply.text;
  return { ...reply, text };
}

/** The tool a request makes the model use: forced by `tool_choice` (any / tool), or `[[tool]]`. */
function calledTool(body, markers) {
  const tools = Array.isArray(body.tools) ? body.tools : [];
  const choice = body.tool_choice?.type;
  if (tools.length === 0 || choice === "none" || markers.refuse) return undefined;
  if (choice === "tool") return body.tool_choice.name;
  return choice === "any" || markers.tool ? tools[0].name : undefined;
}

function messageObject(body, { text, markers, truncated }, ids) {
  const shown = markers.refuse ? REFUSAL_TEXT : text;
  const system = typeof body.system === "string" ? body.system : textOf(body.system);
  const input = body.messages.reduce((n, m) => n + 3 + estimateTokens(textOf(m.content)), system ? estimateTokens(system) : 0);
  const tool = calledTool(body, markers);
  if (tool) {
    const toolInput = { echo: lastUserText(body.messages) };
    return {
      id: ids.id("msg_"), type: "message", role: "assistant", model: body.model,
      content: [{ type: "tool_use", id: ids.id("toolu_"), name: tool, input: toolInput }],
      stop_reason: "tool_use", stop_sequence: null,
      usage: { input_tokens: input, output_tokens: estimateTokens(JSON.stringify(toolInput)) },
    };
  }
  return {
    id: ids.id("msg_"),
    type: "message",
    role: "assistant",
    model: body.model,
    content: [{ type: "text", text: shown }],
    // "refusal" is what current models return when they decline (newer than the bundled spec).
    stop_reason: markers.refuse ? "refusal" : truncated ? "max_tokens" : "end_turn",
    stop_sequence: null,
    usage: { input_tokens: input, output_tokens: estimateTokens(shown) },
  };
}

/** What POST /v1/messages answers for `body`: `{status, body}`; `ids.id(prefix)` makes ids. */
export function messagesCall(body, scenario, ids) {
  const error = validateMessages(body, scenario);
  if (error) return error;
  const reply = messagesReply(body, scenario);
  const { status } = reply.markers;
  if (status !== undefined && status !== 200) return anthropicStatusError(status);
  return { status: 200, body: messageObject(body, reply, ids) };
}
