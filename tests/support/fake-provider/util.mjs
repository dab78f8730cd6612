// Deterministic building blocks shared by every fake provider: hashing, seeded randomness,
// ids, token estimates, test markers and the canned "model reply".
//
// Nothing here uses Math.random(), and only nowSeconds() reads the clock: the same input
// always gives the same output, so a test can assert exact vectors, orders and derived ids.

/** 32-bit FNV-1a with a murmur3 finaliser (so near-identical inputs get unrelated seeds). */
export function hash32(text, seed = 0) {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** mulberry32: a tiny, fast, seedable PRNG returning floats in [0, 1). */
export function seededRandom(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
export const HEX = "0123456789abcdef";

/** A string of `length` characters of `alphabet`, derived only from `key`. */
export function derivedId(prefix, key, length = 24, alphabet = BASE62) {
  const rnd = seededRandom(hash32(key));
  let out = prefix;
  for (let i = 0; i < length; i++) out += alphabet[Math.floor(rnd() * alphabet.length)];
  return out;
}

/**
 * Ids for stored objects (files, batches). They mix a per-server salt with a counter that
 * `reset()` does not rewind, so an id is never handed out twice by one server — a Worker
 * test with persisted KV must not find yesterday's batch under today's id.
 */
export function createIdSource(salt) {
  let counter = 0;
  return (prefix, length = 24, alphabet = BASE62) => derivedId(prefix, `${salt}:${counter++}`, length, alphabet);
}

/** Fisher-Yates over 0..n-1 with a seeded PRNG; a Uint32Array keeps 50k indices at 200 KB. */
export function shuffledIndices(n, seed) {
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  const rnd = seededRandom(seed);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    const t = order[i];
    order[i] = order[j];
    order[j] = t;
  }
  return order;
}

/** Roughly 4 characters a token, like the providers' own rule of thumb; never 0. */
export function estimateTokens(text) {
  return Math.max(1, Math.ceil(String(text ?? "").length / 4));
}

/**
 * Markers a test writes into the last user message (or an embedding input) to make that one
 * request misbehave: `[[status:400]]`, `[[invalid-json]]`, `[[error-file]]`, `[[truncate]]`,
 * `[[refuse]]`; for streams `[[chunks:N]]`, `[[chunk-delay:MS]]`, `[[cut-stream]]`,
 * `[[stream-error]]`; `[[tool]]` makes a request with tools call one.
 */
export function parseMarkers(text) {
  const s = typeof text === "string" ? text : "";
  const status = /\[\[status:(\d{3})\]\]/.exec(s);
  const chunks = /\[\[chunks:(\d{1,6})\]\]/.exec(s);
  const delay = /\[\[chunk-delay:(\d{1,5})\]\]/.exec(s);
  return {
    status: status ? Number(status[1]) : undefined,
    invalidJson: s.includes("[[invalid-json]]"),
    errorFile: s.includes("[[error-file]]"),
    truncate: s.includes("[[truncate]]"),
    refuse: s.includes("[[refuse]]"),
    // Streaming only: exactly N content chunks, a pause between chunks, a connection cut
    // half way, an error event half way, and a tool call (when the request has tools).
    chunks: chunks && Number(chunks[1]) > 0 ? Number(chunks[1]) : undefined,
    chunkDelayMs: delay ? Number(delay[1]) : undefined,
    cutStream: s.includes("[[cut-stream]]"),
    streamError: s.includes("[[stream-error]]"),
    tool: s.includes("[[tool]]"),
  };
}

/** Merges the markers of several texts (an embedding request has many inputs). */
export function mergeMarkers(texts) {
  const all = texts.map(parseMarkers);
  return {
    status: all.find((m) => m.status !== undefined)?.status,
    invalidJson: all.some((m) => m.invalidJson),
    errorFile: all.some((m) => m.errorFile),
    truncate: all.some((m) => m.truncate),
    refuse: all.some((m) => m.refuse),
    chunks: undefined,
    chunkDelayMs: undefined,
    cutStream: false,
    streamError: false,
    tool: false,
  };
}

/** Text of a message `content`: a string, or an array of `{type: "text", text}` parts. */
export function textOf(content) {
  if (typeof content === "string") return content;
  if (Array.isArray(content)) {
    return content.map((part) => (typeof part === "string" ? part : typeof part?.text === "string" ? part.text : "")).join("");
  }
  return "";
}

/** The text of the last `user` message, or null when there is none. */
export function lastUserText(messages) {
  if (!Array.isArray(messages)) return null;
  for (let i = messages.length - 1; i >= 0; i--) {
    if (messages[i]?.role === "user") return textOf(messages[i].content);
  }
  return null;
}

// One padding string per size, shared by every line of a large output file: 50k lines of
// 3 KB padding then cost one 3 KB string, not 150 MB.
const paddingCache = new Map();
function padding(bytes) {
  let pad = paddingCache.get(bytes);
  if (pad === undefined) {
    pad = "x".repeat(bytes);
    if (paddingCache.size > 16) paddingCache.clear();
    paddingCache.set(bytes, pad);
  }
  return pad;
}

/**
 * What every fake "model" answers: a JSON object string that echoes the last user message,
 * so a test can tell which request a result belongs to. Markers bend it:
 * invalid-json → prose around the JSON, truncate → cut in half (as a length stop would).
 * Like a real model it also stops at `maxTokens` (≈ 4 characters a token): a reply longer
 * than that is cut and `truncated` — so `max_tokens: 1` (a health check) gets a stub.
 */
export function modelReply({ userText, model, padBytes = 0, maxTokens }) {
  const markers = parseMarkers(userText);
  let text = JSON.stringify({ echo: userText ?? null, model: model ?? null });
  // Performance note: same bytes as JSON.stringify with a `pad` key, but concatenated: the
  // padding needs no escaping, and Node 20's JSON.stringify of a 3 KB string costs ~11 µs
  // (measured: 560 ms vs 17 ms per 50k lines).
  if (padBytes > 0) text = `${text.slice(0, -1)},"pad":"${padding(padBytes)}"}`;
  if (markers.invalidJson) text = `Sure! Here is the JSON you asked for: ${text.slice(0, -1)}`;
  let truncated = markers.truncate;
  if (truncated) text = text.slice(0, Math.ceil(text.length / 2));
  if (Number.isInteger(maxTokens) && maxTokens > 0 && estimateTokens(text) > maxTokens) {
    text = text.slice(0, maxTokens * 4);
    truncated = true;
  }
  return { text, markers, truncated };
}

export const REFUSAL_TEXT = "I'm sorry, but I can't help with that request.";

/** A deterministic unit-length vector for `text` (same text and model → same vector). */
export function embeddingVector(model, text, dims) {
  const rnd = seededRandom(hash32(`${model}\u0000${text}`));
  const v = new Array(dims);
  let norm = 0;
  for (let i = 0; i < dims; i++) {
    v[i] = rnd() * 2 - 1;
    norm += v[i] * v[i];
  }
  norm = Math.sqrt(norm) || 1;
  for (let i = 0; i < dims; i++) v[i] = v[i] / norm;
  return v;
}

export const nowSeconds = () => Math.floor(Date.now() / 1000);

/** How many of `total` requests are done after `step` of `steps` equal steps toward `target`. */
export function processedAfter(step, steps, target) {
  return Math.min(target, Math.round((target * step) / steps));
}
