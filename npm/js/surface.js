// The package's public names over its two wasm modules:
//   edge_llm_tokens  the token counter: the vocabularies and ~25 KB of code
//   edge_llm         the providers, factory and health checks: no vocabulary
// Counting is what starts cold most often, so an entry loads the token module at once and
// the provider module only when a class or function needs it (`ready.providers`). Provider
// instances count through the token module: `countTokens` on their prototypes reads the
// encoding the instance reports (`tokenEncoding`).
import * as providers from "./edge_llm.js";
import * as tokens from "./edge_llm_tokens.js";

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
 * The public API: each of `names` from the module that has it. Names of the token module are
 * its functions; of the provider module, wasm-bindgen classes (their prototypes have `free`)
 * or functions. `ready.tokens()` / `ready.providers()` make sure a module is instantiated (or
 * throw saying how); each runs at most once.
 */
export function surface(names, ready) {
  const tokensReady = once(ready.tokens);
  const providersReady = once(ready.providers);
  function countTokens(text) {
    tokensReady();
    return tokens.countWithEncoding(text, this.tokenEncoding);
  }
  const api = {};
  for (const name of names) {
    if (name in tokens) {
      const fn = tokens[name];
      api[name] = { [name]: (...args) => (tokensReady(), fn(...args)) }[name];
      continue;
    }
    const value = providers[name];
    if (typeof value?.prototype?.free === "function") {
      // Instances that report an encoding count through the token module.
      if (Object.getOwnPropertyDescriptor(value.prototype, "tokenEncoding")) value.prototype.countTokens = countTokens;
      // A Proxy, not a subclass: instances made inside the module (the factory's) are still
      // `instanceof` the exported class.
      api[name] = new Proxy(value, {
        construct(target, args, newTarget) {
          providersReady();
          return Reflect.construct(target, args, newTarget);
        },
      });
    } else if (typeof value === "function") {
      api[name] = { [name]: (...args) => (providersReady(), value(...args)) }[name];
    } else {
      throw new Error(`edge-llm: the package has no ${name} (a build mismatch)`);
    }
  }
  return api;
}
