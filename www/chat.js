// Chat panel: system + user message → POST /v1/chat → the JSON answer, pretty-printed, with
// token usage; an error shows the message the API returned.

import { api, describe } from "./api.js";
import { target } from "./models.js";
import { setBusy } from "./ui.js";

const fmt = new Intl.NumberFormat("en");

export function setupChat({ onNeedToken }) {
  const $ = (id) => document.getElementById(id);
  const form = $("chat-form");
  const send = $("chat-send");
  const busy = $("chat-busy");
  const error = $("chat-error");
  const result = $("chat-result");
  const answer = $("chat-answer");
  const usage = $("chat-usage");

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!setBusy(send, true)) return;
    const messages = [];
    const system = $("chat-system").value.trim();
    if (system) messages.push({ role: "system", content: system });
    messages.push({ role: "user", content: $("chat-user").value });
    error.hidden = true;
    form.setAttribute("aria-busy", "true");
    busy.textContent = "Waiting for the answer…";
    const started = performance.now();
    try {
      const out = await api("POST", "/v1/chat", { messages, ...target($("chat-provider"), $("chat-model")) });
      answer.textContent = JSON.stringify(out.response, null, 2);
      const u = out.usage ?? {};
      usage.textContent =
        `${fmt.format(u.inputTokens ?? 0)} input tokens · ${fmt.format(u.outputTokens ?? 0)} output tokens` +
        ` · ${out.provider} / ${out.model} · ${fmt.format(Math.round(performance.now() - started))} ms`;
      result.hidden = false;
      busy.textContent = "Answered.";
    } catch (e) {
      result.hidden = true;
      error.textContent = describe(e);
      error.hidden = false;
      busy.textContent = "";
      if (e.type === "no_token") onNeedToken();
    } finally {
      setBusy(send, false);
      form.removeAttribute("aria-busy");
    }
  });

  // Ctrl+Enter / ⌘+Enter sends from either text area.
  form.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey) && event.target instanceof HTMLTextAreaElement) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
}
