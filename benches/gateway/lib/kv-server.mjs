// Workers KV for bare workerd: an HTTP server on loopback that a `kvNamespace` binding talks
// to (workerd's KV binding speaks plain HTTP to a service), keeping keys in memory. Outside
// workerd, as KV is outside the Worker on Cloudflare: its CPU is not the Worker's.
// It speaks what workerd sends: GET/PUT/DELETE on `/<key>?urlencoded=true` with metadata in
// the `CF-KV-Metadata` header, and list as GET `/?prefix=&limit=&cursor=`.
import http from "node:http";

export function startKvServer() {
  const store = new Map(); // key → {value: Buffer, metadata: string|undefined, expiration: seconds|null}
  const live = (entry, now) => entry && !(entry.expiration && entry.expiration <= now);
  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url, "http://kv");
    const key = decodeURIComponent(url.pathname.slice(1));
    const now = Date.now() / 1000;
    const chunks = [];
    for await (const c of req) chunks.push(c);
    if (req.method === "GET" && key === "") {
      const prefix = url.searchParams.get("prefix") ?? "";
      const limit = Number(url.searchParams.get("limit")) || 1000;
      const after = url.searchParams.get("cursor") ?? "";
      const names = [...store.keys()].filter((k) => k.startsWith(prefix) && k > after && live(store.get(k), now)).sort();
      const keys = names.slice(0, limit).map((name) => {
        const { metadata, expiration } = store.get(name);
        return { name, ...(expiration ? { expiration: Math.floor(expiration) } : {}), ...(metadata ? { metadata: JSON.parse(metadata) } : {}) };
      });
      const complete = names.length <= limit;
      res.setHeader("content-type", "application/json");
      return res.end(JSON.stringify({ keys, list_complete: complete, ...(complete ? {} : { cursor: names[limit - 1] }) }));
    }
    if (req.method === "GET") {
      const entry = store.get(key);
      if (!live(entry, now)) return res.writeHead(404).end();
      if (entry.metadata) res.setHeader("CF-KV-Metadata", entry.metadata);
      return res.end(entry.value);
    }
    if (req.method === "PUT") {
      const ttl = Number(url.searchParams.get("expiration_ttl")) || 0;
      const at = Number(url.searchParams.get("expiration")) || 0;
      store.set(key, { value: Buffer.concat(chunks), metadata: req.headers["cf-kv-metadata"], expiration: at || (ttl ? now + ttl : null) });
      return res.end();
    }
    if (req.method === "DELETE") {
      store.delete(key);
      return res.end();
    }
    res.writeHead(501).end(`kv-server: ${req.method} ${req.url} is not handled`);
  });
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => resolve({
      address: `127.0.0.1:${server.address().port}`,
      store,
      close: () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); }),
    }));
  });
}
