// What every gateway run sends: the Worker's configuration against the fake upstream, and
// the request shapes (a JSON-mode chat of ~300 bytes, a token count, a batch's status).

export const TOKEN = "bench-gateway-token-0123456789abcdef";

/** The vars and secrets both targets get (the forwarder reads the same names). */
export const bindingsFor = (upstream) => ({
  LLM_PROVIDER: "openai",
  LLM_MODEL: "gpt-4o-mini",
  OPENAI_BASE_URL: upstream.openaiBaseUrl,
  OPENAI_API_KEY: upstream.openaiKey,
  GATEWAY_TOKEN: TOKEN,
});

export const auth = { authorization: `Bearer ${TOKEN}` };
export const json = { ...auth, "content-type": "application/json" };

export const messages = [
  { role: "system", content: "You triage pull requests. Answer in JSON with keys priority and labels." },
  { role: "user", content: "PR #4182: Fix off-by-one in the pagination cursor; adds a regression test for the last page." },
];

export const chat = { method: "POST", path: "/v1/chat", headers: json, body: JSON.stringify({ messages }) };
export const tokens = { method: "POST", path: "/v1/tokens", headers: json, body: JSON.stringify({ text: chat.body, model: "gpt-4o" }) };

/** Creates a one-request batch through the gateway at `url`; resolves to its status shape. */
export async function batchStatus(url) {
  const created = await fetch(`${url}/v1/batches`, {
    method: "POST", headers: json, body: JSON.stringify({ requests: [{ id: "r0", messages: [{ role: "user", content: "json please" }] }] }),
  });
  const text = await created.text();
  if (created.status !== 202) throw new Error(`the batch create answered ${created.status}: ${text.slice(0, 300)}`);
  return { method: "GET", path: `/v1/batches/${JSON.parse(text).id}`, headers: auth };
}
