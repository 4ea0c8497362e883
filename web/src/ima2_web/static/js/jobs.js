// Progress cards, one per job started from this page. Each card follows its job's events
// (phase / planning / submitted / progress / partial / image / done / error) on the shared
// EventChannel and can be reconciled from GET /api/inflight after a replay gap or reconnect.

import { parseErrorBody } from "./api.js";
import { $, clear, el, formatDuration, isVideo, mediaUrl, safeMediaUrl, truncate } from "./dom.js";

const PHASE_TEXT = {
  submitting: "Submitting…",
  accepted: "Accepted, waiting for the first update…",
  validating: "Validating…",
  queued: "Queued",
  planning: "Planning…",
  searching: "Searching…",
  submitted: "Submitted to provider",
  streaming: "Generating…",
  running: "Generating…",
  decoding: "Decoding image…",
  persisting: "Saving…",
  post_processing: "Saving…",
};

const TERMINAL = new Set(["done", "error", "canceled", "unknown"]);
const CANCELED_CODES = new Set(["GENERATION_CANCELED", "CANCELED", "CANCELLED"]);
const MAX_CARDS = 40;

export function phaseText(phase) {
  if (!phase) return "Working…";
  const key = String(phase);
  if (PHASE_TEXT[key]) return PHASE_TEXT[key];
  const words = key.replace(/[_-]+/g, " ");
  return `${words.charAt(0).toUpperCase()}${words.slice(1)}…`;
}

export function newRequestId() {
  const bytes = new Uint8Array(12);
  crypto.getRandomValues(bytes);
  return `req_${Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("")}`;
}

class JobCard {
  constructor(manager, { requestId, prompt, provider, model, n }) {
    this.manager = manager;
    this.requestId = requestId;
    this.prompt = prompt || "";
    this.startedAt = Date.now();
    this.acceptedAt = null;
    this.state = "submitting";
    this.resultKeys = new Set();
    this.unsubscribe = manager.channel.subscribe(requestId, (name, data) => this.handleEvent(name, data));

    this.statusEl = el("span", { class: "pill", text: "submitting" });
    this.phaseEl = el("span", { class: "phase", text: phaseText("submitting") });
    this.elapsedEl = el("span", { class: "elapsed" });
    this.progressEl = el("progress", { class: "job-progress", max: "1", hidden: true, "aria-label": "Progress" });
    this.previewEl = el("img", { class: "job-preview", alt: "Partial preview", hidden: true });
    this.resultsEl = el("div", { class: "job-results" });
    this.errorEl = el("div", { class: "inline-error job-error", role: "alert", hidden: true });
    this.noticeEl = el("p", { class: "job-notice", hidden: true });
    this.cancelBtn = el("button", {
      type: "button",
      class: "ghost small",
      text: "Cancel",
      "aria-label": `Cancel job ${requestId}`,
      onclick: () => this.cancel(),
    });
    this.dismissBtn = el("button", {
      type: "button",
      class: "ghost small",
      text: "Dismiss",
      hidden: true,
      "aria-label": `Dismiss job ${requestId}`,
      onclick: () => this.remove(),
    });

    const meta = [provider, model, n > 1 ? `×${n}` : null].filter(Boolean).join(" · ");
    this.root = el(
      "li",
      { class: "job-card", dataset: { requestId, clientRequestId: requestId, state: this.state } },
      el("div", { class: "job-head" },
        el("p", { class: "job-prompt", title: this.prompt, text: truncate(this.prompt, 160) }),
        this.statusEl),
      el("div", { class: "job-line" },
        el("span", { class: "job-meta", text: meta }),
        this.elapsedEl),
      el("div", { class: "job-line", role: "status", "aria-live": "polite" }, this.phaseEl),
      this.progressEl,
      this.previewEl,
      this.resultsEl,
      this.errorEl,
      this.noticeEl,
      el("div", { class: "job-actions" }, this.cancelBtn, this.dismissBtn),
    );
    this.tick();
  }

  get terminal() {
    return TERMINAL.has(this.state);
  }

  setState(state) {
    this.state = state;
    this.root.dataset.state = state;
    this.statusEl.textContent = state;
    if (this.terminal) {
      this.cancelBtn.hidden = true;
      this.dismissBtn.hidden = false;
      this.finishedAt = this.finishedAt || Date.now();
      this.tick();
      this.unsubscribe();
      this.manager.onCardChange();
    }
  }

  setPhase(phase) {
    if (this.terminal) return;
    if (this.state === "submitting" || this.state === "queued") this.setState(phase === "queued" ? "queued" : "running");
    this.phaseEl.textContent = phaseText(phase);
    this.root.dataset.phase = String(phase || "");
  }

  tick() {
    const end = this.finishedAt || Date.now();
    this.elapsedEl.textContent = formatDuration(end - this.startedAt);
  }

  accepted(serverRequestId) {
    if (serverRequestId && serverRequestId !== this.requestId) {
      // The server chose another id: follow that one instead.
      this.unsubscribe();
      this.requestId = serverRequestId;
      this.root.dataset.requestId = serverRequestId;
      this.unsubscribe = this.manager.channel.subscribe(serverRequestId, (n, d) => this.handleEvent(n, d));
    }
    this.acceptedAt = Date.now();
    if (this.state === "submitting") {
      this.setState("queued");
      this.phaseEl.textContent = phaseText("accepted");
    }
  }

  handleEvent(name, data) {
    switch (name) {
      case "phase":
        this.setPhase(data.phase);
        break;
      case "planning":
      case "submitted":
        this.setPhase(name);
        break;
      case "progress": {
        const value = Number(data.progress);
        if (Number.isFinite(value)) {
          this.progressEl.hidden = false;
          this.progressEl.value = Math.max(0, Math.min(1, value > 1 ? value / 100 : value));
        }
        if (data.stalled) this.phaseEl.textContent = "Waiting on the provider (stalled)…";
        else this.setPhase("streaming");
        break;
      }
      case "partial": {
        const src = typeof data.image === "string" ? safeMediaUrl(data.image) : null;
        if (src && !this.terminal) {
          this.previewEl.src = src;
          this.previewEl.hidden = false;
        }
        this.setPhase("streaming");
        break;
      }
      case "image":
        this.addResult(data);
        break;
      case "done":
        this.finish(data);
        break;
      case "error":
        this.fail(parseErrorBody(data, Number(data.status) || 0));
        break;
      default:
        break;
    }
  }

  addResult(item) {
    const src = mediaUrl(item);
    if (!src) return false;
    const full = mediaUrl(item, { preferData: false }) || src;
    const key = item.filename || src.slice(0, 200);
    if (this.resultKeys.has(key)) return true;
    this.resultKeys.add(key);
    const index = this.resultKeys.size;
    const media = isVideo(item)
      ? el("video", { class: "job-result-media", src, controls: true, preload: "metadata" })
      : el("img", { class: "job-result-image", src, alt: `Result ${index}: ${truncate(this.prompt, 100)}` });
    const links = el("figcaption", { class: "job-result-links" });
    if (!full.startsWith("data:")) {
      links.append(el("a", { href: full, target: "_blank", rel: "noopener noreferrer", text: "Open" }));
    }
    links.append(el("a", { href: full, download: item.filename || "", text: "Download" }));
    this.resultsEl.append(el("figure", { class: "job-result", dataset: { filename: item.filename } }, media, links));
    return true;
  }

  finish(data) {
    const items = Array.isArray(data.images) && data.images.length ? data.images : [data];
    let shown = 0;
    for (const item of items) if (item && typeof item === "object" && this.addResult(item)) shown += 1;
    if (this.state === "done") return;
    this.previewEl.hidden = true;
    this.previewEl.removeAttribute("src");
    this.progressEl.hidden = true;
    this.finishedAt = Date.now();
    this.phaseEl.textContent = shown || this.resultKeys.size
      ? `Done in ${formatDuration(this.finishedAt - this.startedAt)}`
      : "Done (the result is in the history)";
    if (data.status === "partial") this.phaseEl.textContent += " — partial result";
    this.setState("done");
    this.manager.onTerminal(this, "done", data);
  }

  fail(err) {
    if (this.terminal) return;
    this.previewEl.hidden = true;
    this.progressEl.hidden = true;
    if (err.code && CANCELED_CODES.has(err.code)) {
      this.phaseEl.textContent = "Canceled";
      this.setState("canceled");
    } else {
      this.phaseEl.textContent = "Failed";
      this.errorEl.textContent = err.message || "Generation failed";
      if (err.code) this.errorEl.append(" ", el("code", { class: "error-code", text: err.code }));
      this.errorEl.hidden = false;
      this.setState("error");
    }
    this.manager.onTerminal(this, this.state, err);
  }

  lost(message) {
    if (this.terminal) return;
    this.phaseEl.textContent = message;
    this.setState("unknown");
    this.manager.onTerminal(this, "unknown", null);
  }

  notice(text) {
    this.noticeEl.textContent = text || "";
    this.noticeEl.hidden = !text;
  }

  async cancel() {
    if (this.terminal) return;
    this.cancelBtn.disabled = true;
    this.notice("Canceling…");
    try {
      const res = await this.manager.cancelJob(this.requestId);
      this.notice("");
      // No event follows when the job was not active any more.
      if (res && res.active === false && !this.terminal) {
        this.phaseEl.textContent = "Canceled";
        this.setState("canceled");
      }
    } catch (err) {
      this.notice(`Cancel failed: ${err.message}${err.code ? ` (${err.code})` : ""}`);
      this.cancelBtn.disabled = false;
    }
  }

  remove() {
    this.unsubscribe();
    this.root.remove();
    this.manager.cards.delete(this);
    this.manager.onCardChange();
  }
}

export function createJobs({ channel, cancelJob, onTerminal, lookupHistory }) {
  const list = $("#jobs");
  const empty = $("#jobs-empty");
  const clearBtn = $("#jobs-clear");

  const manager = {
    channel,
    cards: new Set(),
    cancelJob,
    onTerminal: (card, state, data) => onTerminal && onTerminal(card, state, data),
    onCardChange: () => {
      empty.hidden = manager.cards.size > 0;
      clearBtn.hidden = ![...manager.cards].some((c) => c.terminal);
    },
  };

  clearBtn.addEventListener("click", () => {
    for (const card of [...manager.cards]) if (card.terminal) card.remove();
    $("#prompt").focus();
  });

  setInterval(() => {
    for (const card of manager.cards) if (!card.terminal) card.tick();
  }, 1000);

  function create(info) {
    const card = new JobCard(manager, info);
    manager.cards.add(card);
    list.prepend(card.root);
    // Keep the list bounded: drop the oldest finished cards.
    const finished = [...manager.cards].filter((c) => c.terminal);
    while (manager.cards.size > MAX_CARDS && finished.length) finished.shift().remove();
    manager.onCardChange();
    return card;
  }

  /** Resynchronise pending cards with GET /api/inflight?includeTerminal=1 output. */
  async function reconcile(data) {
    const jobs = Array.isArray(data?.jobs) ? data.jobs : [];
    const terminal = Array.isArray(data?.terminalJobs) ? data.terminalJobs : [];
    const missing = [];
    for (const card of manager.cards) {
      if (card.terminal || card.state === "submitting") continue;
      const active = jobs.find((j) => j && j.requestId === card.requestId);
      if (active) {
        if (active.phase) card.setPhase(active.phase);
        continue;
      }
      const done = terminal.find((j) => j && j.requestId === card.requestId);
      if (done && (done.status === "error" || done.status === "canceled" || done.status === "cancelled")) {
        card.fail({
          message: done.error || (done.status === "error" ? "Generation failed" : "Canceled"),
          code: done.errorCode || (done.status === "error" ? null : "GENERATION_CANCELED"),
        });
        continue;
      }
      // Completed (or no longer tracked): the result should be in the history.
      if (done || Date.now() - (card.acceptedAt || card.startedAt) > 1500) missing.push(card);
    }
    if (!missing.length || !lookupHistory) return;
    let found = null;
    try {
      found = await lookupHistory(missing.map((c) => c.requestId));
    } catch {
      found = null;
    }
    for (const card of missing) {
      if (card.terminal) continue;
      const items = found ? found(card.requestId) : [];
      if (items && items.length) card.finish({ images: items });
      else {
        const still = terminal.find((j) => j && j.requestId === card.requestId);
        if (still) card.finish({});
        else card.lost("Lost track of this job while disconnected — check the history.");
      }
    }
  }

  return { create, reconcile, cards: manager.cards };
}
