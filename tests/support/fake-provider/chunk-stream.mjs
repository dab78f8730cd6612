// Streams a chat answer chunk by chunk, as the providers do: every chunk is its own write
// (never grouped, so a client sees each one as soon as the provider "produces" it), with
// backpressure, an optional pause between chunks, and an optional cut (the socket destroyed
// half way, like a connection lost mid-answer).
//
// What happened is recorded on the request's record (`record.stream`): chunks planned and
// written, whether the stream completed, and whether the client went away first — which is
// how a test sees that a gateway cancelled its upstream request.

import { sleep } from "./http.mjs";

/** Waits for "drain" or "close", whichever comes first. */
function drainOrClose(res) {
  return new Promise((resolve) => {
    const done = () => {
      res.off("drain", done);
      res.off("close", done);
      resolve();
    };
    res.on("drain", done);
    res.on("close", done);
  });
}

/**
 * Writes `chunks` (an array of strings) as the body. `delayMs` waits between chunks;
 * `cutAfter` destroys the socket once that many chunks are out; `signal` aborts (server
 * closing). `record` gets `{planned, written, completed, clientClosed, firstChunkAt}`.
 */
export async function streamChunks(res, chunks, { status = 200, headers = {}, delayMs = 0, cutAfter, signal, record } = {}) {
  const info = { planned: chunks.length, written: 0, completed: false, clientClosed: false, firstChunkAt: undefined };
  if (record) record.stream = info;
  let finished = false;
  const gone = new AbortController();
  res.once("close", () => {
    if (!finished) info.clientClosed = true;
    gone.abort();
  });
  res.writeHead(status, headers);
  res.flushHeaders();
  const stop = signal ? AbortSignal.any([signal, gone.signal]) : gone.signal;
  for (const [i, chunk] of chunks.entries()) {
    if (res.destroyed || stop.aborted) return;
    if (i > 0 && delayMs > 0) {
      await sleep(delayMs, stop);
      if (res.destroyed || stop.aborted) return;
    }
    if (cutAfter !== undefined && i >= cutAfter) {
      finished = true;
      res.destroy();
      return;
    }
    const ok = res.write(chunk);
    info.written += 1;
    info.firstChunkAt ??= Date.now();
    if (!ok) await drainOrClose(res);
  }
  finished = true;
  info.completed = true;
  res.end();
}

/**
 * The reply text in streamed pieces: about 4 characters (one "token") each, or exactly
 * `count` pieces for `[[chunks:N]]` — padded with spaces when the text is shorter, so the
 * joined pieces still parse as the same JSON.
 */
export function replyPieces(text, count) {
  if (count === undefined) return text.match(/[\s\S]{1,4}/gu) ?? [];
  const padded = text.length < count ? text + " ".repeat(count - text.length) : text;
  // Even cuts (none empty): piece i is [⌊i·L/N⌋, ⌊(i+1)·L/N⌋).
  return Array.from({ length: count }, (_, i) =>
    padded.slice(Math.floor((i * padded.length) / count), Math.floor(((i + 1) * padded.length) / count)));
}

/** Stream options from the markers: chunk count, pause, cut, in-stream error. */
export function streamPlan(markers, totalChunks) {
  return {
    delayMs: markers.chunkDelayMs ?? 0,
    cutAfter: markers.cutStream ? Math.floor(totalChunks / 2) : undefined,
  };
}
