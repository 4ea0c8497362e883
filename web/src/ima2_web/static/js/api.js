// Fetch wrapper for the ima2 HTTP API: JSON in, JSON out, one error type for every failure.
//
// Error envelopes the server uses (spec + reference, see anchor-behaviour §1.10):
//   1. flat:    {error: "message", code: "CODE", requestId, ...}
//   2. nested:  {error: {code: "CODE", message: "message"}}
//   3. keyed:   {ok: false, error: "message", code: "CODE"}
// plus FastAPI's own {detail: ...} for validation failures and plain-text bodies from proxies.
// Only `error`/`message` and `code` are ever shown; upstream* fields are never surfaced.

const MAX_MESSAGE = 400;

export class ApiError extends Error {
  constructor(message, { status = 0, code = null, requestId = null, retryAfter = null } = {}) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.requestId = requestId;
    this.retryAfter = retryAfter;
  }
}

function clip(text) {
  const s = String(text).trim();
  return s.length > MAX_MESSAGE ? `${s.slice(0, MAX_MESSAGE)}…` : s;
}

/** Extract {message, code} from any error body the API may send. */
export function parseErrorBody(body, status = 0) {
  let message = null;
  let code = null;
  if (body && typeof body === "object") {
    const err = body.error;
    if (typeof err === "string") {
      message = err;
      code = body.code ?? null;
    } else if (err && typeof err === "object") {
      message = err.message ?? null;
      code = err.code ?? body.code ?? null;
    } else if (typeof body.message === "string") {
      message = body.message;
      code = body.code ?? null;
    } else if (body.detail !== undefined) {
      // FastAPI validation error: {detail: "..."} or {detail: [{msg, loc}, ...]}.
      if (typeof body.detail === "string") message = body.detail;
      else if (Array.isArray(body.detail) && body.detail.length) {
        const first = body.detail[0] || {};
        const where = Array.isArray(first.loc) ? first.loc.filter((p) => p !== "body").join(".") : "";
        message = `${where ? `${where}: ` : ""}${first.msg || "invalid request"}`;
      } else message = "Invalid request";
      code = body.code ?? (status === 422 ? "INVALID_REQUEST" : null);
    }
  } else if (typeof body === "string" && body.trim() && !body.trim().startsWith("<")) {
    message = body;
  }
  if (!message) message = status ? `Request failed (HTTP ${status})` : "Request failed";
  return { message: clip(message), code: code == null || code === "" ? null : String(code) };
}

/** Describe an error for display: "message (CODE)". */
export function describeError(err) {
  if (!err) return "Unknown error";
  const message = err.message || String(err);
  return err.code ? `${message} (${err.code})` : message;
}

function buildUrl(path, query) {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null || value === "") continue;
    params.append(key, String(value));
  }
  const qs = params.toString();
  return qs ? `${path}${path.includes("?") ? "&" : "?"}${qs}` : path;
}

/**
 * Perform one API call. Resolves with the parsed JSON body ({} when empty),
 * rejects with ApiError on network failure or any non-2xx status.
 */
export async function request(path, { method = "GET", body, query, signal, headers } = {}) {
  const init = {
    method,
    signal,
    credentials: "same-origin",
    headers: { Accept: "application/json", ...(headers || {}) },
  };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(buildUrl(path, query), init);
  } catch (err) {
    if (err && err.name === "AbortError") throw err;
    throw new ApiError("Could not reach the server", { code: "NETWORK_FAILED" });
  }
  let text = "";
  try {
    text = await res.text();
  } catch {
    text = "";
  }
  let data = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = text;
    }
  }
  if (!res.ok) {
    const { message, code } = parseErrorBody(data, res.status);
    throw new ApiError(message, {
      status: res.status,
      code,
      requestId: (data && typeof data === "object" && data.requestId) || res.headers.get("x-request-id"),
      retryAfter: res.headers.get("retry-after"),
    });
  }
  if (data === null) return {};
  if (typeof data !== "object") {
    throw new ApiError("The server sent an unexpected (non-JSON) reply", { status: res.status });
  }
  return data;
}

export const api = {
  get: (path, query, opts) => request(path, { ...opts, query }),
  post: (path, body, opts) => request(path, { ...opts, method: "POST", body }),
  del: (path, opts) => request(path, { ...opts, method: "DELETE" }),

  health: () => request("/api/health"),
  providers: () => request("/api/providers"),
  inflight: (includeTerminal = false) =>
    request("/api/inflight", { query: includeTerminal ? { includeTerminal: 1 } : undefined }),
  cancel: (requestId) => request(`/api/inflight/${encodeURIComponent(requestId)}`, { method: "DELETE" }),
  generate: (body) => request("/api/generate", { method: "POST", body }),
  history: (query) => request("/api/history", { query }),
  deleteHistory: (filename) =>
    request(`/api/history/${encodeURIComponent(filename)}`, { method: "DELETE" }),
};
