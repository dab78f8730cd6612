// fetchFn doubles for the OpenAI and Anthropic Batch APIs, and builders for their result
// lines. Each double routes on method + URL and records every call (see doubles.mjs).

import { completion, fetchDouble, jsonResponse, textResponse } from "./doubles.mjs";

const isResponse = (x) => x !== null && typeof x === "object" && "ok" in x;

/** Answers a poll entry: a status word, a body object, a response-like, or an Error to throw. */
function pollAnswer(entry, id) {
  if (entry instanceof Error) throw entry;
  if (typeof entry === "function") return entry();
  if (isResponse(entry)) return entry;
  if (typeof entry === "string") return jsonResponse({ id, status: entry });
  return jsonResponse({ id, ...entry });
}

/**
 * The OpenAI Files + Batches API. `polls` is answered in order (the last entry repeats);
 * `files` maps a file id to its JSONL text (or a response-like). `upload` and `create` are
 * the answers to POST /files and POST /batches (objects, response-likes or Errors).
 */
export function openaiBatchApi({
  base = "https://api.openai.com/v1",
  batchId = "batch_abc123",
  upload = { id: "file-in", object: "file", purpose: "batch", filename: "batch-input.jsonl" },
  create,
  polls = [{ status: "completed", output_file_id: "file-out" }],
  files = {},
  sync,
} = {}) {
  let poll = 0;
  const answer = (x) => {
    if (x instanceof Error) throw x;
    if (typeof x === "function") return x();
    return isResponse(x) ? x : jsonResponse(x);
  };
  const fn = fetchDouble((call) => {
    const { method, url } = call;
    if (method === "POST" && url === `${base}/files`) return answer(upload);
    if (method === "POST" && url === `${base}/batches`) return answer(create ?? { id: batchId, object: "batch", status: "validating" });
    if (method === "GET" && url === `${base}/batches/${batchId}`) {
      const entry = polls[Math.min(poll, polls.length - 1)];
      poll += 1;
      return pollAnswer(entry, batchId);
    }
    const file = /\/files\/([^/]+)\/content$/.exec(url);
    if (method === "GET" && file && url.startsWith(base) && file[1] in files) {
      const content = files[file[1]];
      if (content instanceof Error) throw content;
      return isResponse(content) ? content : textResponse(content);
    }
    if (method === "POST" && url === `${base}/chat/completions` && sync) return answer(sync);
    throw new Error(`openaiBatchApi: unexpected ${method} ${url}`);
  });
  fn.polls = () => poll;
  fn.callsTo = (method, suffix) => fn.calls.filter((c) => c.method === method && c.url.endsWith(suffix));
  return fn;
}

/** An output-file line with a 200 answer whose content is `content` (an object is stringified). */
export function okLine(customId, content, { prompt = 10, completionTokens = 5 } = {}) {
  const text = typeof content === "string" ? content : JSON.stringify(content);
  return JSON.stringify({
    id: `batch_req_${customId}`,
    custom_id: customId,
    response: { status_code: 200, request_id: `req_${customId}`, body: completion(text, { prompt, completionTokens }) },
    error: null,
  });
}

/** An output-file line with a non-200 answer. */
export function statusLine(customId, status, message) {
  const body = message === undefined ? {} : { error: { message, type: "invalid_request_error", param: null, code: null } };
  return JSON.stringify({
    id: `batch_req_${customId}`,
    custom_id: customId,
    response: { status_code: status, request_id: `req_${customId}`, body },
    error: null,
  });
}

/** An error-file line: `response: null` and `error: {code, message}`. */
export function errorFileLine(customId, code, message) {
  return JSON.stringify({ id: `batch_req_${customId}`, custom_id: customId, response: null, error: { code, message } });
}

export const jsonl = (...lines) => lines.join("\n");

/**
 * The Anthropic Message Batches API. `polls` entries: a processing_status word, a body
 * object, a response-like or an Error. `results` is the JSONL at `results_url`.
 */
export function anthropicBatchApi({
  base = "https://api.anthropic.com/v1",
  batchId = "msgbatch_01abc",
  resultsUrl = "https://api.anthropic.com/v1/messages/batches/msgbatch_01abc/results",
  create,
  polls = [{ processing_status: "ended", results_url: "https://api.anthropic.com/v1/messages/batches/msgbatch_01abc/results" }],
  results = "",
  sync,
} = {}) {
  let poll = 0;
  const answer = (x) => {
    if (x instanceof Error) throw x;
    if (typeof x === "function") return x();
    return isResponse(x) ? x : jsonResponse(x);
  };
  const fn = fetchDouble((call) => {
    const { method, url } = call;
    if (method === "POST" && url === `${base}/messages/batches`) {
      return answer(create ?? { id: batchId, type: "message_batch", processing_status: "in_progress" });
    }
    if (method === "GET" && url === `${base}/messages/batches/${batchId}`) {
      const entry = polls[Math.min(poll, polls.length - 1)];
      poll += 1;
      if (typeof entry === "string") return jsonResponse({ id: batchId, processing_status: entry, results_url: entry === "ended" ? resultsUrl : null });
      return pollAnswer(entry, batchId);
    }
    if (method === "GET" && url === resultsUrl) {
      if (results instanceof Error) throw results;
      return isResponse(results) ? results : textResponse(results);
    }
    if (method === "POST" && url === `${base}/messages` && sync) return answer(sync);
    throw new Error(`anthropicBatchApi: unexpected ${method} ${url}`);
  });
  fn.polls = () => poll;
  return fn;
}

/** A results line of a Message Batch. */
export function claudeResult(customId, result) {
  return JSON.stringify({ custom_id: customId, result });
}

export function claudeSucceeded(customId, content, { input = 8, output = 3 } = {}) {
  const text = typeof content === "string" ? content : JSON.stringify(content);
  return claudeResult(customId, {
    type: "succeeded",
    message: {
      id: `msg_${customId}`,
      type: "message",
      role: "assistant",
      model: "claude-sonnet-4-5",
      content: [{ type: "text", text }],
      stop_reason: "end_turn",
      usage: { input_tokens: input, output_tokens: output },
    },
  });
}
