// startFakeProvider(): a loopback HTTP server that impersonates OpenAI, Anthropic and Ollama
// for end-to-end tests (see README.md). This file owns the server, the shared state, the
// request dispatcher (record → fault → route → auth → handler → reply) and the control API.

import http from "node:http";
import { randomUUID } from "node:crypto";
import { debugLog, HttpError, parseQuery, preflight, readBody, sendResult, sleep, takeFault } from "./http.mjs";
import { boundaryOf, parseMultipart } from "./multipart.mjs";
import { checkPatch, defaultScenario, publicScenario } from "./scenario.mjs";
import { createIdSource, seededRandom } from "./util.mjs";
import { openai } from "./openai.mjs";
import { anthropic } from "./anthropic.mjs";
import { ollama } from "./ollama.mjs";
import { ensureSize, fileObject } from "./openai-files.mjs";
import { batchObject } from "./openai-batches.mjs";
import { advanceBatch, isOpenBatch } from "./openai-batch-lifecycle.mjs";
import { advanceMessageBatch, isOpenMessageBatch, messageBatchObject } from "./anthropic-batches.mjs";
import { handleControl } from "./control.mjs";

const PROVIDERS = [openai, anthropic, ollama];
const HOST = "127.0.0.1"; // loopback only: the fake must never be reachable from outside

/** Parses what a route may need from the raw request and builds the request record. */
function readRequest(req, url, body) {
  const bodyText = body.toString("utf8");
  let json;
  if (bodyText.trim() !== "") {
    try {
      json = JSON.parse(bodyText);
    } catch {
      json = undefined;
    }
  }
  let multipart;
  let multipartError;
  const boundary = boundaryOf(req.headers["content-type"]);
  if (boundary) {
    try {
      multipart = parseMultipart(body, boundary);
    } catch (err) {
      multipartError = err.message;
    }
  }
  const record = {
    method: req.method,
    path: url.pathname,
    headers: { ...req.headers },
    query: parseQuery(url.searchParams),
    bodyText,
    json,
    receivedAt: Date.now(),
  };
  if (multipart) {
    record.multipart = {
      fields: { ...multipart.fields },
      files: multipart.files.map((f) => ({ field: f.field, filename: f.filename, contentType: f.contentType, content: f.data.toString("utf8") })),
    };
  }
  return { record, bodyText, json, multipart, multipartError };
}

/** Finds the route for `ctx` inside `provider`, checks auth and runs the handler. */
function route(provider, ctx) {
  const candidates = [];
  for (const r of provider.routes) {
    const m = r.regex.exec(ctx.path);
    if (m) candidates.push([r, m]);
  }
  if (candidates.length === 0) return provider.notFound(ctx);
  const hit = candidates.find(([r]) => r.method === ctx.method);
  if (!hit) {
    const allow = [...new Set(candidates.map(([r]) => r.method))].join(", ");
    const result = provider.methodNotAllowed(ctx);
    return { ...result, headers: { ...result.headers, allow } };
  }
  try {
    ctx.params = Object.fromEntries(Object.entries(hit[1].groups ?? {}).map(([k, v]) => [k, decodeURIComponent(v)]));
  } catch {
    return provider.notFound(ctx);
  }
  return provider.authenticate(ctx) ?? hit[0].handler(ctx);
}

export async function startFakeProvider(options = {}) {
  const initial = defaultScenario(options);
  // Draws for faults with a `rate`: seeded, so a soak run replays with the same faults.
  const faultRandom = seededRandom(options.faultSeed ?? 1);
  const state = {
    scenario: initial,
    requests: [],
    files: new Map(),
    batches: new Map(),
    messageBatches: new Map(),
    faultsApplied: 0,
    // Ids differ between server starts unless `idSeed` is given (see util.createIdSource).
    newId: createIdSource(options.idSeed ?? randomUUID()),
  };
  const closing = new AbortController();
  let urls;

  const fake = {
    requests: state.requests,
    configure(patch) {
      state.scenario = checkPatch(state.scenario, patch);
      return publicScenario(state.scenario);
    },
    reset() {
      state.scenario = defaultScenario(options);
      state.requests.length = 0; // same array object: callers may hold `fake.requests`
      state.files.clear();
      state.batches.clear();
      state.messageBatches.clear();
      state.faultsApplied = 0;
    },
    /** Every open batch one step forward; with `ids`, only those (OpenAI or Anthropic). */
    advanceAll(ids) {
      const chosen = ids === undefined ? () => true : ((set) => (b) => set.has(b.id))(new Set(ids));
      for (const b of state.batches.values()) if (isOpenBatch(b) && chosen(b)) advanceBatch(state, b);
      for (const b of state.messageBatches.values()) if (isOpenMessageBatch(b) && chosen(b)) advanceMessageBatch(b, urls.anthropicBaseUrl);
    },
    /** Everything stored, as JSON (what GET /__control/state answers). Async: file sizes. */
    async state() {
      for (const f of state.files.values()) await ensureSize(f);
      return {
        scenario: publicScenario(state.scenario),
        files: [...state.files.values()].map(fileObject),
        batches: [...state.batches.values()].map(batchObject),
        messageBatches: [...state.messageBatches.values()].map(messageBatchObject),
        faultsApplied: state.faultsApplied,
      };
    },
    close() {
      closing.abort();
      return new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };

  /**
   * Applies the parts of a fault that come before the normal answer: wait `delayMs`, then
   * drop the connection or answer `status` (+ `body`, `headers`). Returns true when the
   * request is finished (answered, dropped, or the client left during the delay); false when
   * normal handling should go on (a delay-only fault, or one that only adds headers or
   * `dropAfterBytes`).
   */
  async function answerFault(fault, req, res, provider) {
    if (fault.delayMs) {
      const gone = new AbortController();
      res.once("close", () => gone.abort());
      await sleep(fault.delayMs, AbortSignal.any([closing.signal, gone.signal]));
      if (res.destroyed || closing.signal.aborted) return true;
    }
    if (fault.drop) {
      req.socket.destroy();
      return true;
    }
    if (fault.status === undefined) return false;
    const body = fault.body ?? provider?.statusError(fault.status).body ?? { error: { message: `HTTP ${fault.status}` } };
    await sendResult(res, { status: fault.status, body, headers: fault.headers });
    return true;
  }

  async function handle(req, res) {
    const started = Date.now();
    const url = new URL(req.url, urls.url);
    res.on("error", () => {}); // a client that hangs up mid-answer is not our failure
    if (req.method === "OPTIONS") return preflight(req, res);

    let body;
    try {
      body = await readBody(req);
    } catch (err) {
      const status = err instanceof HttpError ? err.status : 400;
      return sendResult(res, { status, body: { error: { message: err.message } } });
    }
    if (url.pathname.startsWith("/__control/")) return sendResult(res, await handleControl(fake, req.method, url, body));

    const { record, ...parsed } = readRequest(req, url, body);
    state.requests.push(record);
    const provider = PROVIDERS.find((p) => url.pathname === p.prefix || url.pathname.startsWith(`${p.prefix}/`));

    const fault = takeFault(state.scenario.faults, req.method, url.pathname, faultRandom);
    if (fault) state.faultsApplied += 1;
    if (fault && (await answerFault(fault, req, res, provider))) {
      debugLog(req.method, url.pathname, fault.drop ? "dropped" : fault.status ?? "gone", started, "(fault)");
      return;
    }

    let result;
    if (!provider) {
      result = { status: 404, body: { error: { message: `Nothing is served at ${url.pathname}; use /openai/v1, /anthropic/v1 or /ollama.` } } };
    } else {
      const ctx = {
        state,
        scenario: state.scenario,
        urls,
        method: req.method,
        path: url.pathname.slice(provider.prefix.length) || "/",
        params: {},
        query: record.query,
        headers: req.headers,
        body,
        ...parsed,
      };
      try {
        result = await route(provider, ctx);
        result = { ...result, headers: { ...provider.responseHeaders(ctx), ...result.headers } };
      } catch (err) {
        // A bug in the fake itself: say so plainly instead of imitating a provider.
        result = { status: 500, body: { error: { message: `fake-provider internal error: ${err.stack ?? err}` } } };
      }
    }
    if (fault?.headers) result = { ...result, headers: { ...result.headers, ...fault.headers } };
    if (fault?.dropAfterHandling) {
      // Done, but the answer never arrives: a create that went through, its answer lost.
      debugLog(req.method, url.pathname, "handled, then dropped", started, "(fault)");
      req.socket.destroy();
      return;
    }
    debugLog(req.method, url.pathname, result.status, started);
    await sendResult(res, result, { dropAfterBytes: fault?.dropAfterBytes, record, signal: closing.signal });
  }

  const server = http.createServer((req, res) => {
    handle(req, res).catch((err) => {
      if (!res.headersSent) sendResult(res, { status: 500, body: { error: { message: `fake-provider internal error: ${err.message}` } } });
      else res.destroy();
    });
  });
  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, HOST, resolve);
  });
  const url = `http://${HOST}:${server.address().port}`;
  urls = { url, openaiBaseUrl: `${url}/openai/v1`, anthropicBaseUrl: `${url}/anthropic/v1`, ollamaUrl: `${url}/ollama` };
  return Object.assign(fake, urls);
}
