// Streaming through the Worker, measured (issue 11). Needs Node 22 (Miniflare) and build/:
//
//   bash scripts/build-worker.sh && source scripts/env.sh && "$NODE22" benches/streaming/bench.mjs [--quick]
//
// 1. Time to first byte: the same streamed chat, side by side, straight to the fake upstream
//    and through the Worker in workerd (Miniflare; the Worker relays OpenAI's stream and
//    translates Anthropic's and Ollama's). Requests alternate, so a busy spell on the shared
//    machine hits both sides alike; reported as the milliseconds the Worker adds (medians, p90).
// 2. Memory for a 10,000-chunk stream: the isolate's wasm linear memory (the Worker logs it
//    when a stream ends) and workerd's resident memory, before and after — flat means the
//    stream was passed on, not gathered.
//
// A logged measurement, not a test: it prints the figures and exits 0.
import { startWorker, sampleWorkerdMemory } from "../../tests/worker/support/worker.mjs";

const quick = process.argv.includes("--quick");
const ROUNDS = quick ? 20 : 60;
const WARMUP = 8;
const MiB = 1024 * 1024;

const w = await startWorker({
  vars: (fake) => ({ EMBEDDING_PROVIDER: "ollama", EMBEDDING_MODEL: "nomic-embed-text", EMBEDDING_URL: fake.ollamaUrl }),
});
const { fake } = w;
const user = (content) => [{ role: "user", content }];

/** Milliseconds from sending to the first body byte; the rest is read and dropped. */
async function ttfb(send) {
  const started = performance.now();
  const response = await send();
  const reader = response.body.getReader();
  const first = await reader.read();
  const ms = performance.now() - started;
  if (response.status !== 200 || first.done) throw new Error(`status ${response.status}`);
  while (!(await reader.read()).done);
  return ms;
}

const prompt = "[[chunks:8]] time to first byte";
const direct = {
  openai: () => fetch(`${fake.openaiBaseUrl}/chat/completions`, { method: "POST", headers: { authorization: "Bearer sk-test", "content-type": "application/json" },
    body: JSON.stringify({ model: "gpt-4o-mini", stream: true, messages: user(prompt) }) }),
  anthropic: () => fetch(`${fake.anthropicBaseUrl}/messages`, { method: "POST", headers: { "x-api-key": "sk-ant-test", "anthropic-version": "2023-06-01", "content-type": "application/json" },
    body: JSON.stringify({ model: "claude-sonnet-4-5", max_tokens: 1000, stream: true, messages: user(prompt) }) }),
  ollama: () => fetch(`${fake.ollamaUrl}/api/chat`, { method: "POST", headers: { "content-type": "application/json" },
    body: JSON.stringify({ model: "llama3.2", stream: true, messages: user(prompt) }) }),
};
const models = { openai: "gpt-4o-mini", anthropic: "anthropic/claude-sonnet-4-5", ollama: "ollama/llama3.2" };
const through = (provider) => () => w.mf.dispatchFetch("http://localhost/v1/chat/completions", {
  method: "POST", headers: { authorization: `Bearer ${w.bindings.GATEWAY_TOKEN}`, "content-type": "application/json" },
  body: JSON.stringify({ model: models[provider], stream: true, messages: user(prompt) }),
});

const quantile = (xs, q) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
};
const f1 = (x) => x.toFixed(1);

console.log(`# Streaming through the Worker — ${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${ROUNDS} rounds per provider\n`);
console.log("## Time to first byte (ms)\n");
console.log("| upstream format | direct median | direct p90 | through the Worker median | through p90 | added (median) |");
console.log("|---|---:|---:|---:|---:|---:|");
for (const provider of Object.keys(direct)) {
  for (let i = 0; i < WARMUP; i++) {
    await ttfb(direct[provider]);
    await ttfb(through(provider));
  }
  const d = [];
  const t = [];
  for (let i = 0; i < ROUNDS; i++) {
    // Alternate which side goes first.
    if (i % 2) { d.push(await ttfb(direct[provider])); t.push(await ttfb(through(provider))); }
    else { t.push(await ttfb(through(provider))); d.push(await ttfb(direct[provider])); }
  }
  const [dm, tm] = [quantile(d, 0.5), quantile(t, 0.5)];
  console.log(`| ${provider} | ${f1(dm)} | ${f1(quantile(d, 0.9))} | ${f1(tm)} | ${f1(quantile(t, 0.9))} | **+${f1(tm - dm)}** |`);
}

// Memory: a short stream first (the isolate warm, its memory at its working size), then
// 10,000 chunks of about 1 KB each (~10 MB of content, more as SSE).
const streamEnded = () => w.lines().filter((l) => l.msg === "stream ended");
async function drain(provider, content) {
  const response = await w.mf.dispatchFetch("http://localhost/v1/chat/completions", {
    method: "POST", headers: { authorization: `Bearer ${w.bindings.GATEWAY_TOKEN}`, "content-type": "application/json" },
    // No output limit, so every provider's stream is the whole padded reply.
    body: JSON.stringify({ model: models[provider], stream: true, max_tokens: 10_000_000, messages: user(content) }),
  });
  let bytes = 0;
  let events = 0;
  const decoder = new TextDecoder();
  for await (const chunk of response.body) {
    bytes += chunk.length;
    events += decoder.decode(chunk, { stream: true }).split("\n\n").length - 1;
  }
  return { bytes, events };
}
console.log("\n## Memory, 10,000-chunk streams\n");
console.log("Three streams in a row per format, each 10,000 content chunks of ~1 KB. wasm memory is the isolate's");
console.log("linear memory (it never shrinks, so it is also the peak); workerd RSS is sampled every 20 ms.\n");
console.log("| upstream format | SSE per stream | events | wasm memory: warm → after 3 streams | workerd RSS: before → peak in 1st / 2nd / 3rd stream |");
console.log("|---|---:|---:|---:|---:|");
fake.configure({ outputPadBytes: 10 * 1000 * 1000 });
for (const provider of Object.keys(direct)) {
  await drain(provider, "[[chunks:20]] warm");
  const before = streamEnded().at(-1).wasmMemoryBytes;
  const peaks = [];
  let sent;
  let start;
  for (let i = 0; i < 3; i++) {
    const sampler = sampleWorkerdMemory(20);
    start ??= sampler.start;
    sent = await drain(provider, `[[chunks:10000]] long ${i}`);
    peaks.push(sampler.stop().peakRss);
    const last = streamEnded().at(-1);
    if (last.outcome !== "done") throw new Error(`the 10,000-chunk stream ended: ${last.outcome}`);
  }
  const after = streamEnded().at(-1).wasmMemoryBytes;
  console.log(`| ${provider} | ${f1(sent.bytes / MiB)} MiB | ${sent.events} | ${f1(before / MiB)} → ${f1(after / MiB)} MiB | ${f1(start / MiB)} → ${peaks.map((p) => f1(p / MiB)).join(" / ")} MiB |`);
}
await w.close();
