// What one call into the workerd runtime costs, by kind: each path repeats one call CALLS
// times per request (runtime-calls.mjs subtracts the empty path). The Worker's wasm makes
// these calls through its glue; the figures say which are worth avoiding.
const CALLS = 1000;
const decoder = new TextDecoder("utf-8", { ignoreBOM: true });
const memory = new Uint8Array(256).map((_, i) => 97 + (i % 26));
const line = JSON.stringify({ level: "info", msg: "request", method: "POST", path: "/v1/chat", provider: "openai", status: 200, durationMs: 1 });
const answer = { response: { priority: "high" }, usage: { inputTokens: 1, outputTokens: 2 }, provider: "openai", model: "gpt-4o-mini" };

const CASES = {
  "/empty": () => 0,
  "/text-decoder-decode-12-bytes": (i) => decoder.decode(memory.subarray(i & 31, (i & 31) + 12)).length,
  "/headers-get": (i, request) => (request.headers.get("authorization") ?? "").length,
  "/request-method": (i, request) => request.method.length,
  "/request-cf": (i, request) => (request.cf ? 1 : 0),
  "/set-and-clear-timeout": () => clearTimeout(setTimeout(() => {}, 60_000)),
  "/abort-controller-signal": () => (new AbortController().signal.aborted ? 1 : 0),
  "/console-log-100-bytes": () => console.log(line),
  "/new-headers-and-set": () => new Headers().set("content-type", "application/json"),
  "/response-bytes-with-headers": () => {
    const headers = new Headers();
    headers.set("content-type", "application/json");
    return new Response(memory.subarray(0, 100), { status: 200, headers }).status;
  },
  "/response-json": () => Response.json(answer).status,
};

export const PATHS = Object.keys(CASES);

export default {
  async fetch(request) {
    const run = CASES[new URL(request.url).pathname];
    if (!run) return new Response(JSON.stringify(PATHS), { status: 404 });
    let sum = 0;
    for (let i = 0; i < CALLS; i++) sum += Number(run(i, request)) || 0;
    return new Response(String(sum));
  },
};
