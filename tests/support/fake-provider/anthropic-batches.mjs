// Anthropic Message Batches: create, retrieve (which advances the batch), cancel, list,
// delete and the streamed JSONL results.
//
// Lifecycle, one step per GET /messages/batches/{id} (when `advanceOnGet`) or advance():
//   in_progress ──(batchStepsToComplete steps; requests finish in input order)──▶ ended
//   in_progress ──(cancel, or outcome "cancelled" after the steps)──▶ canceling ──▶ ended
// With outcome "expired" the batch ends after its steps with the unfinished requests
// `expired`; a cancelled batch marks them `canceled`. Anthropic has no "failed" batch, so
// outcome "failed" makes every finished request `errored` (api_error) instead.
// A batch copies the scenario when it is created, like the OpenAI batches.

import { jsonObject, route } from "./http.mjs";
import { derivedId, hash32, processedAfter, shuffledIndices } from "./util.mjs";
import { anthropicError, anthropicStatusError, messagesCall, messagesReply, validateMessages } from "./anthropic-wire.mjs";

const MAX_REQUESTS = 100_000;
const CUSTOM_ID = /^[a-zA-Z0-9_-]{1,64}$/;
const invalid = (message) => anthropicError(400, "invalid_request_error", message);
const notFound = (id) => anthropicError(404, "not_found_error", `Message Batch ${id} not found.`);
const iso = (ms) => (ms === null ? null : new Date(ms).toISOString());

export function messageBatchObject(b) {
  return {
    id: b.id,
    type: "message_batch",
    processing_status: b.processing_status,
    request_counts: { ...b.request_counts },
    ended_at: iso(b.ended_at),
    created_at: iso(b.created_at),
    expires_at: iso(b.created_at + 24 * 3600 * 1000),
    archived_at: null,
    cancel_initiated_at: iso(b.cancel_initiated_at),
    results_url: b.results_url,
  };
}

/** Whether request `i` ends `succeeded` (true) or `errored` (false) once processed. */
const succeeds = (b, item) => item.status === 200 && !item.errorFile && b.run.plan.outcome !== "failed";

function setProcessed(b, processed) {
  const counts = b.request_counts;
  for (let i = b.run.processed; i < processed; i++) {
    if (succeeds(b, b.run.items[i])) counts.succeeded += 1;
    else counts.errored += 1;
    counts.processing -= 1;
  }
  b.run.processed = processed;
}

function end(b, baseUrl) {
  const unfinished = b.run.items.length - b.run.processed;
  b.request_counts.processing = 0;
  if (b.cancel_initiated_at !== null) b.request_counts.canceled += unfinished;
  else b.request_counts.expired += unfinished;
  b.processing_status = "ended";
  b.ended_at = Date.now();
  b.results_url = `${baseUrl}/messages/batches/${b.id}/results`;
}

/** Moves one message batch one step along its lifecycle (no-op once ended). */
export function advanceMessageBatch(b, baseUrl) {
  const { plan } = b.run;
  if (b.processing_status === "canceling") return end(b, baseUrl);
  if (b.processing_status !== "in_progress") return;
  b.run.stepsDone += 1;
  setProcessed(b, processedAfter(b.run.stepsDone, plan.steps, b.run.target));
  if (b.run.stepsDone < plan.steps) return;
  if (plan.outcome === "cancelled") {
    b.processing_status = "canceling";
    b.cancel_initiated_at = Date.now();
    return;
  }
  end(b, baseUrl);
}

export const isOpenMessageBatch = (b) => b.processing_status !== "ended";

function resultLine(b, i) {
  const item = b.run.items[i];
  let result;
  if (i >= b.run.processed) {
    result = { type: b.cancel_initiated_at !== null ? "canceled" : "expired" };
  } else if (b.run.plan.outcome === "failed") {
    result = { type: "errored", error: anthropicStatusError(500).body };
  } else if (item.errorFile) {
    result = { type: "errored", error: anthropicError(400, "invalid_request_error", "The request could not be processed.").body };
  } else {
    const ids = { id: (prefix) => derivedId(prefix, `${b.id}:${i}:${prefix}`, 24) };
    const call = messagesCall(JSON.parse(item.params), b.run.plan.scenario, ids);
    result = call.status === 200 ? { type: "succeeded", message: call.body } : { type: "errored", error: call.body };
  }
  return JSON.stringify({ custom_id: item.customId, result });
}

function* resultLines(b) {
  const n = b.run.items.length;
  const order = b.run.plan.shuffle ? shuffledIndices(n, hash32(`${b.run.plan.seed}:results`)) : undefined;
  for (let k = 0; k < n; k++) yield resultLine(b, order ? order[k] : k);
}

/** Checks every request up front: a malformed request rejects the whole batch, as upstream. */
function checkRequests(requests, scenario) {
  if (requests === undefined) return { error: invalid("requests: Field required") };
  if (!Array.isArray(requests)) return { error: invalid("requests: Input should be a valid list") };
  if (requests.length === 0) return { error: invalid("requests: List should have at least 1 item after validation, not 0") };
  if (requests.length > MAX_REQUESTS) return { error: invalid(`requests: List should have at most ${MAX_REQUESTS} items after validation, not ${requests.length}`) };
  const seen = new Set();
  const items = [];
  for (const [i, r] of requests.entries()) {
    if (typeof r !== "object" || r === null) return { error: invalid(`requests.${i}: Input should be a valid dictionary`) };
    if (r.custom_id === undefined) return { error: invalid(`requests.${i}.custom_id: Field required`) };
    if (typeof r.custom_id !== "string" || !CUSTOM_ID.test(r.custom_id)) {
      return { error: invalid(`requests.${i}.custom_id: String should match pattern '^[a-zA-Z0-9_-]{1,64}$'`) };
    }
    if (seen.has(r.custom_id)) return { error: invalid(`requests: custom_id '${r.custom_id}' is used by more than one request; custom_id values must be unique within a batch.`) };
    seen.add(r.custom_id);
    if (r.params === undefined) return { error: invalid(`requests.${i}.params: Field required`) };
    const err = validateMessages(r.params, scenario, `requests.${i}.params.`);
    if (err?.status === 400) return { error: err };
    // Other problems (an unknown model under rejectUnknownModels) error that request only.
    const markers = err ? {} : messagesReply(r.params, scenario).markers;
    const status = err?.status ?? (markers.status !== undefined ? markers.status : 200);
    items.push({ customId: r.custom_id, params: JSON.stringify(r.params), status, errorFile: Boolean(markers.errorFile) });
  }
  return { items };
}

function create(ctx) {
  const body = jsonObject(ctx);
  if (!body) return invalid("There was an error parsing the body of your request: it is not valid JSON.");
  const s = ctx.scenario;
  const { error, items } = checkRequests(body.requests, s);
  if (error) return error;
  const n = items.length;
  const outcome = s.batchOutcome;
  const fraction = outcome === "cancelled" ? s.cancelledCompletedFraction : s.expiredCompletedFraction;
  const b = {
    id: ctx.state.newId("msgbatch_", 24),
    processing_status: "in_progress",
    request_counts: { processing: n, succeeded: 0, errored: 0, canceled: 0, expired: 0 },
    ended_at: null,
    created_at: Date.now(),
    cancel_initiated_at: null,
    results_url: null,
    run: {
      plan: { outcome, steps: Math.max(1, s.batchStepsToComplete), shuffle: s.shuffleOutput, seed: s.seed, scenario: { ...s } },
      items,
      stepsDone: 0,
      processed: 0,
      target: outcome === "expired" || outcome === "cancelled" ? Math.floor(n * fraction) : n,
    },
  };
  ctx.state.messageBatches.set(b.id, b);
  return { status: 200, body: messageBatchObject(b) };
}

function retrieve(ctx) {
  const b = ctx.state.messageBatches.get(ctx.params.id);
  if (!b) return notFound(ctx.params.id);
  if (ctx.scenario.advanceOnGet) advanceMessageBatch(b, ctx.urls.anthropicBaseUrl);
  return { status: 200, body: messageBatchObject(b) };
}

function cancel(ctx) {
  const b = ctx.state.messageBatches.get(ctx.params.id);
  if (!b) return notFound(ctx.params.id);
  if (b.processing_status === "ended") return invalid(`Message Batch ${b.id} has already ended and cannot be canceled.`);
  if (b.processing_status === "in_progress") {
    b.processing_status = "canceling";
    b.cancel_initiated_at = Date.now();
  }
  return { status: 200, body: messageBatchObject(b) };
}

function results(ctx) {
  const b = ctx.state.messageBatches.get(ctx.params.id);
  if (!b) return notFound(ctx.params.id);
  if (b.processing_status !== "ended") {
    return invalid(`Message Batch ${b.id} has not yet ended. Results are available once processing_status is 'ended'.`);
  }
  return { status: 200, lines: resultLines(b), contentType: "application/x-jsonl" };
}

function list(ctx) {
  const all = [...ctx.state.messageBatches.values()].reverse();
  const limit = Math.min(100, Math.max(1, Number(ctx.query.limit) || 20));
  const start = ctx.query.after_id ? all.findIndex((b) => b.id === ctx.query.after_id) + 1 : 0;
  const page = all.slice(start, start + limit).map(messageBatchObject);
  return { status: 200, body: { data: page, has_more: start + limit < all.length, first_id: page[0]?.id ?? null, last_id: page.at(-1)?.id ?? null } };
}

function remove(ctx) {
  const b = ctx.state.messageBatches.get(ctx.params.id);
  if (!b) return notFound(ctx.params.id);
  if (b.processing_status !== "ended") return invalid(`Message Batch ${b.id} cannot be deleted while it is processing; cancel it first.`);
  ctx.state.messageBatches.delete(b.id);
  return { status: 200, body: { id: b.id, type: "message_batch_deleted" } };
}

export const batchRoutes = [
  route("POST", "/messages/batches", create),
  route("GET", "/messages/batches", list),
  route("GET", "/messages/batches/:id", retrieve),
  route("DELETE", "/messages/batches/:id", remove),
  route("POST", "/messages/batches/:id/cancel", cancel),
  route("GET", "/messages/batches/:id/results", results),
];
