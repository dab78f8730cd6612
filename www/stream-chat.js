// Streaming chat on the OpenAI-compatible route: POST /v1/chat/completions with
// `stream: true`, read as Server-Sent Events, each token appended as it arrives. A
// conversation: earlier turns are sent again with each message. Stop aborts the request,
// which makes the Worker abort its upstream call too.

import { describe, errorOf, gatewayToken, ApiError } from "./api.js";
import { setBusy } from "./ui.js";

const fmt = new Intl.NumberFormat("en");

/** The `data` payloads of an SSE byte stream, as they complete. */
async function* events(body, signal) {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      buffer += decoder.decode(value, { stream: true }).replace(/\r\n?/g, "\n");
      let end;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        const data = buffer.slice(0, end).split("\n").filter((l) => l.startsWith("data:")).map((l) => l.slice(5).trimStart()).join("\n");
        buffer = buffer.slice(end + 2);
        if (data) yield data;
      }
    }
  } finally {
    if (signal.aborted) reader.cancel().catch(() => {});
  }
}

export function setupStreamChat({ onNeedToken }) {
  const $ = (id) => document.getElementById(id);
  const form = $("stream-form");
  const send = $("stream-send");
  const stop = $("stream-stop");
  const clear = $("stream-clear");
  const status = $("stream-status");
  const error = $("stream-error");
  const log = $("stream-log");
  const history = [];
  let controller;

  const turn = (role, text) => {
    const item = document.createElement("li");
    item.className = `turn ${role}`;
    const who = document.createElement("span");
    who.className = "who";
    who.textContent = role === "user" ? "You" : "Assistant";
    const body = document.createElement("div");
    body.className = "says";
    body.textContent = text;
    item.append(who, body);
    log.append(item);
    log.hidden = false;
    return body;
  };

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!gatewayToken.get()) {
      error.textContent = "Enter the gateway token above first.";
      error.hidden = false;
      return onNeedToken();
    }
    const text = $("stream-message").value.trim();
    if (!text || !setBusy(send, true)) return;
    error.hidden = true;
    const system = $("stream-system").value.trim();
    const messages = [...(system ? [{ role: "system", content: system }] : []), ...history, { role: "user", content: text }];
    turn("user", text);
    const out = turn("assistant", "");
    out.parentElement.setAttribute("aria-busy", "true");
    $("stream-message").value = "";
    controller = new AbortController();
    stop.hidden = false;
    status.textContent = "Waiting for the first token…";
    const started = performance.now();
    let firstToken;
    let usage;
    let answer = "";
    try {
      const res = await fetch("/v1/chat/completions", {
        method: "POST",
        headers: { authorization: `Bearer ${gatewayToken.get()}`, "content-type": "application/json", accept: "text/event-stream" },
        body: JSON.stringify({ model: $("stream-model").value.trim(), messages, stream: true, stream_options: { include_usage: true } }),
        signal: controller.signal,
        cache: "no-store",
      });
      if (!res.ok) {
        const body = await res.text();
        let json;
        try { json = JSON.parse(body); } catch {}
        throw errorOf({ status: res.status, statusText: res.statusText, body: json, text: body });
      }
      const provider = res.headers.get("x-edge-llm-provider") ?? "?";
      let finished = false;
      for await (const data of events(res.body, controller.signal)) {
        if (data === "[DONE]") { finished = true; break; }
        const chunk = JSON.parse(data);
        if (chunk.error) throw new ApiError(200, chunk.error.message, chunk.error.type);
        const piece = chunk.choices?.[0]?.delta?.content;
        if (piece) {
          firstToken ??= performance.now() - started;
          answer += piece;
          out.textContent = answer;
          log.scrollTop = log.scrollHeight;
          status.textContent = "Streaming…";
        }
        if (chunk.usage) usage = chunk.usage;
      }
      if (!finished) throw new ApiError(200, "The stream ended before [DONE].", "stream");
      history.push({ role: "user", content: text }, { role: "assistant", content: answer });
      const ms = (x) => `${fmt.format(Math.round(x))} ms`;
      status.textContent =
        `${fmt.format(usage?.prompt_tokens ?? 0)} input tokens · ${fmt.format(usage?.completion_tokens ?? 0)} output tokens` +
        ` · ${provider} · first token in ${firstToken === undefined ? "–" : ms(firstToken)} · ${ms(performance.now() - started)}`;
    } catch (e) {
      if (controller.signal.aborted) {
        status.textContent = `Stopped after ${fmt.format(answer.length)} characters.`;
        if (answer) history.push({ role: "user", content: text }, { role: "assistant", content: answer });
      } else {
        status.textContent = "";
        error.textContent = e instanceof ApiError && e.status === 200 ? `The stream failed: ${e.message}` : describe(e);
        error.hidden = false;
        if (!answer) out.parentElement.remove();
      }
    } finally {
      out.parentElement.removeAttribute("aria-busy");
      stop.hidden = true;
      setBusy(send, false);
    }
  });

  stop.addEventListener("click", () => controller?.abort());
  clear.addEventListener("click", () => {
    controller?.abort();
    history.length = 0;
    log.replaceChildren();
    log.hidden = true;
    status.textContent = "";
    error.hidden = true;
  });
  form.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey) && event.target instanceof HTMLTextAreaElement) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
}
