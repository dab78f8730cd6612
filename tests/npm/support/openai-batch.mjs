// The OpenAI batch suites' shared setup: a batch id, requests, a provider that polls at once.
import { OpenAIBatchChatProvider } from "edge-llm";

export const BATCH = "batch_abc123";
export const requests = (...ids) => ids.map((id) => ({ id, messages: [{ role: "system", content: "Reply in JSON." }, { role: "user", content: `q-${id}` }] }));
export const provider = (fetchFn, extra = {}) =>
  new OpenAIBatchChatProvider({ apiKey: "sk-test", model: "gpt-4o", fetchFn, pollIntervalMs: 0, ...extra });
export const completed = (extra = {}) => ({ status: "completed", output_file_id: "file-out", ...extra });
