// Models the page offers, with the context windows of the contract (§2): every OpenAI model
// 128,000 tokens, Anthropic 200,000, Ollama's default 8,192. Anthropic's tokenizer is not
// public and Ollama's depends on the model: their counts are o200k_base estimates.

export const PROVIDERS = [
  { id: "openai", label: "OpenAI", contextWindow: 128_000, exact: true },
  { id: "anthropic", label: "Anthropic", contextWindow: 200_000, exact: false },
  { id: "ollama", label: "Ollama", contextWindow: 8_192, exact: false },
];

export const MODELS = [
  { id: "gpt-4o", provider: "openai" },
  { id: "gpt-4o-mini", provider: "openai" },
  { id: "gpt-4.1", provider: "openai" },
  { id: "gpt-5", provider: "openai" },
  { id: "o3-mini", provider: "openai" },
  { id: "gpt-4", provider: "openai" },
  { id: "gpt-3.5-turbo", provider: "openai" },
  { id: "claude-sonnet-4-5", provider: "anthropic" },
  { id: "claude-opus-4-1", provider: "anthropic" },
  { id: "claude-3-5-haiku-latest", provider: "anthropic" },
  { id: "llama3.2", provider: "ollama" },
].map((m) => ({ ...m, ...pick(PROVIDERS.find((p) => p.id === m.provider)) }));

function pick({ contextWindow, exact, label }) {
  return { contextWindow, exact, providerLabel: label };
}

export const modelById = (id) => MODELS.find((m) => m.id === id) ?? MODELS[0];

/** Fills the model <datalist> and every provider <select> (first option: the Worker's default). */
export function fillModelControls(doc = document) {
  const list = doc.getElementById("model-names");
  for (const m of MODELS) list.append(new Option(`${m.providerLabel}`, m.id));
  for (const select of doc.querySelectorAll(".provider-select")) {
    select.append(new Option("The Worker's default", ""));
    for (const p of PROVIDERS) select.append(new Option(p.label, p.id));
  }
}

/** The compatible route's model names: `provider/model` (a bare name is the Worker's provider). */
export function fillStreamModels(doc = document) {
  const list = doc.getElementById("stream-models");
  for (const m of MODELS) list.append(new Option(m.providerLabel, m.provider === "openai" ? m.id : `${m.provider}/${m.id}`));
}

/** `{provider?, model?}` for a request body, leaving out what is empty. */
export function target(providerSelect, modelInput) {
  const out = {};
  if (providerSelect.value) out.provider = providerSelect.value;
  const model = modelInput.value.trim();
  if (model) out.model = model;
  return out;
}
