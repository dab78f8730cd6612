// Test doubles for the npm package's tests: fetchFn doubles that record what the package
// sends and answer with duck-typed responses, a recording logger, and helpers for mocked
// timers. (This directory holds no *.test.mjs file, so `node --test` does not run it.)

import { mock } from "node:test";

const STATUS_TEXT = {
  200: "OK",
  400: "Bad Request",
  401: "Unauthorized",
  404: "Not Found",
  408: "Request Timeout",
  409: "Conflict",
  429: "Too Many Requests",
  500: "Internal Server Error",
  502: "Bad Gateway",
  503: "Service Unavailable",
};

/**
 * A duck-typed response: `ok`, `status`, `statusText`, `json()`, `text()` and nothing else
 * (no `headers`), unless `headers` is given (then a real `Headers`).
 */
export function jsonResponse(body, { status = 200, statusText = STATUS_TEXT[status] ?? "", headers } = {}) {
  const text = typeof body === "string" ? body : JSON.stringify(body);
  const res = {
    ok: status >= 200 && status < 300,
    status,
    statusText,
    json: async () => JSON.parse(text),
    text: async () => text,
  };
  if (headers) res.headers = new Headers(headers);
  return res;
}

/** A non-OK duck-typed response whose body is `text`. */
export function errorResponse(status, text = "", { statusText = STATUS_TEXT[status] ?? "", headers } = {}) {
  const res = { ok: false, status, statusText, text: async () => text, json: async () => JSON.parse(text) };
  if (headers) res.headers = new Headers(headers);
  return res;
}

/** A text body (JSONL downloads). */
export function textResponse(text, status = 200) {
  return { ok: status < 300, status, statusText: STATUS_TEXT[status] ?? "", text: async () => text };
}

/**
 * A fetchFn double. `handler(call, index)` returns a response-like (or a promise of one),
 * or throws / rejects to simulate a network error. Every call is recorded:
 * `{url, init, method, headers, body, json}` (`json` is the parsed body when it is a string).
 */
export function fetchDouble(handler) {
  const calls = [];
  const fn = async (url, init) => {
    const call = {
      url,
      init,
      method: init?.method,
      headers: init?.headers,
      body: init?.body,
      json: typeof init?.body === "string" ? JSON.parse(init.body) : undefined,
      at: Date.now(),
    };
    calls.push(call);
    return handler(call, calls.length - 1);
  };
  fn.calls = calls;
  return fn;
}

/** A fetchFn double answering `responses` in order (a function entry is called; an Error is thrown). */
export function sequence(...responses) {
  return fetchDouble((call, i) => {
    if (i >= responses.length) throw new Error(`unexpected call #${i + 1}: ${call.method} ${call.url}`);
    const r = responses[i];
    if (r instanceof Error) throw r;
    return typeof r === "function" ? r(call) : r;
  });
}

/** An OpenAI chat completion answer. */
export function completion(content, { prompt = 11, completionTokens = 7, finish = "stop", refusal = null } = {}) {
  return {
    id: "chatcmpl-1",
    object: "chat.completion",
    choices: [{ index: 0, message: { role: "assistant", content, refusal }, finish_reason: finish }],
    usage: { prompt_tokens: prompt, completion_tokens: completionTokens, total_tokens: prompt + completionTokens },
  };
}

/** An Anthropic Message answer. */
export function claudeMessage(text, { input = 9, output = 4, stop = "end_turn", blocks } = {}) {
  return {
    id: "msg_1",
    type: "message",
    role: "assistant",
    content: blocks ?? [{ type: "text", text }],
    stop_reason: stop,
    usage: { input_tokens: input, output_tokens: output },
  };
}

/** A logger that records `[level, message, meta]`; `child(name)` records the name and shares the log. */
export function recordingLogger() {
  const lines = [];
  const children = [];
  const make = (prefix) => ({
    info: (msg, meta) => lines.push(["info", msg, meta, prefix]),
    warn: (msg, meta) => lines.push(["warn", msg, meta, prefix]),
    error: (msg, meta) => lines.push(["error", msg, meta, prefix]),
    debug: (msg, meta) => lines.push(["debug", msg, meta, prefix]),
    child: (name) => {
      children.push(name);
      return make(name);
    },
  });
  const logger = make(undefined);
  logger.lines = lines;
  logger.children = children;
  logger.messages = () => lines.map((l) => l[1]);
  logger.find = (msg) => lines.filter((l) => l[1] === msg);
  return logger;
}

/** Lets pending promise callbacks (and the wasm futures behind them) run. */
export async function flush(rounds = 20) {
  for (let i = 0; i < rounds; i++) await new Promise((resolve) => setImmediate(resolve));
}

/**
 * Mocks `setTimeout` and `Date` (the package looks the global `setTimeout` up at each call)
 * and returns helpers. `runUntilSettled(promise)` fires every pending timer, advancing the
 * clock to it, until `promise` settles; it returns the settled outcome.
 */
export function mockClock(now = 1_700_000_000_000) {
  mock.timers.enable({ apis: ["setTimeout", "Date"], now });
  return {
    start: now,
    async runUntilSettled(promise, maxSteps = 10_000) {
      let settled;
      promise.then(
        (value) => (settled = { value }),
        (error) => (settled = { error }),
      );
      for (let i = 0; i < maxSteps && !settled; i++) {
        await flush();
        if (!settled) mock.timers.runAll();
      }
      await flush();
      if (!settled) throw new Error("the promise did not settle");
      return settled;
    },
    restore: () => mock.timers.reset(),
  };
}

/** Reads a FormData body as `{fields, files: [{field, filename, type, text}]}`. */
export async function readForm(form) {
  const fields = {};
  const files = [];
  for (const [name, value] of form.entries()) {
    if (typeof value === "string") fields[name] = value;
    else files.push({ field: name, filename: value.name, type: value.type, text: await value.text() });
  }
  return { fields, files };
}

export const messages = [
  { role: "system", content: "Answer in JSON." },
  { role: "user", content: "Three primary colours?" },
];
