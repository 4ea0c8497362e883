// The gallery's view of the history: pages fetched by cursor as the user scrolls, filters,
// grouping. Items live in a plain array (100,000 of them must not be copied on every page);
// `version` tells the views that it changed.
import { api } from "../api.js";
import { signal } from "../lib.js";

const FIRST_PAGE = 60; // a screenful or two: the first tiles come sooner
const NEXT_PAGE = 500;

export const filters = {
  q: signal(""),
  favoritesOnly: signal(false),
  groupBy: signal(localStorage.getItem("ima2.gallery.groupBy") || "date"), // none | date | session
};
export const version = signal(0);
export const total = signal(0);
export const loading = signal(false);
export const error = signal(null);
export const sessionTitles = signal({});

export let items = [];
let cursor = null;
let exhausted = false;
let generation = 0;
let pending = null;

function bump() {
  version.value += 1;
}

function query(limit) {
  return {
    limit,
    q: filters.q.value.trim(),
    favoritesOnly: filters.favoritesOnly.value ? 1 : "",
    ...(cursor || {}),
  };
}

async function fetchPage(limit) {
  const mine = generation;
  loading.value = true;
  try {
    const page = await api.history(query(limit));
    if (mine !== generation) return;
    items.push(...(page.items || []));
    cursor = page.nextCursor;
    exhausted = !cursor;
    total.value = Math.max(page.total ?? items.length, items.length);
    error.value = null;
    bump();
  } catch (err) {
    if (mine === generation) error.value = err;
  } finally {
    if (mine === generation) loading.value = false;
  }
}

/** Start over with the current filters. */
export function reload() {
  generation += 1;
  items = [];
  cursor = null;
  exhausted = false;
  total.value = 0;
  bump();
  pending = fetchPage(FIRST_PAGE).finally(() => {
    pending = null;
  });
  loadSessionTitles();
  return pending;
}

/** Fetch pages until `index` is loaded (or the history ends). One request at a time. */
export async function ensureLoaded(index) {
  while (!exhausted && items.length <= index) {
    if (pending) {
      await pending;
      continue;
    }
    const mine = generation;
    pending = fetchPage(NEXT_PAGE).finally(() => {
      pending = null;
    });
    await pending;
    if (mine !== generation || error.value) return;
  }
}

export const hasMore = () => !exhausted;

export function removeAt(index) {
  regroup();
  const [gone] = items.splice(index, 1);
  total.value = Math.max(0, total.value - 1);
  bump();
  return gone;
}

export function insertAt(index, item) {
  regroup();
  items.splice(Math.min(index, items.length), 0, item);
  total.value += 1;
  bump();
}

export function patchItem(filename, change) {
  const item = items.find((i) => i.filename === filename);
  if (item) {
    Object.assign(item, change);
    bump();
  }
}

async function loadSessionTitles() {
  try {
    const reply = await api.sessions();
    const map = {};
    for (const s of reply.sessions || []) map[s.id] = s.title;
    regroup();
    sessionTitles.value = map;
  } catch {
    /* titles are a nicety; ids are shown without them */
  }
}

// Grouping is kept incrementally: pages only append, so only the new items are placed (a label
// is formatted once per group, never per item). Anything else (reload, delete, undo) starts over.
let grouping = null;

function dayKey(ms) {
  const d = new Date(ms || 0);
  return d.getFullYear() * 10000 + d.getMonth() * 100 + d.getDate();
}

/** Groups of item indexes: [{key, label, indexes}] in display order (a new array when changed). */
export function groups(mode, dateLabel, sessionLabel) {
  if (mode === "none") return [{ key: "all", label: null, indexes: null }];
  if (!grouping || grouping.mode !== mode || grouping.items !== items || grouping.count > items.length || grouping.stale) {
    grouping = { mode, items, count: 0, order: [], byKey: new Map(), stale: false };
  }
  for (let index = grouping.count; index < items.length; index += 1) {
    const item = items[index];
    const key = mode === "session" ? item.sessionId || "" : dayKey(item.createdAt);
    let group = grouping.byKey.get(key);
    if (!group) {
      const label = mode === "session" ? sessionLabel(item.sessionId) : dateLabel(new Date(item.createdAt || 0));
      group = { key, label, indexes: [] };
      grouping.byKey.set(key, group);
      grouping.order.push(group);
    }
    group.indexes.push(index);
  }
  grouping.count = items.length;
  return [...grouping.order];
}

/** Forget the grouping (after an edit in the middle of `items`, or new session titles). */
export function regroup() {
  if (grouping) grouping.stale = true;
}
