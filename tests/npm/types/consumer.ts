// A consumer written against the contract's TypeScript surface (§1–3), checked with `tsc
// --strict` against the package's hand-written edge-llm.d.ts. Each `@ts-expect-error` is a
// misuse the types must refuse: if it compiled, tsc would fail on the unused directive.
import {
  AnthropicBatchChatProvider,
  OllamaChatProvider,
  OpenAIBatchChatProvider,
  OpenAIBatchEmbeddingProvider,
  OpenAIEmbeddingProvider,
  ServiceFactory,
  checkEmbeddingHealth,
  checkLLMHealth,
  countTokens,
  encodingForModel,
  type BatchChatResult,
  type ChatResult,
  type FetchFn,
  type HealthCheckResult,
  type Logger,
  type Message,
} from "edge-llm";

// A test double with only some members is a valid fetchFn (contract §1).
const fetchFn: FetchFn = async (url: string, init) => {
  const headers: Record<string, string> | undefined = init.headers;
  void url;
  void headers;
  return { ok: true, json: async () => ({}) };
};
const logger: Logger = { info: (msg: string, meta?: object) => void [msg, meta] };

const messages: Message[] = [
  { role: "system", content: "Answer in JSON." },
  { role: "user", content: "Three colours?" },
];
// @ts-expect-error: not a role
const badRole: Message = { role: "robot", content: "x" };

const batch = new OpenAIBatchChatProvider({ apiKey: "k", model: "gpt-4o", fetchFn, logger, pollIntervalMs: 0 });
const isBatch: true = batch.batch;
const window: number = batch.maxContextTokens + batch.timeoutMs + batch.countTokens("x");
async function chatBatch(): Promise<BatchChatResult[]> {
  const results = await batch.chatBatch([{ id: "a", messages }], { onBatchCreated: (id: string) => void id });
  const error: string | undefined = results[0].error;
  void error;
  return results;
}
async function chat(): Promise<ChatResult> {
  const r = await new AnthropicBatchChatProvider({ apiKey: "k", model: "claude" }).chat(messages);
  const tokens: number = r.usage.inputTokens + r.usage.outputTokens;
  void tokens;
  return r;
}
// @ts-expect-error: model is required
new OllamaChatProvider({ url: "http://localhost:11434" });
const ollama = new OllamaChatProvider({ model: "llama3.2", maxContextTokens: 32_768 });

const embed = new OpenAIEmbeddingProvider({ apiKey: "k", model: "text-embedding-3-small", dimensions: 256 });
const vectors: Promise<number[][]> = embed.embed(["a", "b"]);
const embedBatch = new OpenAIBatchEmbeddingProvider({ apiKey: "k", model: "text-embedding-3-small" });
const items: Promise<{ id: string; embedding: number[]; error?: string }[]> = embedBatch.embedBatch([{ id: "a", text: "x" }]);

const factory = new ServiceFactory({ llm: { provider: "openai", url: "", model: "gpt-4o", apiKey: "k", batch: true } }, { fetchFn, logger });
const llm = factory.createLLMProvider();
const answer: Promise<ChatResult> = llm.chat(messages);
// @ts-expect-error: not a provider the factory knows
new ServiceFactory({ llm: { provider: "cohere", url: "", model: "m", apiKey: "k" } });

const health: Promise<HealthCheckResult> = checkLLMHealth({ provider: "openai", apiKey: "k", model: "gpt-4o", url: "" }, fetchFn);
const embeddingHealth: Promise<HealthCheckResult> = checkEmbeddingHealth({ provider: "ollama", apiKey: "", model: "nomic-embed-text", url: "http://h" });
const count: number = countTokens("hello") + countTokens("hello", "gpt-4");
const encoding: "o200k_base" | "cl100k_base" = encodingForModel("gpt-4o");

void [badRole, isBatch, window, chatBatch, chat, ollama, vectors, items, answer, health, embeddingHealth, count, encoding];
