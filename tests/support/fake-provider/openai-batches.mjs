// OpenAI Batches routes: create, retrieve (which advances the batch one step), cancel, list.
// The lifecycle itself is in openai-batch-lifecycle.mjs, input checks in openai-batch-input.mjs.

import { jsonObject, route } from "./http.mjs";
import { HEX, nowSeconds } from "./util.mjs";
import { BATCH_ENDPOINTS, NOT_JSON_MESSAGE, openaiError } from "./openai-wire.mjs";
import { advanceBatch } from "./openai-batch-lifecycle.mjs";

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

/** The spec's `Metadata`: up to 16 pairs, keys ≤ 64 characters, string values ≤ 512. */
function validMetadata(m) {
  if (typeof m !== "object" || Array.isArray(m)) return false;
  const entries = Object.entries(m);
  return entries.length <= 16 && entries.every(([k, v]) => k.length <= 64 && typeof v === "string" && v.length <= 512);
}

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
  const metadata = body.metadata ?? null;
  if (metadata !== null && !validMetadata(metadata)) {
    return openaiError(400, "Invalid 'metadata': expected an object of at most 16 string values (keys up to 64 characters, values up to 512).", {
      param: "metadata", code: "invalid_type",
    });
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
    metadata,
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
