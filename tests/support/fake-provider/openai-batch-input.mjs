// Checks a batch input file the way OpenAI's `validating` step does, and turns each valid
// line into the small record the batch keeps for the rest of its life.
//
// Rules (each broken rule is one `{code, message, param, line}` entry, line 1-based):
// every non-empty line is a JSON object with a unique string `custom_id`, `method: "POST"`,
// `url` equal to the batch endpoint, and a `body` object with a string `model`; all lines
// use the same model; at most 50,000 requests; the file is not empty.

export const MAX_BATCH_REQUESTS = 50_000;
const MAX_REPORTED_ERRORS = 100; // the real service stops listing after a while too

const isObject = (v) => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * `preview(endpoint, body)` gives `{status, errorFile, usage}` for one request body.
 * Returns `{errors, items, model}`; `items[i]` = `{customId, line, status, errorFile, prompt, completion}`.
 */
export function validateInputFile(file, endpoint, preview) {
  const errors = [];
  const items = [];
  const seen = new Set();
  let model;
  const error = (code, message, param, line) => errors.length < MAX_REPORTED_ERRORS && errors.push({ code, message, param, line });

  if (!file?.data) {
    error("invalid_file", "The input file could not be read.", "input_file_id", null);
    return { errors, items, model };
  }
  const lines = file.data.toString("utf8").split("\n");
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n].endsWith("\r") ? lines[n].slice(0, -1) : lines[n];
    if (line.trim() === "") continue;
    const lineNo = n + 1;
    let req;
    try {
      req = JSON.parse(line);
    } catch {
      req = undefined;
    }
    if (!isObject(req)) {
      error("invalid_json_line", "This line is not parseable as valid JSON.", null, lineNo);
      continue;
    }
    let ok = true;
    const bad = (code, message, param) => {
      ok = false;
      error(code, message, param, lineNo);
    };
    if (typeof req.custom_id !== "string" || req.custom_id === "") {
      bad("missing_required_parameter", "Missing required parameter: 'custom_id'.", "custom_id");
    } else if (seen.has(req.custom_id)) {
      bad("duplicate_custom_id", "The custom_id for this request is a duplicate of another request. The custom_id parameter must be unique for each request in a batch.", "custom_id");
    }
    if (req.method !== "POST") bad("invalid_value", `Invalid value for 'method': '${req.method}'. Only 'POST' is supported.`, "method");
    if (req.url !== endpoint) {
      bad("invalid_url", `The URL provided for this request ('${req.url}') does not match the batch endpoint '${endpoint}'.`, "url");
    }
    if (!isObject(req.body)) {
      bad("missing_required_parameter", "Missing required parameter: 'body'.", "body");
    } else if (typeof req.body.model !== "string") {
      bad("missing_required_parameter", "Missing required parameter: 'body.model'.", "body.model");
    } else if (model === undefined) {
      model = req.body.model;
    } else if (req.body.model !== model) {
      bad("mismatched_model", `The provided model '${req.body.model}' does not match the model '${model}' of the other requests in the batch. All requests in a batch must use the same model.`, "body.model");
    }
    if (!ok) continue;
    seen.add(req.custom_id);
    const p = preview(endpoint, req.body);
    items.push({ customId: req.custom_id, line, status: p.status, errorFile: p.errorFile, prompt: p.usage.prompt, completion: p.usage.completion });
  }
  if (items.length === 0 && errors.length === 0) error("empty_file", "The batch input file is empty.", null, null);
  if (items.length > MAX_BATCH_REQUESTS) {
    error("too_many_requests", `The batch input file contains ${items.length} requests; a batch can contain at most ${MAX_BATCH_REQUESTS}.`, null, null);
  }
  return { errors, items, model };
}
