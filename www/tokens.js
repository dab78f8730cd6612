// Tokens panel: a live count computed in the page by the package's wasm `countTokens`, the
// encoding from `encodingForModel`, and how much of the model's context window the text uses.

import { MODELS, PROVIDERS, modelById } from "./models.js";

const fmt = new Intl.NumberFormat("en");
// Counting runs at tens of MB/s, so every keystroke is counted at once; past this size the
// count waits for a pause in typing instead, to keep typing smooth.
const IMMEDIATE_CHARS = 200_000;
const DEBOUNCE_MS = 120;

/** `ready` resolves to the initialised browser entry (`countTokens`, `encodingForModel`). */
export function setupTokens(ready) {
  const $ = (id) => document.getElementById(id);
  const select = $("tokens-model");
  const text = $("tokens-text");
  const count = $("tokens-count");
  const encoding = $("tokens-encoding");
  const estimate = $("tokens-estimate");
  const meter = $("tokens-window");
  const windowText = $("tokens-window-text");

  for (const p of PROVIDERS) {
    const group = document.createElement("optgroup");
    group.label = `${p.label} (${fmt.format(p.contextWindow)} tokens)`;
    for (const m of MODELS.filter((m) => m.provider === p.id)) group.append(new Option(m.id, m.id));
    select.append(group);
  }

  let pkg = null;
  let timer = 0;
  const update = () => {
    timer = 0;
    const model = modelById(select.value);
    meter.max = model.contextWindow;
    meter.low = Math.round(model.contextWindow * 0.75);
    meter.high = Math.round(model.contextWindow * 0.95);
    estimate.hidden = model.exact;
    if (!pkg) return;
    const n = pkg.countTokens(text.value, model.id);
    count.textContent = fmt.format(n);
    count.dataset.tokens = String(n);
    count.dataset.state = "ready";
    encoding.textContent = pkg.encodingForModel(model.id);
    meter.value = Math.min(n, model.contextWindow);
    const pct = (100 * n) / model.contextWindow;
    const shown = pct === 0 ? "0" : pct < 0.1 ? "< 0.1" : pct.toFixed(pct < 10 ? 1 : 0);
    const over = n > model.contextWindow;
    windowText.textContent = over
      ? `${shown} % of ${fmt.format(model.contextWindow)} — over the window by ${fmt.format(n - model.contextWindow)} tokens`
      : `${shown} % of ${fmt.format(model.contextWindow)}`;
    windowText.classList.toggle("error", over);
    meter.setAttribute("aria-valuetext", windowText.textContent);
  };
  const schedule = () => {
    if (timer) clearTimeout(timer);
    if (text.value.length <= IMMEDIATE_CHARS) update();
    else timer = setTimeout(update, DEBOUNCE_MS);
  };
  text.addEventListener("input", schedule);
  select.addEventListener("change", update);
  update();

  ready.then(
    (loaded) => {
      pkg = loaded;
      update();
    },
    (error) => {
      count.textContent = "–";
      count.dataset.state = "failed";
      encoding.textContent = `the tokenizer did not load: ${error.message}`;
      encoding.classList.add("error");
    },
  );
}
