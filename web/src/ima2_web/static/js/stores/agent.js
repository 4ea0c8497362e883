// Agent Mode: the workspace (sessions, the selected one's turns and queue) from /api/agent/*,
// kept live from /api/events: a queue item's job shows its phase, and its end reloads the workspace.
import { api } from "../api.js";
import { signal, computed } from "../lib.js";
import { onJobEvent } from "./jobs.js";

const SELECTED_KEY = "ima2.agent.session";

export const workspace = signal({ sessions: [], selectedSessionId: null, session: null, turns: [], queue: [] });
export const commands = signal([]);
export const loading = signal(false);
export const sending = signal(false);
export const agentError = signal(null);
// requestId → the live phase of its job (what /api/events last said)
export const livePhases = signal({});

export const session = computed(() => workspace.value.session);
export const openItems = computed(() => workspace.value.queue.filter((i) => i.status === "queued" || i.status === "running"));

// Jobs seen running or ending on /api/events, newest last: a queue item whose job moved on before
// the workspace that lists it arrived (the enqueue answer races the job's first events) is reloaded.
const ended = [];
const started = [];
const SEEN_KEEP = 200;

function remember(list, requestId) {
  list.push(requestId);
  if (list.length > SEEN_KEEP) list.shift();
}

function apply(next) {
  workspace.value = next;
  if (next.selectedSessionId) localStorage.setItem(SELECTED_KEY, next.selectedSessionId);
  const open = next.queue.filter((item) => item.status === "queued" || item.status === "running");
  const movedOn = (item) =>
    ended.includes(item.requestId) || (item.status === "queued" && started.includes(item.requestId));
  if (open.some(movedOn)) reloadSoon();
}

async function guarded(call) {
  try {
    const result = await call();
    agentError.value = null;
    return result;
  } catch (err) {
    agentError.value = err;
    throw err;
  }
}

export async function loadWorkspace(selected) {
  loading.value = true;
  try {
    const id = selected ?? workspace.value.selectedSessionId ?? localStorage.getItem(SELECTED_KEY) ?? undefined;
    apply(await guarded(() => api.agentWorkspace(id)));
    if (!commands.value.length) commands.value = (await api.agentTools()).commands || [];
  } finally {
    loading.value = false;
  }
}

export const selectSession = (id) => loadWorkspace(id);

export async function createSession(title) {
  apply(await guarded(() => api.agentCreateSession(title ? { title } : {})));
}

export async function updateSession(body) {
  const id = workspace.value.selectedSessionId;
  if (id) apply(await guarded(() => api.agentUpdateSession(id, body)));
}

// A gallery image becomes the current image of the selected session (a new session when there is none).
export async function useInAgent(filename) {
  if (!workspace.value.selectedSessionId) await loadWorkspace();
  const id = workspace.value.selectedSessionId;
  const body = { currentImage: { filename } };
  apply(await guarded(() => (id ? api.agentUpdateSession(id, body) : api.agentCreateSession(body))));
}

export async function deleteSession(id) {
  apply(await guarded(() => api.agentDeleteSession(id)));
}

export async function compact() {
  const id = workspace.value.selectedSessionId;
  if (id) apply(await guarded(() => api.agentCompact(id)));
}

/** Send a message: slash commands answered at once come back in the workspace; others queue. */
export async function send(prompt) {
  const id = workspace.value.selectedSessionId;
  if (!id) return;
  sending.value = true;
  try {
    const answer = await guarded(() => api.agentEnqueue(id, { prompt }));
    apply(answer.workspace);
  } finally {
    sending.value = false;
  }
}

export async function cancelItem(item) {
  apply(await guarded(() => api.agentCancel(item.id)));
}

export async function retryItem(item) {
  apply(await guarded(() => api.agentRetry(item.id)));
}

let reloadTimer = null;
function reloadSoon() {
  clearTimeout(reloadTimer);
  reloadTimer = setTimeout(() => loadWorkspace().catch(() => {}), 50);
}

let following = null;
/** Follow the queue's jobs on /api/events while the Agent screen is shown. */
export function followQueue() {
  if (following) return following;
  const stop = onJobEvent((type, data) => {
    if (type === "replay-gap") return reloadSoon();
    const requestId = data.jobId || data.requestId;
    const phase = type === "phase" || type === "planning";
    // past the "queued" phase the item's status is running on the server
    const running = phase && data.phase !== "queued";
    if (type === "done" || type === "error") remember(ended, requestId);
    else if (running) remember(started, requestId);
    const item = workspace.value.queue.find((i) => i.requestId === requestId);
    if (!item) return;
    if (phase) livePhases.value = { ...livePhases.value, [requestId]: data.phase || type };
    if (running && item.status === "queued") reloadSoon(); // the item is running now
    if (type === "done" || type === "error") reloadSoon();
  });
  following = () => {
    stop();
    following = null;
  };
  return following;
}
