// The OpenAI batch lifecycle as a state machine, and the output / error files it produces.
//
// Lifecycle, one step per GET /batches/{id} (when `advanceOnGet`) or per advance():
//   validating ──(input file checked)──▶ in_progress ──(batchStepsToComplete steps)──▶
//   finalizing ──▶ completed            (outcome "completed")
//   expired                             (outcome "expired": after the in_progress steps)
//   cancelling ──▶ cancelled            (outcome "cancelled", or POST /cancel)
//   failed                              (invalid input file, or outcome "failed")
// During in_progress, requests finish in input order, an equal share per step, and
// `request_counts` follow. A batch copies the scenario when it is created (`run.plan`), so
// changing the scenario later does not change a batch already running.
//
// Memory: per request we keep its custom_id, its input line and a few numbers. Output and
// error files are generated line by line from those on download (see openai-files.mjs), so
// a 50k-request batch with 3 KB results never holds its 150 MB output.

import { BASE62, derivedId, hash32, HEX, nowSeconds, processedAfter, shuffledIndices } from "./util.mjs";
import { openaiCall, openaiPreview } from "./openai-wire.mjs";
import { addFile } from "./openai-files.mjs";
import { validateInputFile } from "./openai-batch-input.mjs";

const TERMINAL = new Set(["completed", "failed", "expired", "cancelled"]);
const END_CODES = {
  expired: ["batch_expired", "This request could not be executed before the completion window expired."],
  cancelled: ["batch_cancelled", "This request was not executed because the batch was cancelled."],
};
// What an `[[error-file]]` request carries in the error file.
const ERROR_FILE_ERROR = { code: "server_error", message: "The server had an error while processing your request. Sorry about that!" };

/** Marks requests up to `processed` (input order) as finished and updates the counts. */
function setProcessed(b, processed) {
  const { items } = b.run;
  for (let i = b.run.processed; i < processed; i++) {
    const item = items[i];
    if (item.status === 200 && !item.errorFile) {
      b.request_counts.completed += 1;
      b.usage.input += item.prompt;
      b.usage.output += item.completion;
    } else {
      b.request_counts.failed += 1;
    }
  }
  b.run.processed = processed;
}

/** One line of the output or error file for request `i`, built from stored data on demand. */
function resultLine(b, i) {
  const item = b.run.items[i];
  const key = `${b.id}:${i}`;
  const head = { id: derivedId("batch_req_", key, 32, BASE62), custom_id: item.customId };
  if (i >= b.run.processed) {
    const [code, message] = END_CODES[b.status];
    return JSON.stringify({ ...head, response: null, error: { code, message } });
  }
  if (item.errorFile) return JSON.stringify({ ...head, response: null, error: ERROR_FILE_ERROR });
  const ids = { id: (prefix) => derivedId(prefix, `${key}:${prefix}`, 29), created: b.finished_at };
  const result = openaiCall(b.endpoint, JSON.parse(item.line).body, b.run.plan.scenario, ids);
  const response = { status_code: result.status, request_id: derivedId("", `${key}:request`, 32, HEX), body: result.body };
  return JSON.stringify({ ...head, response, error: null });
}

/** Creates a generated JSONL file whose lines are produced from `indices` on each download. */
function generatedFile(state, b, indices, kind) {
  if (indices.length === 0) return null;
  const { shuffle, seed } = b.run.plan;
  const order = shuffle ? shuffledIndices(indices.length, hash32(`${seed}:${kind}`)) : undefined;
  const lines = function* () {
    for (let k = 0; k < indices.length; k++) yield resultLine(b, indices[order ? order[k] : k]);
  };
  return addFile(state, { filename: `${b.id}_${kind}.jsonl`, purpose: "batch_output", lines, createdAt: b.finished_at }).id;
}

/** Ends the batch in `status`: sorts requests into output / error file and creates them. */
function finish(state, b, status) {
  const now = nowSeconds();
  b.status = status;
  b[`${status}_at`] = now;
  b.finished_at = now;
  const items = b.run.items ?? [];
  const { processed, plan } = b.run;
  const output = [];
  const errors = [];
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    if (i >= processed || item.errorFile) errors.push(i);
    else if (item.status !== 200 && plan.httpErrorsInErrorFile) errors.push(i);
    else output.push(i);
  }
  b.request_counts.failed += items.length - processed;
  const withoutOutput = status === "completed" && plan.outputWithoutFile;
  b.output_file_id = withoutOutput ? null : generatedFile(state, b, Uint32Array.from(output), "output");
  b.error_file_id = generatedFile(state, b, Uint32Array.from(errors), "error");
}

function fail(b, errors) {
  b.status = "failed";
  b.failed_at = nowSeconds();
  b.errors = { object: "list", data: errors };
}

/** Moves one batch one step along its lifecycle (no-op once it has ended). */
export function advanceBatch(state, b) {
  const { plan } = b.run;
  switch (b.status) {
    case "validating": {
      const file = state.files.get(b.input_file_id);
      const input = validateInputFile(file, b.endpoint, (endpoint, body) => openaiPreview(endpoint, body, plan.scenario));
      if (input.errors.length) return fail(b, input.errors);
      b.model = input.model;
      if (plan.outcome === "failed") {
        return fail(b, [{
          code: "token_limit_exceeded",
          message: `Enqueued token limit reached for ${input.model} in organization org-fake. Limit: 90,000 enqueued tokens. Please try again once some in_progress batches have been completed.`,
          param: null,
          line: null,
        }]);
      }
      b.run.items = input.items;
      b.request_counts.total = input.items.length;
      const n = input.items.length;
      b.run.target = plan.outcome === "completed" ? n : Math.floor(n * plan.fraction);
      b.status = "in_progress";
      b.in_progress_at = nowSeconds();
      return;
    }
    case "in_progress": {
      b.run.stepsDone += 1;
      setProcessed(b, processedAfter(b.run.stepsDone, plan.steps, b.run.target));
      if (b.run.stepsDone < plan.steps) return;
      if (plan.outcome === "expired") return finish(state, b, "expired");
      if (plan.outcome === "cancelled") {
        b.status = "cancelling";
        b.cancelling_at = nowSeconds();
        return;
      }
      b.status = "finalizing";
      b.finalizing_at = nowSeconds();
      return;
    }
    case "finalizing":
      return finish(state, b, "completed");
    case "cancelling":
      return finish(state, b, "cancelled");
    default:
  }
}

export const isOpenBatch = (b) => !TERMINAL.has(b.status);
