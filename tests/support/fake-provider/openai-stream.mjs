// OpenAI's streamed chat completion (`stream: true`): Server-Sent Events, one
// `chat.completion.chunk` per event, then `data: [DONE]`. Built from the same completion the
// sync route answers, so a stream and a sync call for one body say the same thing.
//
//   data: {"id":"chatcmpl-…","object":"chat.completion.chunk",…,"choices":[{"index":0,"delta":{"role":"assistant","content":"","refusal":null},…}]}
//   data: {…"choices":[{"index":0,"delta":{"content":"{\"ec"},"logprobs":null,"finish_reason":null}]}
//   data: {…"choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}]}
//   data: {…"choices":[],"usage":{…}}            (only with stream_options.include_usage)
//   data: [DONE]
//
// With `include_usage`, every other chunk carries `"usage": null`, as OpenAI's do. A
// mid-stream failure (`[[stream-error]]`) is OpenAI's `data: {"error": {…}}` event.

import { replyPieces, streamPlan } from "./chunk-stream.mjs";

const event = (value) => `data: ${JSON.stringify(value)}\n\n`;

/** The chunks of `completion` (a chat.completion object) for request `body`. */
export function openaiChatStream(completion, body, markers) {
  const includeUsage = body.stream_options?.include_usage === true;
  const base = {
    id: completion.id,
    object: "chat.completion.chunk",
    created: completion.created,
    model: completion.model,
    service_tier: completion.service_tier,
    system_fingerprint: completion.system_fingerprint,
  };
  const chunk = (delta, finish = null) =>
    event({ ...base, choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }], ...(includeUsage ? { usage: null } : {}) });
  const { message, finish_reason } = completion.choices[0];
  const out = [chunk({ role: "assistant", content: "", refusal: null })];
  if (message.refusal) {
    for (const piece of replyPieces(message.refusal, markers.chunks)) out.push(chunk({ refusal: piece }));
  } else if (message.tool_calls) {
    for (const [index, call] of message.tool_calls.entries()) {
      out.push(chunk({ tool_calls: [{ index, id: call.id, type: "function", function: { name: call.function.name, arguments: "" } }] }));
      for (const piece of replyPieces(call.function.arguments, markers.chunks)) {
        out.push(chunk({ tool_calls: [{ index, function: { arguments: piece } }] }));
      }
    }
  } else {
    for (const piece of replyPieces(message.content ?? "", markers.chunks)) out.push(chunk({ content: piece }));
  }
  out.push(chunk({}, finish_reason));
  if (includeUsage) out.push(event({ ...base, choices: [], usage: completion.usage }));
  out.push("data: [DONE]\n\n");
  if (markers.streamError) {
    const at = Math.ceil(out.length / 2);
    out.splice(at, out.length - at, event({ error: { message: "The server had an error while processing your request. Sorry about that!", type: "server_error", param: null, code: null } }));
  }
  return { status: 200, chunks: out, contentType: "text/event-stream; charset=utf-8", ...streamPlan(markers, out.length) };
}
