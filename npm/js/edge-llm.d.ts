// edge-llm: the public API (contract §1–3). Hand-written; no `any`.

export type Role = "system" | "user" | "assistant";

export interface Message {
  role: Role;
  content: string;
}

export interface TokenUsage {
  inputTokens: number;
  outputTokens: number;
}

export interface ChatResult {
  response: Record<string, unknown>;
  usage: TokenUsage;
}

export interface BatchChatRequest {
  id: string;
  messages: Message[];
}

export interface BatchChatResult {
  id: string;
  response: Record<string, unknown>;
  usage: TokenUsage;
  /** Why this item has no answer; absent when it has one. */
  error?: string;
}

export interface BatchChatOptions {
  /** Resume polling a batch created earlier instead of creating one. */
  existingBatchId?: string;
  /** Called once, with the new batch's id, as soon as the batch exists upstream. */
  onBatchCreated?: (batchId: string) => void;
}

export interface BatchEmbeddingRequest {
  id: string;
  text: string;
}

export interface BatchEmbeddingResult {
  id: string;
  embedding: number[];
  error?: string;
}

/** Any method may be absent; `meta` is a plain object. */
export interface Logger {
  info?(msg: string, meta?: object): void;
  warn?(msg: string, meta?: object): void;
  error?(msg: string, meta?: object): void;
  debug?(msg: string, meta?: object): void;
  child?(name: string): Logger;
}

/** What `fetchFn` must return: a `Response`, or any object with some of these members. */
export interface ResponseLike {
  ok: boolean;
  status?: number;
  statusText?: string;
  headers?: Headers;
  json?(): Promise<unknown>;
  text?(): Promise<string>;
}

export interface FetchInit {
  method: string;
  headers?: Record<string, string>;
  body?: string | FormData;
  signal?: AbortSignal;
}

export type FetchFn = (url: string, init: FetchInit) => Promise<ResponseLike>;

/** Options every provider takes. */
export interface ProviderOptions {
  apiKey?: string;
  model: string;
  /** Defaults to the global `fetch`. */
  fetchFn?: FetchFn;
  logger?: Logger;
  /** Retries of network errors and 408/409/429/5xx, with backoff and jitter; default 0. */
  maxRetries?: number;
  /** Timeout of each HTTP call in ms; default none. */
  requestTimeoutMs?: number;
}

export interface OpenAIOptions extends ProviderOptions {
  apiKey: string;
  /** Default `https://api.openai.com/v1`; any OpenAI-compatible server. */
  baseUrl?: string;
  /** Default 8192 (sent as `max_completion_tokens` to o-series and gpt-5 models). */
  maxTokens?: number;
}

export interface AnthropicOptions extends ProviderOptions {
  apiKey: string;
  /** Default `https://api.anthropic.com/v1`. */
  baseUrl?: string;
  /** Default 8192. */
  maxTokens?: number;
}

export interface OllamaOptions extends ProviderOptions {
  /** The Ollama server; default `http://localhost:11434`. */
  url?: string;
  /** Default 8192. */
  maxContextTokens?: number;
  /** Sent as `options.num_predict` when set. */
  maxTokens?: number;
}

export interface BatchScheduleOptions {
  /** First wait before polling, growing ×1.5 per poll; default 10000. */
  pollIntervalMs?: number;
  /** Longest wait between polls; default 120000. */
  maxPollIntervalMs?: number;
  /** Batch deadline; default 24 h. */
  timeoutMs?: number;
}

export interface EmbeddingOptions {
  /** Vector length; OpenAI sends it as `dimensions` when set. Defaults by model. */
  dimensions?: number;
}

export interface ChatProvider {
  readonly maxContextTokens: number;
  countTokens(text: string): number;
  chat(messages: Message[]): Promise<ChatResult>;
}

export interface BatchChatProvider extends ChatProvider {
  readonly batch: true;
  readonly timeoutMs: number;
  chatBatch(requests: BatchChatRequest[], options?: BatchChatOptions): Promise<BatchChatResult[]>;
}

export interface EmbeddingProvider {
  readonly dimensions: number;
  countTokens(text: string): number;
  embed(texts: string[]): Promise<number[][]>;
}

// Each class is its constructor plus the interface it implements (declaration merging), so
// the members are written once, on the interfaces above.

export declare class OpenAIChatProvider {
  constructor(options: OpenAIOptions);
}
export interface OpenAIChatProvider extends ChatProvider {}

export declare class OpenAIBatchChatProvider {
  constructor(options: OpenAIOptions & BatchScheduleOptions);
}
export interface OpenAIBatchChatProvider extends BatchChatProvider {}

/** `countTokens` is an o200k_base estimate: Anthropic's tokenizer is not public. */
export declare class AnthropicChatProvider {
  constructor(options: AnthropicOptions);
}
export interface AnthropicChatProvider extends ChatProvider {}

/**
 * `countTokens` is an o200k_base estimate. `chatBatch` request ids must match
 * `^[a-zA-Z0-9_-]{1,64}$`; others are rejected before anything is sent.
 */
export declare class AnthropicBatchChatProvider {
  constructor(options: AnthropicOptions & BatchScheduleOptions);
}
export interface AnthropicBatchChatProvider extends BatchChatProvider {}

/** `countTokens` is an o200k_base estimate. */
export declare class OllamaChatProvider {
  constructor(options: OllamaOptions);
}
export interface OllamaChatProvider extends ChatProvider {}

/** `embed` splits more than 2048 texts into several calls. */
export declare class OpenAIEmbeddingProvider {
  constructor(options: OpenAIOptions & EmbeddingOptions);
}
export interface OpenAIEmbeddingProvider extends EmbeddingProvider {}

export declare class OllamaEmbeddingProvider {
  constructor(options: OllamaOptions & EmbeddingOptions);
}
export interface OllamaEmbeddingProvider extends EmbeddingProvider {}

export interface BatchEmbeddingProvider extends EmbeddingProvider {
  readonly batch: true;
  readonly timeoutMs: number;
  embedBatch(requests: BatchEmbeddingRequest[], options?: BatchChatOptions): Promise<BatchEmbeddingResult[]>;
}

export declare class OpenAIBatchEmbeddingProvider {
  constructor(options: OpenAIOptions & EmbeddingOptions & BatchScheduleOptions);
}
export interface OpenAIBatchEmbeddingProvider extends BatchEmbeddingProvider {}

export interface ProviderConfig {
  provider: "openai" | "anthropic" | "ollama";
  url: string;
  model: string;
  apiKey: string;
  batch?: boolean;
  baseUrl?: string;
}

export interface ServiceFactoryConfig {
  llm: ProviderConfig;
  embedding?: ProviderConfig;
}

export interface ServiceFactoryOptions {
  fetchFn?: FetchFn;
  logger?: Logger;
}

export declare class ServiceFactory {
  constructor(config: ServiceFactoryConfig, opts?: ServiceFactoryOptions);
  createLLMProvider(): ChatProvider | BatchChatProvider;
  createEmbeddingProvider(): EmbeddingProvider;
}

export interface HealthCheckConfig {
  provider: string;
  apiKey: string;
  model: string;
  url: string;
  baseUrl?: string;
}

export interface HealthCheckResult {
  ok: boolean;
  /** Absent when `ok`. */
  error?: string;
}

/** Never rejects: failures come back as `{ ok: false, error }`. */
export declare function checkLLMHealth(config: HealthCheckConfig, fetchFn?: FetchFn): Promise<HealthCheckResult>;
/** Never rejects: failures come back as `{ ok: false, error }`. */
export declare function checkEmbeddingHealth(config: HealthCheckConfig, fetchFn?: FetchFn): Promise<HealthCheckResult>;

/** Tokens in `text` for `model` (default `gpt-4o`); special-token text counts as ordinary text. */
export declare function countTokens(text: string, model?: string): number;
/** The encoding `countTokens` uses for `model`: `"o200k_base"` or `"cl100k_base"`. */
export declare function encodingForModel(model?: string): "o200k_base" | "cl100k_base";
