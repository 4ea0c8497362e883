// Node mode: the sessions, the open session's graph and its saving.
//
// The graph loads from GET /api/sessions/:id and saves with PUT …/graph and If-Match (debounced,
// and at once with keepalive when the page is hidden). A GRAPH_VERSION_CONFLICT is never
// overwritten blindly: the server's graph is loaded and this tab's edits since its last save
// (new, changed and deleted nodes and edges) are merged on top, then saved against the new version.
// Node generations run as jobs (stores/jobs.js); their results land in the node from /api/events.
import { signal, computed, effect, batch, randomId } from "../lib.js";
import { api, ApiError } from "../api.js";
import { t, guidance } from "../strings.js";
import { jobs, startJob } from "./jobs.js";
import { generationBody } from "./composer.js";
import { toast } from "./toasts.js";

export const MAX_NODES = 500;
export const MAX_EDGES = 1000;
const SESSION_KEY = "ima2.node.session";
const SAVE_DELAY = 600;
const NODE_W = 220;
const NODE_GAP_Y = 330;
const NODE_GAP_X = 250;

export const sessions = signal([]);
export const sessionId = signal(localStorage.getItem(SESSION_KEY) || "");
export const sessionTitle = signal("");
export const nodes = signal([]); // [{id, x, y, data: {label, prompt, imageUrl, serverNodeId, status, requestId, error}}]
export const edges = signal([]); // [{id, source, target, data}]
export const version = signal(0);
export const loadState = signal("idle"); // idle | loading | ready | error
export const saveState = signal("saved"); // saved | pending | saving | error
export const saveError = signal(null); // {code, message}
export const selected = signal(new Set());
export const connectFrom = signal(null); // node id waiting for a target (keyboard connect)
export const tabId = randomId("tab_");

export const byId = computed(() => new Map(nodes.value.map((n) => [n.id, n])));
export const parentOf = computed(() => new Map(edges.value.map((e) => [e.target, e.source])));

// This tab's edits since its last good save: what a conflict merge keeps.
let dirtyNodes = new Set();
let dirtyEdges = new Set();
let deletedNodes = new Set();
let deletedEdges = new Set();
let timer = null;
let saving = null;

function resetDirty() {
  dirtyNodes = new Set();
  dirtyEdges = new Set();
  deletedNodes = new Set();
  deletedEdges = new Set();
}

export function explainError(err) {
  const code = err?.code || null;
  if (code === "GRAPH_TOO_LARGE") return t("node.tooLarge", { nodes: MAX_NODES, edges: MAX_EDGES });
  if (code === "GRAPH_PARENT_CONFLICT") return t("node.oneParent");
  return guidance(code) || err?.message || t("node.saveFailed");
}

// ---- sessions ------------------------------------------------------------------------------

export async function loadSessions() {
  const list = (await api.sessions()).sessions || [];
  sessions.value = list;
  return list;
}

export async function openSession(id) {
  await flush("switch");
  batch(() => {
    sessionId.value = id;
    loadState.value = "loading";
    selected.value = new Set();
    connectFrom.value = null;
  });
  localStorage.setItem(SESSION_KEY, id);
  try {
    const { session } = await api.session(id);
    if (sessionId.value !== id) return;
    applyServer(session);
    resetDirty();
    saveState.value = "saved";
    saveError.value = null;
    loadState.value = "ready";
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) {
      localStorage.removeItem(SESSION_KEY);
      sessionId.value = "";
      await ensureSession();
      return;
    }
    loadState.value = "error";
    saveError.value = { code: err.code, message: explainError(err) };
  }
}

function applyServer(session) {
  batch(() => {
    sessionTitle.value = session.title || "";
    version.value = session.graphVersion ?? 0;
    nodes.value = (session.nodes || []).map((n) => ({ id: n.id, x: n.x ?? 0, y: n.y ?? 0, data: { ...(n.data || {}) } }));
    edges.value = (session.edges || []).map((e) => ({ id: e.id, source: e.source, target: e.target, data: e.data || {} }));
  });
}

/** Open the remembered session, else the newest, else a new one. */
export async function ensureSession() {
  const list = await loadSessions();
  const keep = list.find((s) => s.id === sessionId.value) || list[0];
  if (keep) return openSession(keep.id);
  return createSession(t("node.untitled"));
}

export async function createSession(title) {
  const { session } = await api.createSession(title || t("node.untitled"));
  await loadSessions();
  await openSession(session.id);
  return session;
}

export async function renameSession(id, title) {
  await api.renameSession(id, title);
  if (id === sessionId.value) sessionTitle.value = title;
  await loadSessions();
}

export async function deleteSession(id) {
  if (id === sessionId.value) {
    clearTimeout(timer);
    timer = null;
    resetDirty();
    saveState.value = "saved";
  }
  await api.deleteSession(id);
  const list = await loadSessions();
  if (id === sessionId.value) {
    sessionId.value = "";
    if (list[0]) await openSession(list[0].id);
    else await createSession(t("node.untitled"));
  }
}

// ---- saving --------------------------------------------------------------------------------

function schedule() {
  saveState.value = "pending";
  clearTimeout(timer);
  timer = setTimeout(() => save("edit"), SAVE_DELAY);
}

function snapshot() {
  return {
    nodes: nodes.value.map(({ id, x, y, data }) => ({ id, x: Math.round(x), y: Math.round(y), data: persistable(data) })),
    edges: edges.value.map(({ id, source, target, data }) => ({ id, source, target, data: data || {} })),
  };
}

// A partial preview is never saved; an unfinished job is saved as its request id.
function persistable(data) {
  const { partial, ...rest } = data;
  return rest;
}

export async function save(reason = "edit", { keepalive = false } = {}) {
  clearTimeout(timer);
  timer = null;
  if (saving) {
    await saving;
    if (!dirtyNodes.size && !dirtyEdges.size && !deletedNodes.size && !deletedEdges.size) return;
  }
  const sid = sessionId.value;
  if (!sid) return;
  const sent = { nodes: dirtyNodes, edges: dirtyEdges, dn: deletedNodes, de: deletedEdges };
  resetDirty();
  saveState.value = "saving";
  saving = (async () => {
    try {
      const reply = await api.saveGraph(sid, snapshot(), version.value, { reason, tabId, keepalive });
      if (sid !== sessionId.value) return;
      version.value = reply.graphVersion;
      saveError.value = null;
      saveState.value = dirtyNodes.size || dirtyEdges.size || deletedNodes.size || deletedEdges.size ? "pending" : "saved";
    } catch (err) {
      // Nothing is lost: the edits of this attempt go back into the dirty sets.
      for (const id of sent.nodes) dirtyNodes.add(id);
      for (const id of sent.edges) dirtyEdges.add(id);
      for (const id of sent.dn) deletedNodes.add(id);
      for (const id of sent.de) deletedEdges.add(id);
      if (err?.code === "GRAPH_VERSION_CONFLICT" && sid === sessionId.value) {
        saving = null;
        await mergeWithServer(sid);
        return;
      }
      saveState.value = "error";
      saveError.value = { code: err?.code || null, message: explainError(err) };
    } finally {
      saving = null;
    }
  })();
  await saving;
  if (saveState.value === "pending" && !timer) schedule();
}

/** The server moved on (another tab or device): take its graph and put this tab's edits on top. */
async function mergeWithServer(sid) {
  let session;
  try {
    session = (await api.session(sid)).session;
  } catch (err) {
    saveState.value = "error";
    saveError.value = { code: err?.code || null, message: explainError(err) };
    return;
  }
  const mine = new Map(nodes.value.map((n) => [n.id, n]));
  const mineEdges = new Map(edges.value.map((e) => [e.id, e]));
  const merged = [];
  const seen = new Set();
  for (const n of session.nodes || []) {
    if (deletedNodes.has(n.id)) continue;
    seen.add(n.id);
    merged.push(dirtyNodes.has(n.id) && mine.has(n.id) ? mine.get(n.id) : { id: n.id, x: n.x, y: n.y, data: { ...(n.data || {}) } });
  }
  for (const n of nodes.value) if (!seen.has(n.id) && dirtyNodes.has(n.id)) merged.push(n);
  const ids = new Set(merged.map((n) => n.id));
  const mergedEdges = [];
  const parents = new Map();
  const add = (e) => {
    if (!ids.has(e.source) || !ids.has(e.target) || mergedEdges.some((x) => x.id === e.id)) return;
    const other = parents.get(e.target);
    if (other) mergedEdges.splice(mergedEdges.indexOf(other), 1); // one parent: this tab's edge wins
    parents.set(e.target, e);
    mergedEdges.push(e);
  };
  for (const e of session.edges || []) if (!deletedEdges.has(e.id) && !dirtyEdges.has(e.id)) add(e);
  for (const e of mineEdges.values()) if (dirtyEdges.has(e.id)) add(e);
  batch(() => {
    nodes.value = merged;
    edges.value = mergedEdges;
    version.value = session.graphVersion ?? 0;
    sessionTitle.value = session.title || sessionTitle.value;
  });
  // Everything now on screen is what this tab saves next.
  for (const n of merged) dirtyNodes.add(n.id);
  toast(t("node.merged"));
  await save("conflict-merge");
}

export function flush(reason = "flush", opts) {
  if (timer || saveState.value === "pending") return save(reason, opts);
  return saving || Promise.resolve();
}

window.addEventListener("pagehide", () => {
  if (timer) save("pagehide", { keepalive: true });
});
document.addEventListener("visibilitychange", () => {
  if (document.visibilityState === "hidden" && timer) save("hidden", { keepalive: true });
});

// ---- editing -------------------------------------------------------------------------------

function canAddNodes(count = 1) {
  if (nodes.value.length + count > MAX_NODES) {
    toast(t("node.tooLarge", { nodes: MAX_NODES, edges: MAX_EDGES }), { kind: "error" });
    return false;
  }
  return true;
}

function nextLabel() {
  let max = 0;
  for (const n of nodes.value) {
    const m = /(\d+)$/.exec(n.data.label || "");
    if (m) max = Math.max(max, Number(m[1]));
  }
  return t("node.label", { n: max + 1 });
}

export function addNode({ x, y, prompt = "", parent = null } = {}) {
  if (!canAddNodes()) return null;
  if (parent && edges.value.length + 1 > MAX_EDGES) {
    toast(t("node.tooLarge", { nodes: MAX_NODES, edges: MAX_EDGES }), { kind: "error" });
    return null;
  }
  const id = randomId("n_");
  const node = { id, x: x ?? 0, y: y ?? 0, data: { label: nextLabel(), prompt, status: "empty" } };
  batch(() => {
    nodes.value = [...nodes.value, node];
    dirtyNodes.add(id);
    if (parent) {
      const edge = { id: randomId("e_"), source: parent, target: id, data: {} };
      edges.value = [...edges.value, edge];
      dirtyEdges.add(edge.id);
    }
  });
  schedule();
  return id;
}

export function addChild(parentId, at) {
  const parent = byId.value.get(parentId);
  if (!parent) return null;
  const siblings = edges.value.filter((e) => e.source === parentId).length;
  const pos = at || { x: parent.x + siblings * NODE_GAP_X, y: parent.y + NODE_GAP_Y };
  return addNode({ ...pos, parent: parentId });
}

export function addVariant(id) {
  const node = byId.value.get(id);
  if (!node) return null;
  const parent = parentOf.value.get(id) || null;
  const count = nodes.value.filter((n) => n.y === node.y && n.x > node.x).length;
  const newId = addNode({ x: node.x + NODE_GAP_X * (count + 1), y: node.y, prompt: node.data.prompt || "", parent });
  if (newId && node.data.prompt) runNode(newId);
  return newId;
}

export function updateNode(id, change) {
  let found = false;
  nodes.value = nodes.value.map((n) => {
    if (n.id !== id) return n;
    found = true;
    const data = typeof change === "function" ? change(n.data) : change;
    return { ...n, data: { ...n.data, ...data } };
  });
  if (found) {
    dirtyNodes.add(id);
    schedule();
  }
}

export function moveNode(id, x, y, { commit = true } = {}) {
  nodes.value = nodes.value.map((n) => (n.id === id ? { ...n, x, y } : n));
  if (commit) {
    dirtyNodes.add(id);
    schedule();
  }
}

export function deleteNodes(ids) {
  const gone = new Set(ids);
  batch(() => {
    nodes.value = nodes.value.filter((n) => !gone.has(n.id));
    edges.value = edges.value.filter((e) => {
      const keep = !gone.has(e.source) && !gone.has(e.target);
      if (!keep) deletedEdges.add(e.id);
      return keep;
    });
    selected.value = new Set([...selected.value].filter((id) => !gone.has(id)));
  });
  for (const id of gone) {
    deletedNodes.add(id);
    dirtyNodes.delete(id);
  }
  schedule();
}

export function deleteEdge(edgeId) {
  edges.value = edges.value.filter((e) => e.id !== edgeId);
  deletedEdges.add(edgeId);
  dirtyEdges.delete(edgeId);
  schedule();
}

function isAncestor(maybeAncestor, id) {
  const parents = parentOf.value;
  let cur = id;
  const seen = new Set();
  while (cur && !seen.has(cur)) {
    if (cur === maybeAncestor) return true;
    seen.add(cur);
    cur = parents.get(cur);
  }
  return false;
}

/** Connect source → target: the target becomes the source's child (one parent per node). */
export function connect(source, target) {
  if (!source || !target || source === target) return false;
  if (parentOf.value.get(target)) {
    toast(t("node.oneParent"), { kind: "error" });
    return false;
  }
  if (isAncestor(target, source)) {
    toast(t("node.noCycle"), { kind: "error" });
    return false;
  }
  if (edges.value.length + 1 > MAX_EDGES) {
    toast(t("node.tooLarge", { nodes: MAX_NODES, edges: MAX_EDGES }), { kind: "error" });
    return false;
  }
  const edge = { id: randomId("e_"), source, target, data: {} };
  edges.value = [...edges.value, edge];
  dirtyEdges.add(edge.id);
  schedule();
  return true;
}

/** The connected group (ignoring direction) that holds `id`. */
export function groupOf(id) {
  const out = new Set([id]);
  const stack = [id];
  while (stack.length) {
    const cur = stack.pop();
    for (const e of edges.value) {
      const other = e.source === cur ? e.target : e.target === cur ? e.source : null;
      if (other && !out.has(other)) {
        out.add(other);
        stack.push(other);
      }
    }
  }
  return out;
}

// ---- generation ----------------------------------------------------------------------------

/** Generate (or regenerate in place) one node; resolves when its job has started. */
export async function runNode(id) {
  const node = byId.value.get(id);
  if (!node) return null;
  const prompt = (node.data.prompt || "").trim();
  if (!prompt) {
    updateNode(id, { status: "error", error: { code: "PROMPT_REQUIRED", message: t("node.promptFirst") } });
    return null;
  }
  const parentId = parentOf.value.get(id);
  const parent = parentId ? byId.value.get(parentId) : null;
  if (parent && !parent.data.serverNodeId) {
    updateNode(id, { status: "error", error: { code: "PARENT_NOT_READY", message: t("node.parentFirst") } });
    return null;
  }
  const body = { ...generationBody(), prompt, sessionId: sessionId.value, clientNodeId: id, references: [] };
  if (parent) body.parentNodeId = parent.data.serverNodeId;
  else if (node.data.externalSrc) body.externalSrc = node.data.externalSrc;
  updateNode(id, { status: "running", error: null, requestId: null });
  const requestId = await startJob("node", api.nodeGenerate, body, { prompt });
  updateNode(id, (d) => (d.status === "running" && !d.requestId ? { requestId } : {}));
  return requestId;
}

/** Resolves with the node's final status once it is no longer running. */
export function waitNode(id) {
  return new Promise((resolve) => {
    let stop = null;
    stop = effect(() => {
      const node = byId.value.get(id);
      const status = node ? node.data.status : "deleted";
      if (status !== "running") {
        queueMicrotask(() => stop && stop());
        resolve(status);
      }
    });
  });
}

export const groupRun = signal(null); // {total, done, current} while a group runs

/** Run the selected nodes parents first, each after the one it depends on has finished. */
export async function runSelected() {
  const chosen = [...selected.value].filter((id) => byId.value.has(id));
  if (!chosen.length) return;
  const set = new Set(chosen);
  const order = [];
  const placed = new Set();
  const visit = (id) => {
    if (placed.has(id)) return;
    const p = parentOf.value.get(id);
    if (p && set.has(p)) visit(p);
    placed.add(id);
    order.push(id);
  };
  const rank = new Map(nodes.value.map((n, i) => [n.id, i]));
  chosen.sort((a, b) => rank.get(a) - rank.get(b)).forEach(visit);
  groupRun.value = { total: order.length, done: 0, current: order[0] };
  try {
    for (const id of order) {
      groupRun.value = { ...groupRun.value, current: id };
      const requestId = await runNode(id);
      const status = requestId ? await waitNode(id) : "error";
      if (status !== "done") {
        toast(t("node.groupStopped", { label: byId.value.get(id)?.data.label || "" }), { kind: "error" });
        return;
      }
      groupRun.value = { ...groupRun.value, done: groupRun.value.done + 1 };
    }
  } finally {
    groupRun.value = null;
  }
}

// Results from /api/events (through the jobs store) land in their nodes.
effect(() => {
  const list = jobs.value;
  const waiting = nodes.value.filter((n) => n.data.status === "running" && n.data.requestId);
  if (!waiting.length) return;
  const jobOf = new Map(list.map((j) => [j.requestId, j]));
  for (const node of waiting) {
    const job = jobOf.get(node.data.requestId);
    if (!job || job.state === "running") continue;
    const image = (job.images || [])[0];
    if (job.state === "done" && image) {
      updateNode(node.id, {
        status: "done",
        imageUrl: image.url,
        serverNodeId: image.nodeId || node.data.serverNodeId || null,
        error: null,
      });
    } else if (job.state === "done" || job.state === "error" || job.state === "ended" || job.state === "canceled") {
      updateNode(node.id, {
        status: "error",
        error: job.error || { code: job.state === "canceled" ? "CANCELED" : null, message: t(`node.${job.state === "canceled" ? "canceled" : "noResult"}`) },
      });
    }
  }
});
