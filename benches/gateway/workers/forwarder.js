// The floor the Worker is measured against (issue 10): a bare JavaScript Worker doing the chat
// route's job — check the bearer token, send the messages to OpenAI in JSON mode, read the
// answer's JSON content, answer {response, usage, provider, model} — with none of the
// Worker's validation, retries, timeouts, logs or error shapes.
export default {
  async fetch(request, env) {
    if (request.headers.get("authorization") !== `Bearer ${env.GATEWAY_TOKEN}`) return new Response("unauthorized", { status: 401 });
    const url = new URL(request.url);
    if (url.pathname.startsWith("/v1/batches/")) { // the batch status route's job: read the record, answer it
      const record = await env.BATCHES.get(`batch:${url.pathname.slice(12)}`);
      return new Response(record, { headers: { "content-type": "application/json" } });
    }
    const { messages } = await request.json();
    const upstream = await fetch(`${env.OPENAI_BASE_URL}/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${env.OPENAI_API_KEY}`, "content-type": "application/json" },
      body: JSON.stringify({ model: env.LLM_MODEL, max_tokens: 8192, response_format: { type: "json_object" }, messages }),
    });
    const answer = await upstream.json();
    const usage = { inputTokens: answer.usage.prompt_tokens, outputTokens: answer.usage.completion_tokens };
    const response = JSON.parse(answer.choices[0].message.content);
    return Response.json({ response, usage, provider: "openai", model: env.LLM_MODEL });
  },
};
