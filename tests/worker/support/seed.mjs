// Thousands of open batches without a create each: the KV keys one real create wrote (the
// template), copied under new ids and moved in time, and their upstream batches made on the
// fake provider with the same create call. What the create route writes is copied, never
// written by hand, so a change to the route changes the seeds with it; `checkSeeds` checks a
// copy against a second real create.
import assert from "node:assert/strict";
import { createBatch, requests } from "./worker.mjs";

const TIMESTAMP = (n) => typeof n === "number" && n >= 1e12 && n < 1e13;

/** Every ms timestamp (a number 1e12–1e13) in `value`, moved by `ms`. */
function shifted(value, ms) {
  if (TIMESTAMP(value)) return value + ms;
  if (Array.isArray(value)) return value.map((v) => shifted(v, ms));
  if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, shifted(v, ms)]));
  return value;
}

const openKey = (createdAt, id) => `open:${String(createdAt).padStart(15, "0")}:${id}`;

/**
 * Creates one OpenAI batch through the Worker and keeps what that wrote: every KV key of it
 * (with metadata and expiration) and the upstream create call. `w.fake` should not advance
 * batches on GET, so the template stays as created.
 */
export async function template(w, n = 2) {
  const { id } = await createBatch(w, { requests: requests(n) });
  const record = await w.record(id);
  const upstream = record.job.stage.batch_id;
  const keys = (await w.dumpKv()).filter((k) => k.key.includes(id) || k.value === id);
  const create = w.fake.requests.findLast((r) => r.method === "POST" && r.path.endsWith("/batches"));
  return { id, upstream, createdAt: record.createdAt, record, keys, create: create.json };
}

/** The template's keys for a batch `id` made `shiftMs` later as upstream batch `upstream`. */
export function copy(t, { id, upstream, shiftMs }) {
  assert.ok(shiftMs % 1000 === 0, "whole seconds: expirations are in seconds");
  return t.keys.map((k) => {
    const text = (s) => s.replaceAll(t.id, id).replaceAll(t.upstream, upstream);
    const key = k.key.startsWith("open:") ? openKey(t.createdAt + shiftMs, id) : text(k.key);
    // Records and id pages are JSON; the index entry is empty and a claim is the gateway id.
    const json = k.value.startsWith("{") || k.value.startsWith("[");
    return {
      key,
      value: json ? JSON.stringify(shifted(JSON.parse(text(k.value)), shiftMs)) : text(k.value),
      expiration: k.expiration + shiftMs / 1000,
      metadata: k.metadata === undefined ? undefined : shifted(JSON.parse(text(JSON.stringify(k.metadata))), shiftMs),
    };
  });
}

/**
 * `count` batches like the template, created `createdAt(i)` (ms since the epoch, whole
 * seconds): upstream first (the template's create call, with its gateway id replaced), then
 * their KV keys. Returns their gateway and upstream ids and creation times.
 */
export async function seed(w, t, count, createdAt) {
  const ids = Array.from({ length: count }, (_, i) => `eb_${(0x5eed0000 + i).toString(16).padStart(24, "0")}`);
  const upstream = new Array(count);
  const url = `${w.fake.openaiBaseUrl}/batches`;
  const headers = { authorization: `Bearer ${w.bindings.OPENAI_API_KEY}`, "content-type": "application/json" };
  for (let i = 0; i < count; i += 50) {
    await Promise.all(ids.slice(i, i + 50).map(async (id, k) => {
      const body = JSON.parse(JSON.stringify(t.create).replaceAll(t.id, id));
      const res = await fetch(url, { method: "POST", headers, body: JSON.stringify(body) });
      assert.equal(res.status, 200);
      upstream[i + k] = (await res.json()).id;
    }));
  }
  const batches = ids.map((id, i) => ({ id, upstream: upstream[i], createdAt: createdAt(i) }));
  const entries = batches.flatMap((b) => copy(t, { id: b.id, upstream: b.upstream, shiftMs: b.createdAt - t.createdAt }));
  await w.seedKv(entries);
  return batches;
}

/**
 * A copy of template `t` made for the batch of a second real create (`other`) equals what
 * that create wrote, but for the few milliseconds each create's steps take.
 */
export function checkSeeds(t, other) {
  const shiftMs = Math.round((other.createdAt - t.createdAt) / 1000) * 1000;
  const copied = copy(t, { id: other.id, upstream: other.upstream, shiftMs });
  const close = (a, b, path) => {
    if (TIMESTAMP(a) && TIMESTAMP(b)) return assert.ok(Math.abs(a - b) < 5_000, `${path}: ${a} vs ${b}`);
    if (a && typeof a === "object") {
      assert.deepEqual(Object.keys(a).sort(), Object.keys(b ?? {}).sort(), path);
      for (const k of Object.keys(a)) close(a[k], b[k], `${path}.${k}`);
      return;
    }
    assert.equal(a, b, path);
  };
  const real = new Map(other.keys.map((k) => [k.key.startsWith("open:") ? "open" : k.key, k]));
  assert.equal(copied.length, other.keys.length);
  for (const c of copied) {
    const r = real.get(c.key.startsWith("open:") ? "open" : c.key);
    assert.ok(r, `${c.key} is a key the create wrote`);
    const parse = (v) => (v.startsWith("{") || v.startsWith("[") ? JSON.parse(v) : v);
    close(parse(c.value), parse(r.value), c.key);
    close(c.metadata, r.metadata, `${c.key} metadata`);
    assert.ok(Math.abs(c.expiration - r.expiration) <= 5, `${c.key} expiration`);
  }
}
