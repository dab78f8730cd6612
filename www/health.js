// Health panel: GET /v1/health[?deep=1] → one card per configured provider (ok / failing,
// latency, error text). The route answers 503 when one fails; that is still a report.

import { request, errorOf, describe, gatewayToken } from "./api.js";
import { setBusy } from "./ui.js";

const fmt = new Intl.NumberFormat("en");

export function setupHealth({ onNeedToken, onConfigured = () => {} }) {
  const $ = (id) => document.getElementById(id);
  const button = $("health-check");
  const deep = $("health-deep");
  const summary = $("health-summary");
  const error = $("health-error");
  const cards = $("health-cards");

  async function check() {
    error.hidden = true;
    if (!gatewayToken.get()) {
      summary.textContent = "Enter the gateway token above to check the providers.";
      return;
    }
    if (!setBusy(button, true)) return;
    summary.textContent = "Checking…";
    try {
      const res = await request("GET", `/v1/health${deep.checked ? "?deep=1" : ""}`);
      if (!Array.isArray(res.body?.providers)) throw errorOf(res);
      render(res.body);
    } catch (e) {
      summary.textContent = "";
      error.textContent = describe(e);
      error.hidden = false;
      if (e.status === 401) onNeedToken();
    } finally {
      setBusy(button, false);
    }
  }

  function render({ ok, providers }) {
    const llm = providers.find((p) => p.kind === "llm");
    if (llm) onConfigured(llm);
    const failing = providers.filter((p) => !p.ok).length;
    summary.textContent =
      providers.length === 0
        ? "No provider is configured."
        : ok
          ? `All ${providers.length} providers ok · checked ${new Date().toLocaleTimeString()}`
          : `${failing} of ${providers.length} providers failing · checked ${new Date().toLocaleTimeString()}`;
    summary.dataset.ok = String(ok);
    cards.replaceChildren(
      ...providers.map((p) => {
        const li = document.createElement("li");
        li.className = `card ${p.ok ? "ok" : "failing"}`;
        li.dataset.kind = p.kind;
        li.dataset.ok = String(p.ok);
        const title = document.createElement("h3");
        title.className = "h3";
        title.textContent = `${p.kind === "llm" ? "LLM" : "Embeddings"} · ${p.provider}`;
        const badge = document.createElement("p");
        badge.className = "badge";
        badge.textContent = p.ok ? "✓ ok" : "✗ failing";
        const dl = document.createElement("dl");
        for (const [k, v] of [["Model", p.model || "–"], ["Latency", `${fmt.format(p.latencyMs ?? 0)} ms`]]) {
          const dt = document.createElement("dt");
          dt.textContent = k;
          const dd = document.createElement("dd");
          dd.textContent = v;
          dl.append(dt, dd);
        }
        li.append(title, badge, dl);
        if (p.error) {
          const err = document.createElement("p");
          err.className = "error card-error";
          err.textContent = p.error;
          li.append(err);
        }
        return li;
      }),
    );
  }

  button.addEventListener("click", check);
  if (!gatewayToken.get()) summary.textContent = "Enter the gateway token above to check the providers.";
  return { check };
}
