// The one client of the ima2 HTTP API: every route the studio calls, and the error envelopes.
//
// Error envelopes (spec + reference §1.10), all turned into one ApiError {message, code, status}:
//   flat    {error: "message", code}          generation routes
//   nested  {error: {code, message}}          sessions, history, access, storage
//   keyed   {ok: false, error: "message", code} keys and metadata
// plus FastAPI's {detail} and plain-text bodies from proxies. Raw JSON is never shown to users.

const MAX_MESSAGE = 400;
const BROWSER_ID_KEY = "ima2.browserId";

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
      message = typeof body.detail === "string" ? body.detail : "Invalid request";
      code = body.code ?? (status === 422 ? "INVALID_REQUEST" : null);
    }
  } else if (typeof body === "string" && body.trim() && !body.trim().startsWith("<")) {
    message = body;
  }
  if (!message) message = status ? `Request failed (HTTP ${status})` : "Request failed";
  message = String(message).trim();
  if (message.length > MAX_MESSAGE) message = `${message.slice(0, MAX_MESSAGE)}…`;
  return { message, code: code ? String(code) : null };
}

/** This browser's id for favourites (X-Ima2-Browser-Id), made once and kept. */
export function browserId() {
  let id = localStorage.getItem(BROWSER_ID_KEY);
  if (!id) {
    id = `web-${crypto.randomUUID()}`;
    localStorage.setItem(BROWSER_ID_KEY, id);
  }
  return id;
}

function buildUrl(path, query) {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null || value === "" || value === false) continue;
    params.append(key, String(value));
  }
  const qs = params.toString();
  return qs ? `${path}?${qs}` : path;
}

/** Hooks the shell sets: what to do when the server asks for the access token. */
export const apiHooks = { onUnauthorized: null };

/** One API call: the JSON answer (or, with `blob`, the body of a file answer); errors as ApiError. */
export async function request(path, { method = "GET", body, raw, contentType, query, signal, headers, keepalive, blob } = {}) {
  const init = {
    method,
    signal,
    keepalive: !!keepalive,
    credentials: "same-origin",
    headers: { Accept: "application/json", "X-Ima2-Browser-Id": browserId(), ...(headers || {}) },
  };
  if (raw !== undefined) {
    init.headers["Content-Type"] = contentType || "application/octet-stream";
    init.body = raw;
  } else if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(buildUrl(path, query), init);
  } catch (err) {
    if (err && err.name === "AbortError") throw err;
    throw new ApiError("Could not reach the server.", { code: "NETWORK_FAILED" });
  }
  if (blob && res.ok) return res.blob();
  const text = await res.text().catch(() => "");
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
    const error = new ApiError(message, {
      status: res.status,
      code,
      requestId: (data && typeof data === "object" && data.requestId) || res.headers.get("x-request-id"),
      retryAfter: res.headers.get("retry-after"),
    });
    if (res.status === 401 && code === "ACCESS_TOKEN_REQUIRED" && apiHooks.onUnauthorized) apiHooks.onUnauthorized();
    throw error;
  }
  if (data === null) return {};
  if (typeof data !== "object") throw new ApiError("The server sent an unexpected reply.", { status: res.status });
  return data;
}

const enc = encodeURIComponent;
const get = (path, query) => request(path, { query });
const post = (path, body) => request(path, { method: "POST", body: body ?? {} });
const put = (path, body) => request(path, { method: "PUT", body });
const patch = (path, body) => request(path, { method: "PATCH", body });
const del = (path, query) => request(path, { method: "DELETE", query });

export const api = {
  // status
  health: () => get("/api/health"),
  providers: () => get("/api/providers"),
  capabilities: () => get("/api/capabilities"),
  oauthStatus: () => get("/api/oauth/status"),
  grokStatus: () => get("/api/grok/status"),
  agyStatus: () => get("/api/agy/status"),
  quota: () => get("/api/quota"),
  billing: () => get("/api/billing"),
  grokPlanner: () => get("/api/config/grok-planner"),
  setGrokPlanner: (model) => patch("/api/config/grok-planner", { model }),
  storageStatus: () => get("/api/storage/status"),
  openGeneratedDir: () => post("/api/storage/open-generated-dir"),
  // jobs
  generate: (body) => post("/api/generate", body),
  edit: (body) => post("/api/edit", body),
  multimode: (body) => post("/api/generate/multimode", body),
  inflight: () => get("/api/inflight"),
  cancel: (requestId) => del(`/api/inflight/${enc(requestId)}`),
  // library
  history: (query) => get("/api/history", query),
  favorite: (filename) => post("/api/history/favorite", { filename }),
  deleteHistory: (filename) => del(`/api/history/${enc(filename)}`),
  deletePermanent: (filename) => del(`/api/history/${enc(filename)}/permanent`),
  restore: (filename, trashId) => post(`/api/history/${enc(filename)}/restore`, { trashId }),
  importLocal: (file) =>
    request("/api/history/import-local", {
      method: "POST",
      raw: file,
      contentType: file.type,
      headers: { "X-Ima2-Original-Filename": enc(file.name || "") },
    }),
  readMetadata: (dataUrl) => post("/api/metadata/read", { dataUrl }),
  sessions: () => get("/api/sessions"),
  // canvas
  annotations: (filename) => get(`/api/annotations/${enc(filename)}`),
  putAnnotations: (filename, annotations) => put(`/api/annotations/${enc(filename)}`, { annotations }),
  createCanvasVersion: (blob, sourceFilename) =>
    request(buildUrl("/api/canvas-versions", { sourceFilename }), { method: "POST", raw: blob, contentType: "image/png" }),
  updateCanvasVersion: (filename, blob, sourceFilename) =>
    request(buildUrl(`/api/canvas-versions/${enc(filename)}`, { sourceFilename }), { method: "PUT", raw: blob, contentType: "image/png" }),
  // video
  videoGenerate: (body) => post("/api/video/generate", body),
  videoEdit: (body) => post("/api/video/edit", body),
  videoExtend: (body) => post("/api/video/extend", body),
  videoAnalyze: (videoUrl) => post("/api/video/analyze", { videoUrl }),
  videoFrameUrl: (file, position) => buildUrl("/api/video/frame", { file, position: String(position) }),
  // node mode: sessions, graphs, style sheets
  nodeGenerate: (body) => post("/api/node/generate", body),
  createSession: (title) => post("/api/sessions", { title }),
  session: (id) => get(`/api/sessions/${enc(id)}`),
  renameSession: (id, title) => patch(`/api/sessions/${enc(id)}`, { title }),
  deleteSession: (id) => del(`/api/sessions/${enc(id)}`),
  saveGraph: (id, graph, version, { reason = "edit", tabId = "", keepalive = false } = {}) =>
    request(`/api/sessions/${enc(id)}/graph`, {
      method: "PUT",
      body: graph,
      keepalive,
      headers: { "If-Match": `"${version}"`, "X-Ima2-Graph-Save-Reason": reason, "X-Ima2-Tab-Id": tabId },
    }),
  styleSheet: (id) => get(`/api/sessions/${enc(id)}/style-sheet`),
  putStyleSheet: (id, styleSheet, enabled) => put(`/api/sessions/${enc(id)}/style-sheet`, { styleSheet, enabled }),
  setStyleSheetEnabled: (id, enabled) => patch(`/api/sessions/${enc(id)}/style-sheet/enabled`, { enabled }),
  extractStyleSheet: (id, body) => post(`/api/sessions/${enc(id)}/style-sheet/extract`, body),
  // keys and accounts
  keysStatus: () => get("/api/keys/status"),
  saveKey: (provider, apiKey) => put(`/api/keys/${enc(provider)}`, { apiKey }),
  removeKey: (provider) => del(`/api/keys/${enc(provider)}`),
  saveVertex: (serviceAccountJson) => put("/api/keys/vertex", { serviceAccountJson }),
  removeVertex: () => del("/api/keys/vertex"),
  setGeminiAuthMode: (mode) => put("/api/keys/gemini-auth-mode", { mode }),
  startSwitch: (provider) => post("/api/auth/switch", { provider }),
  switchStatus: (sessionId) => get(`/api/auth/switch/${enc(sessionId)}`),
  // prompt library
  prompts: (query) => get("/api/prompts", query),
  createPrompt: (body) => post("/api/prompts", body),
  deletePrompt: (id) => del(`/api/prompts/${enc(id)}`),
  updatePrompt: (id, body) => patch(`/api/prompts/${enc(id)}`, body),
  favoritePrompt: (id) => post(`/api/prompts/${enc(id)}/favorite`),
  createFolder: (name) => post("/api/prompts/folders", { name }),
  exportPrompts: () => get("/api/prompts/export"),
  importPrompts: (body) => post("/api/prompts/import", body),
  // card news (only when the server has features.cardNews)
  cardNewsImageTemplates: () => get("/api/cardnews/image-templates"),
  cardNewsRoleTemplates: () => get("/api/cardnews/role-templates"),
  cardNewsSets: () => get("/api/cardnews/sets"),
  cardNewsSet: (setId) => get(`/api/cardnews/sets/${enc(setId)}`),
  cardNewsDraft: (body) => post("/api/cardnews/draft", body),
  cardNewsStart: (body) => post("/api/cardnews/jobs", body),
  cardNewsRetry: (jobId, body) => post(`/api/cardnews/jobs/${enc(jobId)}/retry`, body),
  cardNewsRegenerate: (cardId, body) => post(`/api/cardnews/cards/${enc(cardId)}/regenerate`, body),
  /** The set as a zip (a Blob). */
  cardNewsExport: (setId) => request("/api/cardnews/export", { method: "POST", body: { setId }, blob: true }),
  // agent mode
  agentTools: () => get("/api/agent/tools"),
  agentWorkspace: (selectedSessionId) => get("/api/agent/sessions", { selectedSessionId }),
  agentSession: (id) => get(`/api/agent/sessions/${enc(id)}`),
  agentCreateSession: (body) => post("/api/agent/sessions", body),
  agentUpdateSession: (id, body) => patch(`/api/agent/sessions/${enc(id)}`, body),
  agentDeleteSession: (id) => del(`/api/agent/sessions/${enc(id)}`),
  agentCompact: (id) => post(`/api/agent/sessions/${enc(id)}/compact`),
  agentEnqueue: (id, body) => post(`/api/agent/sessions/${enc(id)}/queue`, body),
  agentCancel: (itemId) => post(`/api/agent/queue/${enc(itemId)}/cancel`),
  agentRetry: (itemId) => post(`/api/agent/queue/${enc(itemId)}/retry`),
};
