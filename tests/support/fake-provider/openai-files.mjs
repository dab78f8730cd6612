// OpenAI Files: multipart upload, retrieve, list, delete and content download.
//
// Two kinds of stored file share one map (`state.files`):
// - uploaded files keep their bytes (`data`, a Buffer);
// - files a batch produces keep only a `lines` function that regenerates their JSONL from
//   the batch's per-request data. Their content is streamed on download and never held
//   whole, so a 150 MB output file costs no more memory than a 1 KB one.

import { route } from "./http.mjs";
import { nowSeconds } from "./util.mjs";
import { openaiError } from "./openai-wire.mjs";

const PURPOSES = ["assistants", "batch", "fine-tune", "vision", "user_data", "evals"];

const notFound = (id) => openaiError(404, `No such File object: ${id}`, { param: "id" });

/** Stores a file and returns its record. Give either `data` (Buffer) or `lines` (() => Iterable<string>). */
export function addFile(state, { filename, purpose, data, lines, createdAt = nowSeconds() }) {
  const file = {
    id: state.newId("file-", 22),
    filename,
    purpose,
    created_at: createdAt,
    bytes: data ? data.length : undefined,
    data,
    lines,
  };
  state.files.set(file.id, file);
  return file;
}

/**
 * Makes sure `file.bytes` is known. A generated file's size is found by running its
 * generator once (on first request only), in slices of 1000 lines with a turn of the event
 * loop between them: sizing a 150 MB file takes about a second of CPU, and holding the loop
 * that long would stall every other request (and can trip keep-alive timers).
 */
export async function ensureSize(file) {
  if (file.bytes !== undefined) return;
  file.sizing ??= (async () => {
    let bytes = 0;
    let n = 0;
    for (const line of file.lines()) {
      bytes += Buffer.byteLength(line) + 1;
      if (++n % 1000 === 0) await new Promise(setImmediate);
    }
    file.bytes = bytes;
  })();
  await file.sizing;
}

/** The public OpenAIFile object (every required field of the spec's schema); call ensureSize first. */
export function fileObject(file) {
  return {
    id: file.id,
    object: "file",
    bytes: file.bytes,
    created_at: file.created_at,
    expires_at: null,
    filename: file.filename,
    purpose: file.purpose,
    status: "processed",
    status_details: null,
  };
}

function upload(ctx) {
  const type = ctx.headers["content-type"] ?? "";
  if (!/^multipart\/form-data/i.test(type)) {
    return openaiError(400, `Invalid Content-Type header (${type || "none"}), expected multipart/form-data. (HINT: If you're using curl, you can pass -H 'Content-Type: multipart/form-data')`);
  }
  if (!ctx.multipart) return openaiError(400, `Could not parse multipart form: ${ctx.multipartError ?? "malformed body"}`);
  const { fields, files } = ctx.multipart;
  const purpose = fields.purpose;
  if (purpose === undefined) return openaiError(400, "Missing required parameter: 'purpose'.", { param: "purpose", code: "missing_required_parameter" });
  if (!PURPOSES.includes(purpose)) {
    return openaiError(400, `Invalid value: '${purpose}'. Supported values are: 'assistants', 'batch', 'fine-tune', 'vision', 'user_data', and 'evals'.`, {
      param: "purpose", code: "invalid_value",
    });
  }
  const part = files.find((f) => f.field === "file");
  if (!part) return openaiError(400, "Missing required parameter: 'file'.", { param: "file", code: "missing_required_parameter" });
  if (purpose === "batch" && !/\.jsonl$/i.test(part.filename)) {
    return openaiError(400, "Invalid file format for Batch API. Must be .jsonl", { param: "file" });
  }
  const file = addFile(ctx.state, { filename: part.filename, purpose, data: Buffer.from(part.data) });
  return { status: 200, body: fileObject(file) };
}

async function list(ctx) {
  const all = [...ctx.state.files.values()].reverse().filter((f) => !ctx.query.purpose || f.purpose === ctx.query.purpose);
  for (const f of all) await ensureSize(f);
  const data = all.map(fileObject);
  return { status: 200, body: { object: "list", data, has_more: false, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null } };
}

async function retrieve(ctx) {
  const file = ctx.state.files.get(ctx.params.id);
  if (!file) return notFound(ctx.params.id);
  await ensureSize(file);
  return { status: 200, body: fileObject(file) };
}

function remove(ctx) {
  const id = ctx.params.id;
  if (!ctx.state.files.delete(id)) return notFound(id);
  return { status: 200, body: { id, object: "file", deleted: true } };
}

function content(ctx) {
  const file = ctx.state.files.get(ctx.params.id);
  if (!file) return notFound(ctx.params.id);
  if (file.data) return { status: 200, body: file.data, contentType: "application/octet-stream" };
  return { status: 200, lines: file.lines(), contentType: "application/octet-stream" };
}

export const fileRoutes = [
  route("POST", "/files", upload),
  route("GET", "/files", list),
  route("GET", "/files/:id", retrieve),
  route("DELETE", "/files/:id", remove),
  route("GET", "/files/:id/content", content),
];
