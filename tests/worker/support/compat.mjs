// Helpers for the OpenAI-compatible routes' tests: raw calls through Miniflare (for streams,
// whose body the `api` helper would read whole) and a Server-Sent Events reader. What they
// read is checked against api/openapi.json, as the `api` helper checks every answer.
import { checkAnswer, checkChatEvent } from "./openapi.mjs";

/** POSTs `body` to `path` and returns the Response unread. */
export function dispatch(w, path, body, { token = w.bindings.GATEWAY_TOKEN, signal } = {}) {
  const headers = { "content-type": "application/json" };
  if (token) headers.authorization = `Bearer ${token}`;
  return w.mf.dispatchFetch(`http://localhost${path}`, { method: "POST", headers, body: JSON.stringify(body), signal });
}

/** The whole body as text, once the answer is checked against the document. */
export async function checkedText(response, path = "/v1/chat/completions") {
  const text = await response.text();
  checkAnswer("POST", path, { status: response.status, headers: response.headers, text });
  return text;
}

/** Splits SSE text into `data` payloads (JSON parsed; `[DONE]` kept as the string). */
export function sseEvents(text) {
  return text.split("\n\n").filter((e) => e.trim()).map((e) => {
    const data = e.split("\n").filter((l) => l.startsWith("data: ")).map((l) => l.slice(6)).join("\n");
    return data === "[DONE]" ? data : JSON.parse(data);
  });
}

/** Reads an SSE body event by event: yields each payload as it is complete. */
export async function* readEvents(response) {
  const decoder = new TextDecoder();
  let buffer = "";
  for await (const bytes of response.body) {
    buffer += decoder.decode(bytes, { stream: true });
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const event = buffer.slice(0, end + 2);
      buffer = buffer.slice(end + 2);
      for (const e of sseEvents(event)) {
        if (e !== "[DONE]") checkChatEvent(e);
        yield e;
      }
    }
  }
}

/** The text a chunk list adds up to. */
export const contentOf = (chunks) => chunks.map((c) => c.choices?.[0]?.delta?.content ?? "").join("");

/** Waits until `check()` is true (bounded), for effects that happen after a response. */
export async function eventually(check, { timeoutMs = 3000, stepMs = 20 } = {}) {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, stepMs));
  }
  return true;
}

export const user = (content) => [{ role: "user", content }];
