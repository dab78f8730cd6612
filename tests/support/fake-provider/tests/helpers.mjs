// Shared helpers for the fake provider's own tests. (This file lives in `tests/`, not
// `test/`, so `node --test` does not run it as a test file.)

import { before, after, beforeEach } from "node:test";
import { startFakeProvider } from "../index.mjs";

export const OPENAI_KEY = "sk-test";
export const ANTHROPIC_KEY = "sk-ant-test";

export const openaiHeaders = { authorization: `Bearer ${OPENAI_KEY}`, "content-type": "application/json" };
export const anthropicHeaders = { "x-api-key": ANTHROPIC_KEY, "anthropic-version": "2023-06-01", "content-type": "application/json" };

/** One fake per test file, reset before every test. Returns a holder: `ctx.fake`. */
export function useFake(options) {
  const ctx = {};
  before(async () => {
    ctx.fake = await startFakeProvider(options);
  });
  beforeEach(() => ctx.fake.reset());
  after(() => ctx.fake.close());
  return ctx;
}

/** fetch + read: `{status, headers, text, json}` (json undefined when the body is not JSON). */
export async function call(url, { method = "GET", headers = {}, body } = {}) {
  const init = { method, headers };
  if (body !== undefined) init.body = typeof body === "string" || body instanceof FormData ? body : JSON.stringify(body);
  const res = await fetch(url, init);
  const text = await res.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

export const parseJsonl = (text) => text.split("\n").filter((l) => l.trim()).map((l) => JSON.parse(l));

/** A chat batch input line the way the reference provider writes it. */
export function chatLine(customId, userContent, { model = "gpt-4o", url = "/v1/chat/completions" } = {}) {
  return JSON.stringify({
    custom_id: customId,
    method: "POST",
    url,
    body: {
      model,
      max_tokens: 8192,
      response_format: { type: "json_object" },
      messages: [{ role: "system", content: "Reply in JSON." }, { role: "user", content: userContent }],
    },
  });
}

/** Uploads JSONL text as the reference does (FormData, purpose=batch) and returns the file object. */
export async function uploadBatchFile(fake, jsonlText, filename = "batch-input.jsonl") {
  const form = new FormData();
  form.append("purpose", "batch");
  form.append("file", new Blob([jsonlText], { type: "application/jsonl" }), filename);
  const res = await call(`${fake.openaiBaseUrl}/files`, { method: "POST", headers: { authorization: openaiHeaders.authorization }, body: form });
  if (res.status !== 200) throw new Error(`upload failed: ${res.status} ${res.text}`);
  return res.json;
}

/** Upload + create; returns the created batch object. */
export async function createOpenAIBatch(fake, lines, endpoint = "/v1/chat/completions") {
  const file = await uploadBatchFile(fake, lines.join("\n"));
  const res = await call(`${fake.openaiBaseUrl}/batches`, {
    method: "POST",
    headers: openaiHeaders,
    body: { input_file_id: file.id, endpoint, completion_window: "24h" },
  });
  if (res.status !== 200) throw new Error(`create failed: ${res.status} ${res.text}`);
  return res.json;
}

/** Polls GET /batches/{id} until `done(batch)`; returns every observed batch object. */
export async function pollOpenAIBatch(fake, id, done = (b) => ["completed", "failed", "expired", "cancelled"].includes(b.status), max = 20) {
  const seen = [];
  for (let i = 0; i < max; i++) {
    const res = await call(`${fake.openaiBaseUrl}/batches/${id}`, { headers: openaiHeaders });
    if (res.status !== 200) throw new Error(`poll failed: ${res.status} ${res.text}`);
    seen.push(res.json);
    if (done(res.json)) return seen;
  }
  throw new Error(`batch ${id} did not finish in ${max} polls`);
}

export async function fileContent(fake, id) {
  const res = await call(`${fake.openaiBaseUrl}/files/${id}/content`, { headers: openaiHeaders });
  if (res.status !== 200) throw new Error(`download failed: ${res.status} ${res.text}`);
  return parseJsonl(res.text);
}
