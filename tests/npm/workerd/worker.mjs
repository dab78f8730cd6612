// A consumer's Cloudflare Worker in plain JavaScript: it imports the package by name, as any
// Worker project would, and wrangler picks the package's `workerd` entry (the .wasm imported
// as a module, since workerd cannot compile WebAssembly from bytes at run time).
import { countTokens, OpenAIChatProvider } from "edge-llm";

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    if (url.pathname === "/tokens") {
      const text = url.searchParams.get("text") ?? "";
      const model = url.searchParams.get("model") ?? undefined;
      return Response.json({ tokens: countTokens(text, model) });
    }
    if (url.pathname === "/chat") {
      const llm = new OpenAIChatProvider({ apiKey: env.OPENAI_API_KEY, model: "gpt-4o-mini", baseUrl: env.OPENAI_BASE_URL });
      try {
        const result = await llm.chat(await request.json());
        return Response.json(result);
      } catch (err) {
        return Response.json({ error: err.message, isError: err instanceof Error }, { status: 502 });
      }
    }
    return new Response("not found", { status: 404 });
  },
};
