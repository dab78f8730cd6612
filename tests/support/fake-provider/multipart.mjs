// A small multipart/form-data parser (RFC 7578 on RFC 2046), written out instead of taken
// from a library so the fake has no dependencies and so its tolerance is known exactly.
//
// What it accepts, and why:
// - The boundary comes from the Content-Type `boundary` parameter, quoted or not.
// - A delimiter is "--boundary" at the very start of the body or right after a CRLF, followed
//   by optional spaces/tabs and CRLF (or "--" for the closing one). The same bytes anywhere
//   else — mid-line, or followed by other characters — are content, not a delimiter.
// - A preamble before the first delimiter and an epilogue after the closing one are ignored.
// - Part headers end at the first empty line; names are case-insensitive. Parameters in
//   Content-Disposition may be tokens or quoted strings with backslash escapes; an RFC 5987
//   `filename*=UTF-8''...` wins over `filename` (RFC 7578 §4.2 allows senders either).
// - Part bodies are bytes: CRLFs inside them are kept; only the CRLF before a delimiter
//   belongs to the delimiter.
// - A body with no closing delimiter is an error: a truncated upload must not pass as whole.

export class MultipartError extends Error {}

const CRLF = Buffer.from("\r\n");

/**
 * Splits a header value such as `form-data; name="file"; filename="a b.jsonl"` into its
 * leading value and a map of lower-case parameter names to decoded values.
 */
export function parseHeaderParams(header) {
  const s = String(header ?? "");
  let i = 0;
  const readUntil = (stops) => {
    const start = i;
    while (i < s.length && !stops.includes(s[i])) i++;
    return s.slice(start, i).trim();
  };
  const value = readUntil([";"]).toLowerCase();
  const params = {};
  while (i < s.length) {
    i++; // skip ';'
    while (i < s.length && (s[i] === " " || s[i] === "\t")) i++;
    if (i >= s.length) break;
    const name = readUntil(["=", ";"]).toLowerCase();
    if (s[i] !== "=") {
      if (name) params[name] = "";
      continue;
    }
    i++; // skip '='
    while (i < s.length && (s[i] === " " || s[i] === "\t")) i++;
    let val;
    if (s[i] === '"') {
      i++;
      val = "";
      while (i < s.length && s[i] !== '"') {
        if (s[i] === "\\" && i + 1 < s.length) i++;
        val += s[i++];
      }
      if (s[i] !== '"') throw new MultipartError(`Unterminated quoted string in header: ${s}`);
      i++;
      readUntil([";"]); // anything after the closing quote up to the next ';' is ignored
    } else {
      val = readUntil([";"]);
    }
    if (name && !(name in params)) params[name] = val;
  }
  return { value, params };
}

/** Decodes an RFC 5987 ext-value (`UTF-8''%E2%82%AC%20rates.txt`). */
function decodeExtValue(ext) {
  const m = /^([^']*)'[^']*'(.*)$/.exec(ext);
  if (!m) return undefined;
  try {
    const bytes = Buffer.from(m[2].replace(/%([0-9a-fA-F]{2})/g, (_, h) => String.fromCharCode(parseInt(h, 16))), "latin1");
    return bytes.toString(/^iso-8859-1$/i.test(m[1]) ? "latin1" : "utf8");
  } catch {
    return undefined;
  }
}

/** The boundary of a multipart Content-Type, or undefined if it is not multipart/form-data. */
export function boundaryOf(contentType) {
  const { value, params } = parseHeaderParams(contentType);
  if (value !== "multipart/form-data") return undefined;
  const b = params.boundary;
  return b && b.length <= 200 ? b : undefined;
}

/** True when `body[at..]` is a delimiter: "--boundary" then "--", or LWSP* CRLF. */
function delimiterEnd(body, at, delimiter) {
  if (!body.subarray(at, at + delimiter.length).equals(delimiter)) return -1;
  let i = at + delimiter.length;
  if (body[i] === 0x2d && body[i + 1] === 0x2d) return i; // closing "--": caller checks
  while (body[i] === 0x20 || body[i] === 0x09) i++;
  return body[i] === 0x0d && body[i + 1] === 0x0a ? i : -1;
}

/** Finds the next delimiter that starts a line at or after `from`; returns its start. */
function findDelimiter(body, from, delimiter) {
  const needle = Buffer.concat([CRLF, delimiter]);
  let at = from;
  for (;;) {
    const hit = body.indexOf(needle, at);
    if (hit < 0) return -1;
    if (delimiterEnd(body, hit + 2, delimiter) >= 0) return hit;
    at = hit + 1;
  }
}

function parsePartHeaders(block) {
  const headers = {};
  for (const line of block.toString("utf8").split("\r\n")) {
    if (!line) continue;
    const colon = line.indexOf(":");
    if (colon <= 0) throw new MultipartError(`Malformed part header: ${line.slice(0, 80)}`);
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return headers;
}

/**
 * Parses a whole multipart/form-data body (a Buffer).
 * Returns `{fields: {name: string}, files: [{field, filename, contentType, data: Buffer}]}`;
 * a repeated field name keeps its first value (as OpenAI reads `purpose`).
 */
export function parseMultipart(body, boundary) {
  if (!boundary) throw new MultipartError("Missing multipart boundary");
  const delimiter = Buffer.from(`--${boundary}`);
  // The first delimiter may open the body (no CRLF before it) or follow a preamble.
  let start = 0;
  if (delimiterEnd(body, 0, delimiter) < 0) {
    const hit = findDelimiter(body, 0, delimiter);
    if (hit < 0) throw new MultipartError("No multipart boundary found in body");
    start = hit + 2;
  }

  const fields = {};
  const files = [];
  for (;;) {
    const afterDelim = start + delimiter.length;
    if (body[afterDelim] === 0x2d && body[afterDelim + 1] === 0x2d) break; // closing delimiter
    const lineEnd = delimiterEnd(body, start, delimiter);
    const headersStart = lineEnd + 2;
    const headersEnd = body.indexOf("\r\n\r\n", headersStart - 2);
    if (headersEnd < 0) throw new MultipartError("Part headers are not terminated");
    const headers = parsePartHeaders(body.subarray(headersStart, headersEnd));
    const contentStart = headersEnd + 4;
    const next = findDelimiter(body, contentStart - 2, delimiter);
    if (next < 0) throw new MultipartError("Missing closing boundary");
    const data = next < contentStart ? Buffer.alloc(0) : body.subarray(contentStart, next);

    const disposition = parseHeaderParams(headers["content-disposition"]);
    if (disposition.value !== "form-data" || !disposition.params.name) {
      throw new MultipartError("Part without Content-Disposition: form-data; name=...");
    }
    const { name } = disposition.params;
    const ext = disposition.params["filename*"] !== undefined ? decodeExtValue(disposition.params["filename*"]) : undefined;
    const filename = ext ?? disposition.params.filename;
    if (filename !== undefined) {
      files.push({ field: name, filename, contentType: headers["content-type"] ?? "application/octet-stream", data });
    } else if (!(name in fields)) {
      fields[name] = data.toString("utf8");
    }
    start = next + 2;
  }
  return { fields, files };
}
