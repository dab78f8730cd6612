// One upstream call in one crossing of the wasm boundary (issue 10): fetch's `init`, the call
// and the timeout race, which took some thirty crossings when driven from Rust piece by piece.
//
// `headers` is JSON text of a plain object (absent: no headers member); `body` a string, a
// FormData or undefined. With `timeoutMs`, the answer races a timer from the global
// `setTimeout` as it is *now* (test fake timers apply), so even a fetchFn that ignores
// `signal` times out: the promise then resolves to `timedOut`, and the call is aborted.
// A fetchFn that throws synchronously throws from here; one that returns a plain value
// resolves to it.
export function send(fetchFn, self, url, method, headers, body, timeoutMs, timedOut) {
  const init = { method };
  if (headers !== undefined) init.headers = JSON.parse(headers);
  if (body !== undefined) init.body = body;
  if (timeoutMs === undefined) return Promise.resolve(fetchFn.call(self, url, init));
  const controller = new AbortController();
  init.signal = controller.signal;
  const answer = Promise.resolve(fetchFn.call(self, url, init));
  let timer;
  const deadline = new Promise((resolve) => {
    timer = globalThis.setTimeout(resolve, timeoutMs, timedOut);
  });
  return Promise.race([answer, deadline]).then(
    (value) => {
      globalThis.clearTimeout(timer);
      if (value === timedOut) controller.abort();
      return value;
    },
    (error) => {
      globalThis.clearTimeout(timer);
      throw error;
    },
  );
}
