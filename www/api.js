// The Worker's /v1 API (same origin) and the gateway token.
// The token lives in sessionStorage only (this tab, until it closes) and travels only in the
// Authorization header — never in a URL.

const TOKEN_KEY = "edge-llm.gatewayToken";

export const gatewayToken = {
  get: () => sessionStorage.getItem(TOKEN_KEY) ?? "",
  set: (value) => sessionStorage.setItem(TOKEN_KEY, value),
  clear: () => sessionStorage.removeItem(TOKEN_KEY),
};

/** An answer that is not 2xx, carrying the Worker's `error.message` when it sent one. */
export class ApiError extends Error {
  constructor(status, message, type, body) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.type = type;
    this.body = body;
  }
}

/** `{status, body}` for any HTTP answer; throws ApiError only when the network fails. */
export async function request(method, path, body) {
  const headers = { accept: "application/json" };
  const token = gatewayToken.get();
  if (token) headers.authorization = `Bearer ${token}`;
  const init = { method, headers, cache: "no-store" };
  if (body !== undefined) {
    headers["content-type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(path, init);
  } catch (e) {
    throw new ApiError(0, `Network error: ${e.message}`, "network");
  }
  const text = await res.text();
  let json;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, statusText: res.statusText, body: json, text };
}

/** The JSON body of a 2xx answer; anything else throws ApiError with the Worker's message. */
export async function api(method, path, body) {
  if (!gatewayToken.get()) {
    throw new ApiError(401, "Enter the gateway token above first.", "no_token");
  }
  const res = await request(method, path, body);
  if (res.status >= 200 && res.status < 300) return res.body;
  throw errorOf(res);
}

export function errorOf(res) {
  const error = res.body?.error;
  const message = typeof error?.message === "string" ? error.message : `${res.status} ${res.statusText || "error"}${res.text ? `: ${res.text.slice(0, 200)}` : ""}`;
  return new ApiError(res.status, message, error?.type, res.body);
}

/** How an error reads on the page: the API's message, with its status. */
export function describe(error) {
  if (error instanceof ApiError && error.status > 0 && error.type !== "no_token") return `${error.message} (HTTP ${error.status})`;
  return error.message;
}
