// Batch panel: prompts or a JSONL file → POST /v1/batches → a progress bar driven by
// `requestCounts`, polled while the batch is open (the Worker's cron moves it; the page never
// does) → every result page, in input order, in a table, and a "download JSON" button.
// The open batch's id is kept in sessionStorage, so a reload picks it up again.

import { api, describe, ApiError } from "./api.js";
import { target } from "./models.js";
import { promptsToRequests, jsonlToRequests } from "./batch-input.js";
import { setBusy } from "./ui.js";

const POLL_MS = 1500;
const OPEN = new Set(["validating", "in_progress", "finalizing", "cancelling"]);
const MAX_ROWS = 1000; // rows drawn; the download has them all
const BATCH_KEY = "edge-llm.batchId";
const fmt = new Intl.NumberFormat("en");

export function setupBatch({ onNeedToken }) {
  const $ = (id) => document.getElementById(id);
  const form = $("batch-form");
  const submit = $("batch-submit");
  const fileInput = $("batch-file");
  const fileState = $("batch-file-state");
  const clearFile = $("batch-clear-file");
  const formError = $("batch-error");
  const statusBox = $("batch-status");
  const progress = $("batch-progress");
  const progressText = $("batch-progress-text");
  const upstreamError = $("batch-upstream-error");
  const cancel = $("batch-cancel");
  const download = $("batch-download");
  const resultsBox = $("batch-results");
  const tbody = $("batch-table").tBodies[0];

  let fileRequests = null;
  let generation = 0; // a new batch stops the old one's polling
  let timer = 0;
  let current = null; // {id, status, results}

  const showError = (el, message) => {
    el.textContent = message;
    el.hidden = !message;
  };

  fileInput.addEventListener("change", async () => {
    fileRequests = null;
    const file = fileInput.files?.[0];
    if (!file) return usePrompts();
    try {
      fileRequests = jsonlToRequests(await file.text());
      fileState.textContent = `${file.name}: ${fmt.format(fileRequests.length)} requests (used instead of the prompts).`;
      clearFile.hidden = false;
      showError(formError, "");
    } catch (e) {
      fileState.textContent = "";
      showError(formError, `${file.name}: ${e.message}`);
      fileInput.value = "";
    }
  });
  const usePrompts = () => {
    fileRequests = null;
    fileInput.value = "";
    fileState.textContent = "";
    clearFile.hidden = true;
  };
  clearFile.addEventListener("click", () => {
    usePrompts();
    $("batch-prompts").focus();
  });

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const requests = fileRequests ?? promptsToRequests($("batch-prompts").value, $("batch-system").value);
    if (requests.length === 0) return showError(formError, "Type at least one prompt, or choose a JSONL file.");
    showError(formError, "");
    if (!setBusy(submit, true)) return;
    form.setAttribute("aria-busy", "true");
    try {
      const created = await api("POST", "/v1/batches", { requests, ...target($("batch-provider"), $("batch-model")) });
      sessionStorage.setItem(BATCH_KEY, created.id);
      follow(created);
    } catch (e) {
      showError(formError, describe(e));
      if (e.type === "no_token") onNeedToken();
    } finally {
      setBusy(submit, false);
      form.removeAttribute("aria-busy");
    }
  });

  cancel.addEventListener("click", async () => {
    if (!current || !setBusy(cancel, true)) return;
    try {
      show(await api("POST", `/v1/batches/${encodeURIComponent(current.id)}/cancel`));
      if (cancel.hidden) progressText.focus(); // the button is gone: keep keyboard focus nearby
    } catch (e) {
      showError(upstreamError, describe(e));
    } finally {
      setBusy(cancel, false);
    }
  });

  download.addEventListener("click", () => {
    if (!current?.results) return;
    const json = JSON.stringify({ batch: current.status, results: current.results }, null, 2);
    const url = URL.createObjectURL(new Blob([json], { type: "application/json" }));
    const a = Object.assign(document.createElement("a"), { href: url, download: `batch-${current.id}.json` });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  });

  /** Starts showing (and polling) the batch described by `status`. */
  function follow(status) {
    generation += 1;
    clearTimeout(timer);
    current = { id: status.id, status, results: null };
    $("batch-id").textContent = status.id;
    resultsBox.hidden = true;
    download.hidden = true;
    tbody.replaceChildren();
    statusBox.hidden = false;
    show(status);
    const gen = generation;
    if (OPEN.has(status.status)) timer = setTimeout(() => poll(gen), POLL_MS);
    else loadResults(gen);
  }

  async function poll(gen) {
    if (gen !== generation) return;
    try {
      const status = await api("GET", `/v1/batches/${encodeURIComponent(current.id)}`);
      if (gen !== generation) return;
      show(status);
      if (OPEN.has(status.status)) timer = setTimeout(() => poll(gen), POLL_MS);
      else await loadResults(gen);
    } catch (e) {
      if (gen !== generation) return;
      showError(upstreamError, describe(e));
      const fatal = e instanceof ApiError && [401, 404].includes(e.status);
      if (fatal) sessionStorage.removeItem(BATCH_KEY);
      else timer = setTimeout(() => poll(gen), POLL_MS * 2);
    }
  }

  function show(status) {
    current.status = status;
    const c = status.requestCounts ?? { total: 0, completed: 0, failed: 0 };
    const total = Math.max(c.total, 1);
    const done = Math.min(c.completed + c.failed, total);
    const pct = Math.floor((100 * done) / total);
    progress.max = total;
    progress.value = done;
    progressText.dataset.percent = String(pct);
    progressText.dataset.status = status.status;
    progressText.textContent =
      `${pct} % · ${fmt.format(done)} of ${fmt.format(c.total)} done` +
      (c.failed ? ` (${fmt.format(c.failed)} failed)` : "") +
      ` · ${status.status.replace("_", " ")}` +
      (OPEN.has(status.status) ? " — updating by itself" : "");
    showError(upstreamError, status.error ? `Batch error: ${status.error}` : "");
    cancel.hidden = !["validating", "in_progress", "finalizing"].includes(status.status);
  }

  async function loadResults(gen) {
    const id = current.id;
    const results = [];
    try {
      let cursor;
      do {
        const page = await api("GET", `/v1/batches/${encodeURIComponent(id)}/results${cursor ? `?cursor=${encodeURIComponent(cursor)}` : ""}`);
        if (gen !== generation) return;
        results.push(...page.results);
        cursor = page.next;
      } while (cursor);
    } catch (e) {
      if (gen === generation) showError(upstreamError, describe(e));
      return;
    }
    sessionStorage.removeItem(BATCH_KEY);
    current.results = results;
    renderResults(results);
  }

  function renderResults(results) {
    const rows = results.slice(0, MAX_ROWS).map((r, i) => {
      const tr = document.createElement("tr");
      const failed = typeof r.error === "string";
      tr.className = failed ? "failed" : "ok";
      tr.dataset.id = r.id;
      const outcome = failed ? "✗ Error" : "✓ OK";
      const body = failed ? r.error : JSON.stringify(r.response);
      const usage = r.usage ? `${fmt.format(r.usage.inputTokens)} / ${fmt.format(r.usage.outputTokens)}` : "–";
      for (const [text, cls] of [[String(i + 1), "num"], [r.id, "id"], [outcome, "outcome"], [body, "body"], [usage, "num"]]) {
        const td = document.createElement("td");
        td.textContent = text;
        td.className = cls;
        tr.append(td);
      }
      return tr;
    });
    tbody.replaceChildren(...rows);
    const failed = results.filter((r) => typeof r.error === "string").length;
    $("batch-results-summary").textContent =
      `${fmt.format(results.length)} results in input order, ${fmt.format(failed)} with an error` +
      (results.length > MAX_ROWS ? `; the first ${fmt.format(MAX_ROWS)} are shown, the download has them all.` : ".");
    resultsBox.hidden = false;
    download.hidden = false;
  }

  // A batch left open in this tab (e.g. before a reload) is picked up again.
  const resume = sessionStorage.getItem(BATCH_KEY);
  if (resume) {
    api("GET", `/v1/batches/${encodeURIComponent(resume)}`).then(follow, () => sessionStorage.removeItem(BATCH_KEY));
  }
}
