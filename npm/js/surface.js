// The package's public names over its two wasm modules:
//   edge_llm_tokens  the token counter: the vocabularies and ~25 KB of code
//   edge_llm         the providers, factory and health checks: no vocabulary
// Counting is what starts cold most often, so an entry loads the token module at once and
// the provider module only when a class or function needs it (`ready.providers`). Provider
// instances count through the token module: `countTokens` on their prototypes reads the
// encoding the instance reports (`tokenEncoding`).
import * as providers from "./edge_llm.js";
import * as tokens from "./edge_llm_tokens.js";

const CLASSES = [
  "OpenAIChatProvider",
  "OpenAIBatchChatProvider",
  "AnthropicChatProvider",
  "AnthropicBatchChatProvider",
  "OllamaChatProvider",
  "OpenAIEmbeddingProvider",
  "OllamaEmbeddingProvider",
  "OpenAIBatchEmbeddingProvider",
  "ServiceFactory",
];
const FUNCTIONS = ["checkLLMHealth", "checkEmbeddingHealth"];

/** Runs `fn` the first time, never again. */
function once(fn) {
  let done = false;
  return () => {
    if (!done) {
      fn();
      done = true;
    }
  };
}

/**
 * The public API. `ready.tokens()` / `ready.providers()` make sure a module is instantiated
 * (or throw saying how to do it); each runs at most once.
 */
export function surface(ready) {
  const tokensReady = once(ready.tokens);
  const providersReady = once(ready.providers);
  const api = {
    countTokens: (text, model) => (tokensReady(), tokens.countTokens(text, model)),
    encodingForModel: (model) => (tokensReady(), tokens.encodingForModel(model)),
  };
  function countTokens(text) {
    tokensReady();
    return tokens.countWithEncoding(text, this.tokenEncoding);
  }
  for (const name of CLASSES) {
    const cls = providers[name];
    if (name !== "ServiceFactory") cls.prototype.countTokens = countTokens;
    // A Proxy, not a subclass: instances made inside the module (the factory's) are still
    // `instanceof` the exported class.
    api[name] = new Proxy(cls, {
      construct(target, args, newTarget) {
        providersReady();
        return Reflect.construct(target, args, newTarget);
      },
    });
  }
  for (const name of FUNCTIONS) {
    const fn = providers[name];
    api[name] = { [name]: (...args) => (providersReady(), fn(...args)) }[name];
  }
  return api;
}
