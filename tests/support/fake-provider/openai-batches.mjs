// OpenAI Batches: create, retrieve (which advances the batch), cancel, list — and the
// lifecycle state machine behind them.
//
// Lifecycle, one step per GET /batches/{id} (when `advanceOnGet`) or per advance():
//   validating ──(input file checked)──▶ in_progress ──(batchStepsToComplete steps)──▶
//   finalizing ──▶ completed            (outcome "completed")
//   expired                             (outcome "expired": after the in_progress steps)
//   cancelling ──▶ cancelled            (outcome "cancelled", or POST /cancel)
//   failed                              (invalid input file, or outcome "failed")
// During in_progress, requests finish in input order, an equal share per step, and
// `request_counts` follow. A batch copies the scenario when it is created, so changing the
// scenario later does not change a batch already running.
//
// Memory: per request we keep its custom_id, its input line and a few numbers. Output and
// error files are generated line by line from those on download (see openai-files.mjs).

import { jsonObject, route } from "./http.mjs";
import { BASE62, derivedId, hash32, HEX, nowSeconds, processedAfter, shuffledIndices } from "./util.mjs";
import { BATCH_ENDPOINTS, NOT_JSON_MESSAGE, openaiCall, openaiError, openaiPreview } from "./openai-wire.mjs";
import { addFile } from "./openai-files.mjs";
import { validateInputFile } from "./openai-batch-input.mjs";

const TERMINAL = new Set(["completed", "failed", "expired", "cancelled"]);
const END_CODES = {
  expired: ["batch_expired", "This request could not be executed before the completion window expired."],
  cancelled: ["batch_cancelled", "This request was not executed because the batch was cancelled."],
};
const ERROR_FILE_ERROR = { code: "server_error", message: "The server had an error while processing your request. Sorry about that!" };

const missing = (param) => openaiError(400, `Missing required parameter: '${param}'.`, { param, code: "missing_required_parameter" });
const notFound = (id) => openaiError(404, `No batch found with id '${id}'.`, { param: "batch_id" });

/** The public Batch object: every field of the spec's `Batch` schema that applies. */
export function batchObject(b) {
  return {
    id: b.id,
    object: "batch",
    endpoint: b.endpoint,
    ...(b.model !== undefined ? { model: b.model } : {}),
    errors: b.errors,
    input_file_id: b.input_file_id,
    completion_window: b.completion_window,
    status: b.status,
    output_file_id: b.output_file_id,
    error_file_id: b.error_file_id,
    created_at: b.created_at,
    in_progress_at: b.in_progress_at,
    expires_at: b.expires_at,
    finalizing_at: b.finalizing_at,
    completed_at: b.completed_at,
    failed_at: b.failed_at,
    expired_at: b.expired_at,
    cancelling_at: b.cancelling_at,
    cancelled_at: b.cancelled_at,
    request_counts: { ...b.request_counts },
    usage: {
      input_tokens: b.usage.input,
      input_tokens_details: { cached_tokens: 0 },
      output_tokens: b.usage.output,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: b.usage.input + b.usage.output,
    },
    metadata: b.metadata,
  };
}

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

function create(ctx) {
  const body = jsonObject(ctx);
  if (!body) return openaiError(400, NOT_JSON_MESSAGE);
  for (const p of ["input_file_id", "endpoint", "completion_window"]) if (body[p] === undefined) return missing(p);
  if (!BATCH_ENDPOINTS.includes(body.endpoint)) {
    return openaiError(400, `Invalid value: '${body.endpoint}'. Supported values are: ${BATCH_ENDPOINTS.map((e) => `'${e}'`).join(" and ")}.`, {
      param: "endpoint", code: "invalid_value",
    });
  }
  if (body.completion_window !== "24h") {
    return openaiError(400, `Invalid value: '${body.completion_window}'. Supported values are: '24h'.`, { param: "completion_window", code: "invalid_value" });
  }
  const file = ctx.state.files.get(body.input_file_id);
  if (!file) return openaiError(404, `No such File object: ${body.input_file_id}`, { param: "input_file_id" });
  if (file.purpose !== "batch") {
    return openaiError(400, `Invalid 'input_file_id': '${body.input_file_id}'. The file must be uploaded with purpose 'batch'.`, { param: "input_file_id" });
  }
  const s = ctx.scenario;
  const now = nowSeconds();
  const b = {
    id: ctx.state.newId("batch_", 32, HEX),
    endpoint: body.endpoint,
    model: undefined,
    errors: null,
    input_file_id: body.input_file_id,
    completion_window: body.completion_window,
    status: "validating",
    output_file_id: null,
    error_file_id: null,
    created_at: now,
    in_progress_at: null,
    expires_at: now + 24 * 3600,
    finalizing_at: null,
    completed_at: null,
    failed_at: null,
    expired_at: null,
    cancelling_at: null,
    cancelled_at: null,
    request_counts: { total: 0, completed: 0, failed: 0 },
    usage: { input: 0, output: 0 },
    metadata: body.metadata ?? null,
    run: {
      plan: {
        outcome: s.batchOutcome,
        steps: Math.max(1, s.batchStepsToComplete),
        fraction: s.batchOutcome === "cancelled" ? s.cancelledCompletedFraction : s.expiredCompletedFraction,
        shuffle: s.shuffleOutput,
        seed: s.seed,
        outputWithoutFile: s.outputWithoutFile,
        httpErrorsInErrorFile: s.httpErrorsInErrorFile,
        scenario: { ...s },
      },
      items: null,
      stepsDone: 0,
      processed: 0,
      target: 0,
    },
  };
  ctx.state.batches.set(b.id, b);
  return { status: 200, body: batchObject(b) };
}

function retrieve(ctx) {
  const b = ctx.state.batches.get(ctx.params.id);
  if (!b) return notFound(ctx.params.id);
  if (ctx.scenario.advanceOnGet) advanceBatch(ctx.state, b);
  return { status: 200, body: batchObject(b) };
}

function cancel(ctx) {
  const b = ctx.state.batches.get(ctx.params.id);
  if (!b) return notFound(ctx.params.id);
  if (b.status === "validating" || b.status === "in_progress") {
    b.status = "cancelling";
    b.cancelling_at = nowSeconds();
  } else if (b.status !== "cancelling") {
    return openaiError(409, `Cannot cancel a batch with status '${b.status}'.`);
  }
  return { status: 200, body: batchObject(b) };
}

function list(ctx) {
  const all = [...ctx.state.batches.values()].reverse();
  const limit = Math.min(100, Math.max(1, Number(ctx.query.limit) || 20));
  const start = ctx.query.after ? all.findIndex((b) => b.id === ctx.query.after) + 1 : 0;
  const page = all.slice(start, start + limit).map(batchObject);
  return {
    status: 200,
    body: { object: "list", data: page, first_id: page[0]?.id ?? null, last_id: page.at(-1)?.id ?? null, has_more: start + limit < all.length },
  };
}

export const batchRoutes = [
  route("POST", "/batches", create),
  route("GET", "/batches", list),
  route("GET", "/batches/:id", retrieve),
  route("POST", "/batches/:id/cancel", cancel),
];
