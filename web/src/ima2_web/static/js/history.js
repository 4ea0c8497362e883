// History grid (GET /api/history?limit=50, "Load more" via nextCursor {before, beforeFilename})
// and the viewer dialog (full image + metadata, DELETE /api/history/:filename).

import { api } from "./api.js";
import { $, clear, el, formatTime, isVideo, mediaUrl, safeMediaUrl, showError, truncate } from "./dom.js";

const PAGE_SIZE = 50;

function promptOf(item) {
  return item.userPrompt || item.prompt || "";
}

function thumbUrl(item) {
  return safeMediaUrl(item.thumb) || (isVideo(item) ? null : mediaUrl(item, { preferData: false }));
}

export function createHistory({ pageSize = PAGE_SIZE } = {}) {
  const grid = $("#history-grid");
  const empty = $("#history-empty");
  const count = $("#history-count");
  const status = $("#history-status");
  const errorBox = $("#history-error");
  const moreBtn = $("#history-more");
  const refreshBtn = $("#history-refresh");

  const viewer = $("#viewer");
  const viewerMedia = $("#viewer-media");
  const viewerMeta = $("#viewer-meta");
  const viewerTitle = $("#viewer-title");
  const viewerError = $("#viewer-error");
  const openLink = $("#viewer-open");
  const downloadLink = $("#viewer-download");
  const deleteBtn = $("#viewer-delete");
  const confirmBtn = $("#viewer-delete-confirm");
  const keepBtn = $("#viewer-delete-cancel");
  const prevBtn = $("#viewer-prev");
  const nextBtn = $("#viewer-next");

  let items = [];
  let cursor = null;
  let total = null;
  let generation = 0; // bumps on refresh so stale pages are dropped
  let loading = false;
  let current = null; // item shown in the viewer
  let opener = null;

  function key(item) {
    return item.filename || item.url || "";
  }

  function renderCount() {
    const n = typeof total === "number" ? total : items.length;
    count.textContent = n ? `(${n})` : "";
    empty.hidden = items.length > 0 || loading;
    moreBtn.hidden = !cursor;
  }

  function tile(item) {
    const src = thumbUrl(item);
    const label = `Open ${isVideo(item) ? "video" : "image"}: ${truncate(promptOf(item) || item.filename || "untitled", 80)}`;
    const button = el("button", {
      type: "button",
      class: "history-item",
      "aria-label": label,
      title: truncate(promptOf(item), 200) || null,
      onclick: () => open(item, button),
    });
    if (src) {
      button.append(el("img", { src, alt: "", loading: "lazy", decoding: "async" }));
    } else {
      button.append(el("span", { class: "tile-placeholder", text: isVideo(item) ? "video" : "no preview" }));
    }
    if (isVideo(item)) button.append(el("span", { class: "tile-badge", text: "video" }));
    return el("li", { dataset: { filename: item.filename } }, button);
  }

  function appendItems(newItems) {
    const seen = new Set(items.map(key));
    for (const item of newItems) {
      if (!item || typeof item !== "object" || seen.has(key(item))) continue;
      seen.add(key(item));
      items.push(item);
      grid.append(tile(item));
    }
  }

  async function load({ reset = false } = {}) {
    const mine = reset ? ++generation : generation;
    if (loading && !reset) return;
    loading = true;
    moreBtn.disabled = true;
    const query = { limit: pageSize };
    if (!reset && cursor) {
      query.before = cursor.before;
      query.beforeFilename = cursor.beforeFilename;
    }
    try {
      const data = await api.history(query);
      if (mine !== generation) return;
      const page = Array.isArray(data.items) ? data.items : [];
      if (reset) {
        items = [];
        clear(grid);
      }
      appendItems(page);
      const next = data.nextCursor;
      cursor = next && typeof next === "object" && (next.before != null || next.beforeFilename != null) ? next : null;
      total = typeof data.total === "number" ? data.total : null;
      showError(errorBox, null);
    } catch (err) {
      if (mine === generation) showError(errorBox, err, "Could not load history");
    } finally {
      if (mine === generation) {
        loading = false;
        moreBtn.disabled = false;
        renderCount();
      }
    }
  }

  // ---- viewer -------------------------------------------------------------------------------

  function metaRow(label, value) {
    if (value === undefined || value === null || value === "") return;
    viewerMeta.append(el("dt", { text: label }), el("dd", { text: String(value) }));
  }

  function resetDelete() {
    deleteBtn.hidden = false;
    confirmBtn.hidden = true;
    keepBtn.hidden = true;
    deleteBtn.disabled = false;
    confirmBtn.disabled = false;
  }

  function show(item) {
    current = item;
    showError(viewerError, null);
    resetDelete();
    clear(viewerMedia);
    clear(viewerMeta);
    const url = mediaUrl(item, { preferData: false });
    const text = promptOf(item);
    if (url && isVideo(item)) {
      viewerMedia.append(el("video", { src: url, controls: true, preload: "metadata", "aria-label": text || "Video" }));
    } else if (url) {
      viewerMedia.append(el("img", { src: url, alt: text || item.filename || "Generated image" }));
    } else {
      viewerMedia.append(el("p", { class: "empty", text: "This item has no media URL." }));
    }
    viewerTitle.textContent = isVideo(item) ? "Video" : "Image";
    metaRow("Prompt", text);
    if (item.revisedPrompt && item.revisedPrompt !== text) metaRow("Revised prompt", item.revisedPrompt);
    metaRow("Model", item.model);
    metaRow("Provider", item.provider);
    metaRow("Size", item.size);
    metaRow("Quality", item.quality);
    metaRow("Format", item.format);
    metaRow("Created", formatTime(item.createdAt));
    metaRow("File", item.filename);
    openLink.hidden = !url;
    downloadLink.hidden = !url;
    if (url) {
      openLink.href = url;
      downloadLink.href = url;
      downloadLink.setAttribute("download", item.filename || "");
    }
    const index = items.indexOf(item);
    prevBtn.disabled = index <= 0;
    nextBtn.disabled = index < 0 || (index >= items.length - 1 && !cursor);
  }

  function open(item, from) {
    opener = from || null;
    show(item);
    if (!viewer.open) {
      if (typeof viewer.showModal === "function") viewer.showModal();
      else viewer.setAttribute("open", "");
    }
  }

  function close() {
    if (viewer.open) {
      if (typeof viewer.close === "function") viewer.close();
      else viewer.removeAttribute("open");
    }
  }

  async function step(delta) {
    if (!current) return;
    let index = items.indexOf(current);
    if (index < 0) index = items.findIndex((i) => key(i) === key(current));
    let target = index + delta;
    if (target >= items.length && cursor) {
      await load();
      target = Math.min(target, items.length - 1);
    }
    if (target >= 0 && target < items.length) {
      show(items[target]);
      const li = grid.querySelector(`li:nth-child(${target + 1}) button`);
      if (li) opener = li;
    }
  }

  async function remove() {
    if (!current || !current.filename) return;
    const item = current;
    confirmBtn.disabled = true;
    keepBtn.disabled = true;
    try {
      await api.deleteHistory(item.filename);
      const index = items.indexOf(item);
      items = items.filter((i) => i !== item);
      for (const li of grid.children) {
        if (li.dataset.filename === item.filename) {
          li.remove();
          break;
        }
      }
      if (typeof total === "number") total = Math.max(0, total - 1);
      renderCount();
      status.textContent = `Deleted ${item.filename}.`;
      opener = grid.querySelector(`li:nth-child(${Math.min(index, items.length - 1) + 1}) button`) || refreshBtn;
      close();
    } catch (err) {
      showError(viewerError, err, "Delete failed");
      confirmBtn.disabled = false;
    } finally {
      keepBtn.disabled = false;
    }
  }

  deleteBtn.addEventListener("click", () => {
    deleteBtn.hidden = true;
    confirmBtn.hidden = false;
    keepBtn.hidden = false;
    confirmBtn.focus();
  });
  keepBtn.addEventListener("click", () => {
    resetDelete();
    deleteBtn.focus();
  });
  confirmBtn.addEventListener("click", remove);
  prevBtn.addEventListener("click", () => step(-1));
  nextBtn.addEventListener("click", () => step(1));
  $("#viewer-close").addEventListener("click", close);
  viewer.addEventListener("click", (event) => {
    if (event.target === viewer) close(); // click on the backdrop
  });
  viewer.addEventListener("keydown", (event) => {
    const tag = event.target && event.target.tagName;
    if (tag === "INPUT" || tag === "TEXTAREA" || tag === "VIDEO") return;
    if (event.key === "ArrowLeft") {
      event.preventDefault();
      step(-1);
    } else if (event.key === "ArrowRight") {
      event.preventDefault();
      step(1);
    }
  });
  viewer.addEventListener("close", () => {
    clear(viewerMedia); // stop any playing video
    current = null;
    if (opener && opener.isConnected) opener.focus();
    opener = null;
  });
  moreBtn.addEventListener("click", () => load());
  refreshBtn.addEventListener("click", () => {
    status.textContent = "";
    load({ reset: true });
  });

  /** Items of the loaded pages whose requestId is one of `ids`. */
  function findByRequestId(requestId) {
    return items.filter((i) => i.requestId === requestId);
  }

  return {
    refresh: () => load({ reset: true }),
    loadMore: () => load(),
    findByRequestId,
    get items() {
      return items;
    },
  };
}
