// The fake Ollama server under `/ollama`: /api/chat, /api/embed, /api/tags (no auth, as a
// local Ollama). Model names follow Ollama's rule that "llama3.2" means "llama3.2:latest".
// /api/chat streams NDJSON unless `stream: false`, like the real server — a client that
// forgets `stream: false` gets chunks here too.

import { jsonObject, route } from "./http.mjs";
import { embeddingVector, estimateTokens, hash32, lastUserText, mergeMarkers, modelReply, derivedId, HEX, REFUSAL_TEXT, textOf } from "./util.mjs";
import { replyPieces, streamPlan } from "./chunk-stream.mjs";

const ollamaError = (status, message) => ({ status, body: { error: message } });
const withTag = (name) => (name.includes(":") ? name : `${name}:latest`);
const installed = (scenario, model) => scenario.ollamaModels.some((m) => withTag(m) === withTag(model));

/** A model check shared by chat and embed: `{error}` or `{}`. */
function checkModel(body, scenario) {
  if (!body) return ollamaError(400, "invalid character in request body: not valid JSON");
  if (typeof body.model !== "string" || body.model === "") return ollamaError(400, "model is required");
  if (!installed(scenario, body.model)) return ollamaError(404, `model "${body.model}" not found, try pulling it first`);
  return undefined;
}

const durations = (evalCount) => ({
  total_duration: 1_000_000 * (50 + evalCount),
  load_duration: 1_000_000,
  prompt_eval_duration: 10_000_000,
  eval_duration: 1_000_000 * evalCount,
});

function chat(ctx) {
  const body = jsonObject(ctx);
  const error = checkModel(body, ctx.scenario);
  if (error) return error;
  const created_at = new Date().toISOString();
  const messages = Array.isArray(body.messages) ? body.messages : [];
  if (messages.length === 0) {
    // Ollama answers an empty chat by loading the model.
    return { status: 200, body: { model: body.model, created_at, message: { role: "assistant", content: "" }, done_reason: "load", done: true } };
  }
  const { text, markers, truncated } = modelReply({
    userText: lastUserText(messages),
    model: body.model,
    padBytes: ctx.scenario.outputPadBytes,
    maxTokens: body.options?.num_predict,
  });
  if (markers.status !== undefined && markers.status !== 200) return ollamaError(markers.status, `fake error for marker [[status:${markers.status}]]`);
  const content = markers.refuse ? REFUSAL_TEXT : text;
  // A request with tools calls the first one when the user asks with [[tool]] (Ollama has
  // no tool_choice); the call comes whole, arguments as an object.
  const tool = Array.isArray(body.tools) && markers.tool ? body.tools[0]?.function?.name : undefined;
  const tool_calls = tool ? [{ function: { name: tool, arguments: { echo: lastUserText(messages) } } }] : undefined;
  const prompt_eval_count = messages.reduce((n, m) => n + estimateTokens(textOf(m.content)), 0);
  const eval_count = estimateTokens(tool ? JSON.stringify(tool_calls) : content);
  const message = tool ? { role: "assistant", content: "", tool_calls } : { role: "assistant", content };
  const final = {
    model: body.model,
    created_at,
    message,
    done_reason: truncated ? "length" : "stop",
    done: true,
    ...durations(eval_count),
    prompt_eval_count,
    eval_count,
  };
  if (body.stream === false) return { status: 200, body: final };
  // Streaming: one NDJSON line per piece (each its own write), then the final record with an
  // empty message.
  const line = (m) => `${JSON.stringify({ model: body.model, created_at, message: m, done: false })}\n`;
  const chunks = tool ? [line(message)] : (markers.chunks ? replyPieces(content, markers.chunks) : content.match(/[\s\S]{1,32}/g) ?? [])
    .map((piece) => line({ role: "assistant", content: piece }));
  chunks.push(`${JSON.stringify({ ...final, message: { role: "assistant", content: "" } })}\n`);
  if (markers.streamError) {
    const at = Math.ceil(chunks.length / 2);
    chunks.splice(at, chunks.length - at, `${JSON.stringify({ error: "an error was encountered while running the model: unexpected EOF" })}\n`);
  }
  return { status: 200, chunks, contentType: "application/x-ndjson", ...streamPlan(markers, chunks.length) };
}

const EMBED_DIMS = { "nomic-embed-text": 768 };

function embed(ctx) {
  const body = jsonObject(ctx);
  const error = checkModel(body, ctx.scenario);
  if (error) return error;
  const inputs = typeof body.input === "string" ? [body.input] : body.input;
  if (!Array.isArray(inputs) || !inputs.every((t) => typeof t === "string")) {
    return ollamaError(400, "invalid input type");
  }
  const markers = mergeMarkers(inputs);
  if (markers.status !== undefined && markers.status !== 200) return ollamaError(markers.status, `fake error for marker [[status:${markers.status}]]`);
  const dims = EMBED_DIMS[withTag(body.model).split(":")[0]] ?? 8;
  const prompt_eval_count = inputs.reduce((n, t) => n + estimateTokens(t), 0);
  return {
    status: 200,
    body: {
      model: body.model,
      embeddings: inputs.map((t) => embeddingVector(body.model, t, dims)),
      total_duration: 20_000_000,
      load_duration: 1_000_000,
      prompt_eval_count,
    },
  };
}

function tags(ctx) {
  const models = ctx.scenario.ollamaModels.map((m) => {
    const name = withTag(m);
    const family = name.split(/[:.\d-]/)[0] || "llama";
    return {
      name,
      model: name,
      modified_at: "2025-01-01T00:00:00Z",
      size: 1_000_000_000 + (hash32(name) % 1_000_000_000),
      digest: derivedId("", name, 64, HEX),
      details: { parent_model: "", format: "gguf", family, families: [family], parameter_size: "3.2B", quantization_level: "Q4_K_M" },
    };
  });
  return { status: 200, body: { models } };
}

export const ollama = {
  name: "ollama",
  prefix: "/ollama",
  routes: [
    route("GET", "/", () => ({ status: 200, body: "Ollama is running" })),
    route("GET", "/api/version", () => ({ status: 200, body: { version: "0.12.0" } })),
    route("POST", "/api/chat", chat),
    route("POST", "/api/embed", embed),
    route("GET", "/api/tags", tags),
  ],
  authenticate: () => undefined,
  statusError: (status) => ollamaError(status, `fake error (HTTP ${status})`),
  // Ollama's router answers unknown paths with Go's plain-text 404.
  notFound: () => ({ status: 404, body: "404 page not found" }),
  methodNotAllowed: () => ollamaError(405, "method not allowed"),
  responseHeaders: () => ({}),
};
