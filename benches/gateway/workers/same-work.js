// The chat route's obligations written in JavaScript (issue 10): what the forwarder does, plus
// what the contract makes the edge-llm Worker do on every chat — the body read under a size
// cap, the message shapes checked, the upstream call under a 60 s timeout that aborts it, the
// answer's status checked before its body is read, one JSON log line with the secrets
// scrubbed from it, and a JSON answer. Its cost over the forwarder is the price of the
// contract; the Worker's cost over it is the price of doing that work in wasm. Errors are not
// shaped as the Worker's: only the success path is measured.
const LIMIT = 4 * 1024 * 1024;
const TIMEOUT_MS = 60_000;

export default {
  async fetch(request, env) {
    const started = Date.now();
    const url = new URL(request.url);
    if (request.headers.get("authorization") !== `Bearer ${env.GATEWAY_TOKEN}`) return new Response("unauthorized", { status: 401 });
    if (Number(request.headers.get("content-length")) > LIMIT) return new Response("too large", { status: 413 });
    const { messages } = JSON.parse(new TextDecoder().decode(await request.arrayBuffer()));
    if (!Array.isArray(messages) || !messages.every((m) => typeof m.role === "string" && typeof m.content === "string")) {
      return new Response("bad messages", { status: 400 });
    }

    const controller = new AbortController();
    let timer;
    const deadline = new Promise((resolve) => { timer = setTimeout(resolve, TIMEOUT_MS, "timeout"); });
    const call = fetch(`${env.OPENAI_BASE_URL}/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${env.OPENAI_API_KEY}`, "content-type": "application/json" },
      body: JSON.stringify({ model: env.LLM_MODEL, max_tokens: 8192, response_format: { type: "json_object" }, messages }),
      signal: controller.signal,
    });
    const upstream = await Promise.race([call, deadline]);
    clearTimeout(timer);
    if (upstream === "timeout") { controller.abort(); return new Response("timeout", { status: 504 }); }
    if (!upstream.ok) return new Response(`upstream ${upstream.status}`, { status: 502 });
    const answer = JSON.parse(await upstream.text());

    const usage = { inputTokens: answer.usage.prompt_tokens, outputTokens: answer.usage.completion_tokens };
    const response = JSON.parse(answer.choices[0].message.content);
    let line = JSON.stringify({ level: "info", msg: "request", method: request.method, path: url.pathname, provider: "openai", status: 200, durationMs: Date.now() - started });
    for (const secret of [env.OPENAI_API_KEY, env.GATEWAY_TOKEN]) if (line.includes(secret)) line = line.replaceAll(secret, "[redacted]");
    console.log(line);
    return new Response(JSON.stringify({ response, usage, provider: "openai", model: env.LLM_MODEL }), {
      headers: { "content-type": "application/json" },
    });
  },
};
