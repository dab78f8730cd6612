// The control API under `/__control/`, for code in other processes (the Worker under
// wrangler/Miniflare, browser tests, the README demo). Each route mirrors a method of the
// object startFakeProvider() returns. Control requests are not recorded and no fault
// applies to them, so a test's own bookkeeping never shows up in what it asserts on.

const bad = (message) => ({ status: 400, body: { error: { message } } });

/** Recorded requests, optionally filtered: `?path=<regex source>&method=GET`. */
function requests(fake, query) {
  let list = fake.requests;
  if (query.get("path")) {
    const re = new RegExp(query.get("path"));
    list = list.filter((r) => re.test(r.path));
  }
  if (query.get("method")) list = list.filter((r) => r.method === query.get("method").toUpperCase());
  return list;
}

export async function handleControl(fake, method, url, body) {
  const name = url.pathname.slice("/__control/".length);
  try {
    if (method === "POST" && name === "configure") {
      const text = body.toString("utf8").trim();
      let patch;
      try {
        patch = text ? JSON.parse(text) : {};
      } catch {
        return bad("configure expects a JSON object (a scenario patch)");
      }
      return { status: 200, body: { scenario: fake.configure(patch) } };
    }
    if (method === "POST" && name === "reset") {
      fake.reset();
      return { status: 200, body: { ok: true } };
    }
    if (method === "POST" && name === "advance") {
      fake.advanceAll();
      const { batches, messageBatches } = await fake.state();
      return { status: 200, body: { batches, messageBatches } };
    }
    if (method === "GET" && name === "requests") return { status: 200, body: requests(fake, url.searchParams) };
    if (method === "GET" && name === "state") return { status: 200, body: await fake.state() };
  } catch (err) {
    return bad(err.message);
  }
  return { status: 404, body: { error: { message: `Unknown control route ${method} ${url.pathname}` } } };
}
