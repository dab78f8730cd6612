// The public names, listed once: the build script writes the entry files from this list,
// and the package test checks every entry exports exactly these.
export const PUBLIC_EXPORTS = [
  "OpenAIChatProvider",
  "OpenAIBatchChatProvider",
  "AnthropicChatProvider",
  "AnthropicBatchChatProvider",
  "OllamaChatProvider",
  "OpenAIEmbeddingProvider",
  "OllamaEmbeddingProvider",
  "OpenAIBatchEmbeddingProvider",
  "ServiceFactory",
  "checkLLMHealth",
  "checkEmbeddingHealth",
  "countTokens",
  "encodingForModel",
];
