#!/usr/bin/env node
// Starts the fake provider from a shell (the README demo, wrangler-based tests):
//   node tests/support/fake-provider/cli.mjs [--port 8788]
// prints one JSON line with its URLs on stdout, then runs until SIGINT/SIGTERM.

import { startFakeProvider } from "./index.mjs";

function parseArgs(argv) {
  const options = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const [flag, inline] = arg.split("=", 2);
    const value = () => inline ?? argv[++i];
    if (flag === "--port") options.port = Number(value());
    else if (flag === "--help" || flag === "-h") {
      process.stdout.write("usage: node cli.mjs [--port <port>]   (0 or absent = any free port)\n");
      process.exit(0);
    } else {
      process.stderr.write(`fake-provider: unknown argument ${arg}\n`);
      process.exit(2);
    }
  }
  if (options.port !== undefined && !(Number.isInteger(options.port) && options.port >= 0 && options.port < 65536)) {
    process.stderr.write("fake-provider: --port must be an integer between 0 and 65535\n");
    process.exit(2);
  }
  return options;
}

const fake = await startFakeProvider(parseArgs(process.argv.slice(2)));
const { url, openaiBaseUrl, anthropicBaseUrl, ollamaUrl } = fake;
process.stdout.write(`${JSON.stringify({ url, openaiBaseUrl, anthropicBaseUrl, ollamaUrl })}\n`);

let stopping = false;
async function stop() {
  if (stopping) return;
  stopping = true;
  await fake.close();
  process.exit(0);
}
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
