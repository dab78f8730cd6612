// The demo page: loads the edge-llm browser entry (wasm) for the token panel and wires the
// panels that talk to the Worker. The panels work before the wasm arrives; only the count waits.

import init, { countTokens, encodingForModel } from "./pkg/web.js";
import { gatewayToken } from "./api.js";
import { fillModelControls, fillStreamModels } from "./models.js";
import { setupTokens } from "./tokens.js";
import { setupChat } from "./chat.js";
import { setupStreamChat } from "./stream-chat.js";
import { setupBatch } from "./batch.js";
import { setupHealth } from "./health.js";

const ready = init().then(() => ({ countTokens, encodingForModel }));
// Tests and the curious can wait on this: resolves once the tokenizer is usable.
window.edgeLlmReady = ready.then(
  () => (performance.mark("edge-llm-ready"), true),
  () => false,
);

const $ = (id) => document.getElementById(id);
const tokenInput = $("gateway-token");
const tokenState = $("token-state");

function showTokenState() {
  const set = Boolean(gatewayToken.get());
  tokenState.textContent = set
    ? "A token is set for this tab (kept in sessionStorage until the tab closes)."
    : "No token yet: chat, batches and health need the Worker's GATEWAY_TOKEN.";
  document.body.dataset.token = set ? "set" : "unset";
}

const needToken = () => {
  tokenInput.focus();
  tokenState.textContent = "Enter the gateway token first (GATEWAY_TOKEN in .dev.vars for a local run).";
};

fillModelControls();
fillStreamModels();
setupTokens(ready);
setupChat({ onNeedToken: needToken });
setupStreamChat({ onNeedToken: needToken });
setupBatch({ onNeedToken: needToken });
const health = setupHealth({
  onNeedToken: needToken,
  // Health names the Worker's configured LLM: the provider menus say what "default" means.
  onConfigured: ({ provider, model }) => {
    for (const option of document.querySelectorAll('.provider-select option[value=""]')) {
      option.textContent = `The Worker's default (${provider} / ${model})`;
    }
  },
});

$("token-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const value = tokenInput.value.trim();
  if (!value) return needToken();
  gatewayToken.set(value);
  tokenInput.value = "";
  showTokenState();
  health.check();
});
$("token-forget").addEventListener("click", () => {
  gatewayToken.clear();
  showTokenState();
});

showTokenState();
if (gatewayToken.get()) health.check();
