// HTTP plumbing shared by every route: reading bodies, sending results, CORS, fault
// injection and the optional debug log. Routes never touch `res` directly; they return a
// result object and `sendResult` writes it:
//   { status, body?, headers?, contentType? }        body: object → JSON, string/Buffer as is
//   { status, lines, headers?, contentType? }        lines: iterable of strings → streamed JSONL
//   { status, chunks, headers?, contentType?, delayMs?, cutAfter? }   chunks: strings, one write each

import { STATUS_CODES } from "node:http";
import { streamLines } from "./jsonl-stream.mjs";
import { streamChunks } from "./chunk-stream.mjs";

/** Upper bound for a request body; OpenAI batch input files may be 200 MB. */
export const MAX_BODY_BYTES = 512 * 1024 * 1024;

export class HttpError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

/** Reads the whole body into one Buffer (uploads are parsed from memory). */
export async function readBody(req, limit = MAX_BODY_BYTES) {
  const declared = Number(req.headers["content-length"]);
  if (declared > limit) throw new HttpError(413, `Request body larger than ${limit} bytes`);
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > limit) throw new HttpError(413, `Request body larger than ${limit} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, size);
}

/**
 * A route table entry: "/files/:id/content" becomes a regex with a named group per
 * parameter; the dispatcher URI-decodes the groups into `ctx.params`.
 */
export function route(method, pattern, handler) {
  const source = pattern.replace(/:(\w+)/g, "(?<$1>[^/]+)");
  return { method, regex: new RegExp(`^${source}$`), handler };
}

/** The parsed JSON body, `{}` for an empty one, or undefined when it is not a JSON object. */
export function jsonObject(ctx) {
  if (ctx.bodyText.trim() === "") return {};
  const j = ctx.json;
  return typeof j === "object" && j !== null && !Array.isArray(j) ? j : undefined;
}

export function parseQuery(searchParams) {
  const query = {};
  for (const [k, v] of searchParams) query[k] = v;
  return query;
}

// The fake is reached from browser pages on another origin, like the real OpenAI API
// (which answers CORS). Retry hints must be exposed or a page cannot read them.
const CORS = {
  "access-control-allow-origin": "*",
  "access-control-expose-headers": "retry-after, retry-after-ms, x-request-id, request-id",
};

/**
 * Answers a CORS preflight. Chromium's Private Network Access also asks before a page on
 * another origin may reach 127.0.0.1; saying yes keeps browser tests working.
 */
export function preflight(req, res) {
  const headers = {
    ...CORS,
    "access-control-allow-methods": "GET, POST, DELETE, OPTIONS",
    "access-control-allow-headers": req.headers["access-control-request-headers"] ?? "*",
    "access-control-max-age": "600",
  };
  if (req.headers["access-control-request-private-network"] === "true") headers["access-control-allow-private-network"] = "true";
  res.writeHead(204, headers);
  res.end();
}

/**
 * Writes a route's result. `dropAfterBytes` (from a fault) cuts the connection once that
 * many body bytes are out — a download that dies half way. A streamed result notes what
 * happened on `record` (see chunk-stream.mjs); `signal` stops it when the server closes.
 */
export async function sendResult(res, result, { dropAfterBytes, record, signal } = {}) {
  const headers = { ...CORS, ...(result.headers ?? {}) };
  if (result.chunks) {
    headers["content-type"] = result.contentType ?? "text/event-stream; charset=utf-8";
    headers["cache-control"] = "no-cache";
    const { delayMs, cutAfter } = result;
    await streamChunks(res, result.chunks, { status: result.status ?? 200, headers, delayMs, cutAfter, record, signal });
    return;
  }
  if (result.lines) {
    headers["content-type"] = result.contentType ?? "application/jsonl";
    await streamLines(res, result.lines, { status: result.status ?? 200, headers, dropAfterBytes });
    return;
  }
  let payload = result.body;
  if (payload === undefined || payload === null) payload = Buffer.alloc(0);
  else if (Buffer.isBuffer(payload)) headers["content-type"] ??= result.contentType ?? "application/octet-stream";
  else if (typeof payload === "string") headers["content-type"] ??= result.contentType ?? "text/plain; charset=utf-8";
  else {
    payload = JSON.stringify(payload);
    headers["content-type"] ??= result.contentType ?? "application/json";
  }
  const bytes = Buffer.isBuffer(payload) ? payload : Buffer.from(payload);
  headers["content-length"] = String(bytes.length);
  res.writeHead(result.status ?? 200, STATUS_CODES[result.status] ?? "Unknown", headers);
  if (dropAfterBytes !== undefined && dropAfterBytes < bytes.length) {
    res.write(bytes.subarray(0, dropAfterBytes), () => res.destroy());
    return;
  }
  res.end(bytes);
}

/** Resolves after `ms`, or early when `signal` aborts (server closing, client gone). */
export function sleep(ms, signal) {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}

// ---- faults ---------------------------------------------------------------------------

const FAULT_KEYS = new Set(["method", "path", "status", "body", "headers", "drop", "delayMs", "times", "dropAfterBytes", "dropAfterHandling", "rate"]);

/** Checks a fault list from a scenario patch and gives each its own `remaining` counter. */
export function normaliseFaults(faults) {
  if (!Array.isArray(faults)) throw new Error("scenario.faults must be an array");
  return faults.map((f, i) => {
    if (typeof f !== "object" || f === null) throw new Error(`faults[${i}] must be an object`);
    for (const k of Object.keys(f)) if (!FAULT_KEYS.has(k)) throw new Error(`faults[${i}]: unknown key '${k}'`);
    if (typeof f.path !== "string") throw new Error(`faults[${i}].path must be a regex source string`);
    if (f.status !== undefined && !(Number.isInteger(f.status) && f.status >= 100 && f.status <= 999)) {
      throw new Error(`faults[${i}].status must be an HTTP status code`);
    }
    if (f.rate !== undefined && !(typeof f.rate === "number" && f.rate >= 0 && f.rate <= 1)) {
      throw new Error(`faults[${i}].rate must be a number from 0 to 1`);
    }
    const regex = new RegExp(f.path);
    return { ...f, remaining: f.times ?? Infinity, regex };
  });
}

/**
 * The first fault that matches and still has uses left; using it spends one. A fault with a
 * `rate` applies to that share of the requests it matches, drawn from `random` (seeded, so a
 * soak run can be replayed).
 */
export function takeFault(faults, method, path, random = Math.random) {
  for (const fault of faults) {
    if (fault.remaining <= 0) continue;
    if (fault.method && fault.method.toUpperCase() !== method) continue;
    if (!fault.regex.test(path)) continue;
    if (fault.rate !== undefined && random() >= fault.rate) continue;
    fault.remaining -= 1;
    return fault;
  }
  return undefined;
}

/** The fault list as plain JSON (for /__control/state): regexes out, counters in. */
export function describeFaults(faults) {
  return faults.map(({ regex, remaining, ...rest }) => ({ ...rest, remaining: remaining === Infinity ? null : remaining }));
}

// ---- debug log -------------------------------------------------------------------------

const DEBUG = process.env.FAKE_PROVIDER_DEBUG === "1";

/** One line per request on stderr when FAKE_PROVIDER_DEBUG=1; never headers or bodies (keys). */
export function debugLog(method, path, status, startedMs, note = "") {
  if (!DEBUG) return;
  process.stderr.write(`fake-provider ${method} ${path} → ${status} (${Date.now() - startedMs} ms)${note ? ` ${note}` : ""}\n`);
}
