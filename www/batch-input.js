// What the batch form sends: typed prompts or JSONL lines → `[{id, messages}]`.
// No DOM here, so Node tests import it as it is.

/**
 * One request per non-empty line, ids `p1`, `p2`, … counted over the non-empty lines;
 * `system` (when not empty) goes first in each request. OpenAI's JSON mode wants the word
 * "json" in some message, so the page's default system message is "Answer in JSON.".
 */
export function promptsToRequests(text, system = "") {
  const lines = text.split(/\r?\n/).map((l) => l.trim()).filter(Boolean);
  return lines.map((content, i) => ({
    id: `p${i + 1}`,
    messages: [...(system.trim() ? [{ role: "system", content: system.trim() }] : []), { role: "user", content }],
  }));
}

/**
 * JSONL: each non-empty line is `{"id", "messages"}` or an OpenAI batch-input line
 * `{"custom_id", "body": {"messages"}}`. Lines are sent as written; a line that is neither
 * throws an Error naming its line number.
 */
export function jsonlToRequests(text) {
  const requests = [];
  const lines = text.split(/\r?\n/);
  lines.forEach((line, i) => {
    if (!line.trim()) return;
    const where = `line ${i + 1}`;
    let value;
    try {
      value = JSON.parse(line);
    } catch (e) {
      throw new Error(`${where}: not JSON (${e.message})`);
    }
    if (value === null || typeof value !== "object" || Array.isArray(value)) throw new Error(`${where}: not a JSON object`);
    const id = value.id ?? value.custom_id;
    const messages = value.messages ?? value.body?.messages;
    if (typeof id !== "string" || !id) throw new Error(`${where}: needs a string "id" (or "custom_id")`);
    if (!Array.isArray(messages)) throw new Error(`${where}: needs "messages" (or "body.messages") as an array`);
    requests.push({ id, messages: messages.map((m) => ({ role: m?.role, content: m?.content })) });
  });
  if (requests.length === 0) throw new Error("the file has no requests");
  return requests;
}
