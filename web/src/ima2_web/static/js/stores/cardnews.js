// Card news (when the server has features.cardNews): the templates, the sets, a drafted plan being
// edited before it is made, and the set on screen, whose cards follow `card` events on /api/events.
import { api } from "../api.js";
import { signal } from "../lib.js";
import { onJobEvent } from "./jobs.js";

export const templates = signal({ image: [], roles: [] });
export const sets = signal([]);
export const draft = signal(null); // a plan being edited before it is made
export const shown = signal(null); // { plan, jobId, requestId, status } of the set on screen
export const busy = signal(null); // "draft" | "make" | "retry" | "export" | a card id being made again
export const cardNewsError = signal(null);

async function guarded(what, call) {
  busy.value = what;
  try {
    const result = await call();
    cardNewsError.value = null;
    return result;
  } catch (err) {
    cardNewsError.value = err;
    throw err;
  } finally {
    busy.value = null;
  }
}

export async function loadCardNews() {
  const [image, roles, list] = await Promise.all([
    api.cardNewsImageTemplates(),
    api.cardNewsRoleTemplates(),
    api.cardNewsSets(),
  ]);
  templates.value = { image: image.templates, roles: roles.templates };
  sets.value = list.sets;
}

async function reloadSets() {
  sets.value = (await api.cardNewsSets()).sets;
}

export async function draftPlan(brief) {
  const answer = await guarded("draft", () => api.cardNewsDraft(brief));
  draft.value = answer.plan;
  shown.value = null;
}

export function editCard(cardId, patch) {
  const plan = draft.value;
  draft.value = { ...plan, cards: plan.cards.map((card) => (card.id === cardId ? { ...card, ...patch } : card)) };
}

export function editTitle(title) {
  draft.value = { ...draft.value, title };
}

export const discardDraft = () => (draft.value = null);

const cardInput = ({ id, role, headline, body, visualPrompt, textFields, locked }) => ({
  id,
  role,
  headline,
  body,
  visualPrompt,
  textFields,
  locked,
});

// Jobs seen ending on /api/events, newest last: a job can end before the answer that started it
// arrives (its events race the POST), and the set shown then has to be read again.
const ended = [];
const ENDED_KEEP = 100;

/** Show the set a job is making; reread it if that job has already ended. */
function follow(current, job) {
  shown.value = { ...current, jobId: job.jobId, requestId: job.requestId, status: job.status };
  if (ended.includes(job.requestId)) openSet(current.plan.setId).catch(() => {});
}

/** Start making the drafted plan's cards (a job); the set is shown and follows its cards. */
export async function makeCards(options) {
  const plan = draft.value;
  const job = await guarded("make", () =>
    api.cardNewsStart({
      ...options,
      setId: plan.setId,
      title: plan.title,
      topic: plan.topic,
      imageTemplateId: plan.imageTemplateId,
      roleTemplateId: plan.roleTemplateId,
      size: plan.size,
      cards: plan.cards.map(cardInput),
    }),
  );
  draft.value = null;
  // The job writes the set's manifest as it starts: until it is read, the plan is what is shown.
  const queued = plan.cards.map((card) => ({ ...card, status: card.locked ? "skipped" : "queued" }));
  follow({ plan: { ...plan, setId: job.setId, cards: queued } }, job);
  reloadSets().catch(() => {});
}

export async function openSet(setId, job = null) {
  const { plan } = await guarded(null, () => api.cardNewsSet(setId));
  await reloadSets();
  const summary = sets.value.find((s) => s.setId === setId);
  shown.value = {
    plan,
    jobId: job?.jobId ?? summary?.jobId ?? null,
    requestId: job?.requestId ?? null,
    status: job?.status ?? summary?.status ?? null,
  };
  draft.value = null;
}

export async function retryFailed(options) {
  const current = shown.value;
  follow(current, await guarded("retry", () => api.cardNewsRetry(current.jobId, options)));
}

export async function makeCardAgain(card, edits, options) {
  const current = shown.value;
  const job = await guarded(card.id, () =>
    api.cardNewsRegenerate(card.id, { ...options, setId: current.plan.setId, card: edits, async: true }),
  );
  follow(current, job);
}

export async function exportSet() {
  const setId = shown.value.plan.setId;
  return { blob: await guarded("export", () => api.cardNewsExport(setId)), filename: `${setId}.zip` };
}

let following = null;
/** Follow the shown set's cards on /api/events while the card news screen is open. */
export function followCards() {
  if (following) return following;
  const stop = onJobEvent((type, data) => {
    if (type === "done" || type === "error") {
      ended.push(data.jobId);
      if (ended.length > ENDED_KEEP) ended.shift();
    }
    const current = shown.value;
    if (!current) return;
    if (type === "card" && data.setId === current.plan.setId && data.card) {
      const cards = current.plan.cards.map((card) => (card.id === data.card.id ? { ...card, ...data.card } : card));
      shown.value = { ...current, jobId: data.cardNewsJobId || current.jobId, plan: { ...current.plan, cards } };
    } else if ((type === "done" || type === "error" || type === "replay-gap") && (type === "replay-gap" || data.jobId === current.requestId)) {
      openSet(current.plan.setId, { jobId: current.jobId, requestId: null, status: null }).catch(() => {});
    }
  });
  following = () => {
    stop();
    following = null;
  };
  return following;
}
