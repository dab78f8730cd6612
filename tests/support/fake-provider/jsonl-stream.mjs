// Streams a large JSONL body without ever holding it whole.
//
// Lines come from an iterable (usually a generator that builds each line from stored
// per-request data), are grouped into ~64 KB chunks and written with backpressure: when
// `res.write` returns false we wait for "drain". Memory therefore stays at about one chunk
// plus the socket buffer, whatever the file size — a 150 MB output file costs a few
// hundred KB here. Chunks of 64 KB keep the per-write overhead small (one syscall per
// chunk instead of per line) while staying well under the socket's buffer growth.

const CHUNK_BYTES = 64 * 1024;

/** Waits for "drain" or "close", whichever comes first, and removes both listeners. */
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
 * Writes `lines` (strings without their newline) as `line + "\n"` each, chunked and
 * backpressured. Stops quietly if the client goes away. With `dropAfterBytes` the socket
 * is destroyed once that many bytes have been written (simulating a dropped download).
 */
export async function streamLines(res, lines, { status = 200, headers = {}, dropAfterBytes } = {}) {
  res.writeHead(status, headers);
  let parts = [];
  let size = 0;
  let written = 0;

  const flush = async () => {
    const chunk = parts.join("");
    parts = [];
    size = 0;
    if (dropAfterBytes !== undefined && written + Buffer.byteLength(chunk) >= dropAfterBytes) {
      const room = dropAfterBytes - written;
      const cut = Buffer.from(chunk).subarray(0, room);
      await new Promise((resolve) => res.write(cut, resolve));
      res.destroy();
      return false;
    }
    written += Buffer.byteLength(chunk);
    if (!res.write(chunk)) await drainOrClose(res);
    return !res.destroyed;
  };

  for (const line of lines) {
    if (res.destroyed) return;
    parts.push(line, "\n");
    size += line.length + 1;
    if (size >= CHUNK_BYTES && !(await flush())) return;
  }
  if (parts.length && !(await flush())) return;
  res.end();
}
