// Loopback helpers: a free port, and waiting until a server answers.
import { createServer } from "node:net";

export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Polls `url` every 2 ms until it answers (any status); `exited` rejects early if the server dies. */
export async function waitForAnswer(url, { headers = {}, exited, timeoutMs = 30_000 } = {}) {
  let dead = false;
  exited?.then((code) => { dead = `exited with ${code}`; });
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    if (dead) throw new Error(dead);
    try {
      const response = await fetch(url, { headers });
      await response.arrayBuffer();
      return response.status;
    } catch {
      if (performance.now() > deadline) throw new Error(`no answer from ${url} in ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 2));
    }
  }
}
