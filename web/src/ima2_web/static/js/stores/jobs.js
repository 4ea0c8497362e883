// Jobs of every kind, live from the one EventSource on /api/events, reconciled with
// GET /api/inflight after a reload, a reconnect or a `replay-gap`. This tab's own jobs and their
// results are kept in sessionStorage so they survive a reload.
import { api, ApiError } from "../api.js";
import { signal, computed, randomId } from "../lib.js";

const KEY = "ima2.jobs.v1";
const KEEP = 30;
const CANCELED = new Set(["GENERATION_CANCELED", "CANCELED", "JOB_CANCELED"]);

export const jobs = signal(restore());
export const eventsState = signal("connecting"); // connecting | open | reconnecting
export const running = computed(() => jobs.value.filter((j) => j.state === "running"));
export const lastFinished = signal(null); // requestId of the newest result of this tab

// A job's events go to the listeners connected when they are published: start jobs only once
// the channel is open (or after a short wait, if it cannot open), so no early event is missed.
let markOpen;
const channelOpen = new Promise((resolve) => {
  markOpen = resolve;
});
const channelReady = () => Promise.race([channelOpen, new Promise((resolve) => setTimeout(resolve, 3000))]);
// Jobs whose start request has not been answered: the server may not list them in flight yet.
const submitting = new Set();

function restore() {
  try {
    const list = JSON.parse(sessionStorage.getItem(KEY) || "[]");
    return Array.isArray(list) ? list.map((j) => ({ ...j, partial: null })) : [];
  } catch {
    return [];
  }
}

function persist() {
  const mine = jobs.value.filter((j) => j.mine).slice(0, KEEP).map((j) => ({ ...j, partial: null }));
  sessionStorage.setItem(KEY, JSON.stringify(mine));
}

function update(requestId, change) {
  let found = false;
  jobs.value = jobs.value.map((job) => {
    if (job.requestId !== requestId) return job;
    found = true;
    return { ...job, ...(typeof change === "function" ? change(job) : change) };
  });
  if (found) persist();
  return found;
}

export function findJob(requestId) {
  return jobs.value.find((j) => j.requestId === requestId) || null;
}

function addJob(job) {
  jobs.value = [job, ...jobs.value.filter((j) => j.requestId !== job.requestId)];
  persist();
}

export function forget(requestId) {
  jobs.value = jobs.value.filter((j) => j.requestId !== requestId);
  persist();
}

export function clearFinished(kind) {
  jobs.value = jobs.value.filter((j) => j.state === "running" || (kind && j.kind !== kind));
  persist();
}

function mediaOf(item) {
  if (!item || typeof item !== "object") return null;
  const url = item.url || (item.filename ? `/generated/${item.filename}` : null);
  if (!url && !item.image) return null;
  return {
    filename: item.filename || "",
    url: url || item.image,
    thumb: item.thumb || null,
    index: item.sequenceIndex ?? item.index ?? null,
    revisedPrompt: item.revisedPrompt || null,
    size: item.size || null,
    model: item.model || null,
    nodeId: item.nodeId || null,
    mediaType: item.mediaType || (/\.mp4$/i.test(item.filename || "") ? "video" : "image"),
    videoContinuity: item.videoContinuity || null,
    prompt: item.prompt || item.userPrompt || null,
  };
}

function addImages(job, items) {
  const images = [...(job.images || [])];
  for (const item of items) {
    const media = mediaOf(item);
    if (media && !images.some((m) => m.url === media.url || (m.filename && m.filename === media.filename))) images.push(media);
  }
  return images;
}

/** Start a job: `route` is api.generate / api.edit / api.multimode; `body` has no requestId yet. */
export async function startJob(kind, route, body, { prompt } = {}) {
  const requestId = randomId("req_web_");
  addJob({
    requestId,
    kind,
    prompt: prompt ?? body.prompt ?? "",
    provider: body.provider,
    model: body.model,
    state: "running",
    phase: "submitted",
    partial: null,
    images: [],
    error: null,
    startedAt: Date.now(),
    maxImages: body.maxImages || body.n || 1,
    mine: true,
  });
  submitting.add(requestId);
  try {
    await channelReady();
    await route({ ...body, async: true, requestId });
  } catch (err) {
    fail(requestId, err);
  } finally {
    submitting.delete(requestId);
  }
  return requestId;
}

function fail(requestId, err) {
  const code = err?.code || null;
  update(requestId, (job) =>
    job.state !== "running"
      ? {}
      : CANCELED.has(code)
        ? { state: "canceled", phase: "canceled", partial: null }
        : { state: "error", partial: null, error: { message: err?.message || err?.error || "Failed", code } },
  );
}

export async function cancelJob(requestId) {
  const reply = await api.cancel(requestId);
  // The owner answers the cancel and ends the job with an error event; mark it here at once so
  // the in-flight panel never keeps a canceled job (also when no event follows).
  update(requestId, (job) => (job.state === "running" ? { state: "canceled", phase: "canceled", partial: null } : {}));
  return reply;
}

function onEvent(type, data) {
  const requestId = data.jobId || data.requestId;
  if (!requestId) return;
  let job = findJob(requestId);
  if (!job) {
    if (type === "done" || type === "error") return; // ended before we saw it
    job = { requestId, kind: data.kind || "job", prompt: "", state: "running", phase: type, images: [], startedAt: Date.now(), mine: false };
    addJob(job);
  }
  switch (type) {
    case "phase":
      update(requestId, { phase: data.phase || "running", maxImages: data.maxImages || job.maxImages });
      break;
    case "planning":
      update(requestId, { phase: "planning" });
      break;
    case "submitted":
      update(requestId, { phase: "submitted", progress: 0, effectiveModel: data.effectiveModel || null, modelFallback: !!data.modelFallback });
      break;
    case "progress":
      update(requestId, { phase: "progress", progress: typeof data.progress === "number" ? data.progress : null, stalled: !!data.stalled });
      break;
    case "partial":
      if (data.image && !data._imageOmitted) update(requestId, { partial: data.image, phase: "partial" });
      break;
    case "image":
      update(requestId, (j) => ({ images: addImages(j, [data]), partial: null }));
      break;
    case "done": {
      const items = Array.isArray(data.images) && data.images.length ? data.images : [data];
      update(requestId, (j) => ({
        state: j.state === "running" ? "done" : j.state,
        images: addImages(j, items),
        partial: null,
        phase: "done",
        status: data.status || null,
        finishedAt: Date.now(),
        progress: j.kind === "video" ? 1 : j.progress,
        stalled: false,
        meta: { revisedPrompt: data.revisedPrompt, effectiveModel: data.effectiveModel, model: data.model, size: data.size, quality: data.quality, provider: data.provider, elapsed: data.elapsed },
      }));
      if (job.mine) {
        lastFinished.value = requestId;
        fillFromHistory(requestId);
      }
      break;
    }
    case "error":
      fail(requestId, { code: data.code, message: data.error || data.message });
      break;
    default:
      break;
  }
}

/** Every image the server kept for a job (covers events missed while reconnecting). */
async function fillFromHistory(requestId) {
  try {
    const items = (await api.history({ requestId, limit: 24 })).items || [];
    if (items.length) update(requestId, (j) => ({ images: addImages(j, items.reverse()) }));
  } catch {
    /* the events already showed what they carried */
  }
}

/** Bring running jobs in line with the server: ended ones leave, foreign ones appear. */
export async function reconcile() {
  // Only jobs the server knew of when it was asked: one started meanwhile is not missing from its answer.
  const known = new Set(jobs.value.filter((j) => j.state === "running" && !submitting.has(j.requestId)).map((j) => j.requestId));
  let active;
  try {
    active = (await api.inflight()).jobs || [];
  } catch {
    return;
  }
  const ids = new Set(active.map((j) => j.requestId));
  for (const server of active) {
    if (!findJob(server.requestId)) {
      addJob({
        requestId: server.requestId,
        kind: server.kind || "job",
        prompt: server.prompt || server.meta?.prompt || "",
        state: "running",
        phase: server.phase || "running",
        images: [],
        startedAt: server.startedAt || Date.now(),
        mine: false,
      });
    }
  }
  for (const job of jobs.value) {
    if (job.state !== "running" || !known.has(job.requestId) || ids.has(job.requestId)) continue;
    // It ended while we were not listening: its result, if any, is in the history.
    let items = [];
    try {
      items = (await api.history({ requestId: job.requestId, limit: 24 })).items || [];
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
    }
    if (items.length) update(job.requestId, (j) => ({ state: "done", phase: "done", images: addImages(j, items.reverse()) }));
    else if (job.mine) update(job.requestId, (j) => (j.state === "running" ? { state: "ended", phase: "ended" } : {}));
    else forget(job.requestId);
  }
}

const EVENT_TYPES = ["phase", "partial", "image", "done", "error", "submitted", "progress", "planning", "card"];
const listeners = new Set();

/** Follow every job event as (type, payload); returns the unsubscribe. The Agent screen's queue
 * and the card news screen's cards follow their jobs this way, on the one EventSource. */
export function onJobEvent(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function connectEvents() {
  const source = new EventSource("/api/events");
  for (const type of EVENT_TYPES) {
    source.addEventListener(type, (ev) => {
      try {
        const data = JSON.parse(ev.data);
        if (type !== "card") onEvent(type, data); // a card's state is the card news screen's
        for (const listener of listeners) listener(type, data);
      } catch {
        /* a malformed frame is skipped */
      }
    });
  }
  source.addEventListener("replay-gap", () => {
    reconcile();
    for (const listener of listeners) listener("replay-gap", {});
  });
  source.addEventListener("open", () => {
    markOpen();
    const wasDown = eventsState.value !== "open";
    eventsState.value = "open";
    if (wasDown) reconcile();
  });
  source.addEventListener("error", () => {
    eventsState.value = "reconnecting";
  });
  return source;
}
