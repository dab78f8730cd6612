// Anthropic's streamed Message (`stream: true`): named Server-Sent Events —
// message_start, then per content block content_block_start / ping / content_block_delta
// (text_delta or input_json_delta) / content_block_stop, then message_delta (stop_reason,
// output tokens) and message_stop. Built from the Message the sync route answers.
// `[[stream-error]]` puts Anthropic's `event: error` (overloaded_error) half way.

import { replyPieces, streamPlan } from "./chunk-stream.mjs";

const event = (type, data = {}) => `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;

/** The events of `message` (a Message object). */
export function anthropicMessageStream(message, markers) {
  const start = { ...message, content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: message.usage.input_tokens, output_tokens: 1 } };
  const out = [event("message_start", { message: start })];
  for (const [index, block] of message.content.entries()) {
    if (block.type === "tool_use") {
      out.push(event("content_block_start", { index, content_block: { type: "tool_use", id: block.id, name: block.name, input: {} } }));
      out.push(event("content_block_delta", { index, delta: { type: "input_json_delta", partial_json: "" } }));
      for (const piece of replyPieces(JSON.stringify(block.input), markers.chunks)) {
        out.push(event("content_block_delta", { index, delta: { type: "input_json_delta", partial_json: piece } }));
      }
    } else {
      out.push(event("content_block_start", { index, content_block: { type: "text", text: "" } }));
      if (index === 0) out.push(event("ping"));
      for (const piece of replyPieces(block.text, markers.chunks)) {
        out.push(event("content_block_delta", { index, delta: { type: "text_delta", text: piece } }));
      }
    }
    out.push(event("content_block_stop", { index }));
  }
  out.push(event("message_delta", { delta: { stop_reason: message.stop_reason, stop_sequence: null }, usage: { output_tokens: message.usage.output_tokens } }));
  out.push(event("message_stop"));
  if (markers.streamError) {
    const at = Math.ceil(out.length / 2);
    out.splice(at, out.length - at, event("error", { error: { type: "overloaded_error", message: "Overloaded" } }));
  }
  return { status: 200, chunks: out, contentType: "text/event-stream; charset=utf-8", ...streamPlan(markers, out.length) };
}
