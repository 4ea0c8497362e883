// In-flight panel: GET /api/inflight ({jobs:[{requestId, kind, phase, startedAt, prompt?, ...}]})
// with a cancel button per job (DELETE /api/inflight/:requestId).

import { api } from "./api.js";
import { $, clear, debounce, el, formatDuration, showError, truncate } from "./dom.js";
import { phaseText } from "./jobs.js";

export function createInflight() {
  const list = $("#inflight-list");
  const empty = $("#inflight-empty");
  const count = $("#inflight-count");
  const errorBox = $("#inflight-error");
  const refreshBtn = $("#inflight-refresh");
  let jobs = [];
  let seq = 0;

  function startedMs(job) {
    const v = job.startedAt;
    if (typeof v === "number") return v < 1e12 ? v * 1000 : v; // seconds or milliseconds
    const t = Date.parse(v);
    return Number.isNaN(t) ? null : t;
  }

  function render() {
    clear(list);
    for (const job of jobs) {
      if (!job || !job.requestId) continue;
      const started = startedMs(job);
      const age = el("span", { class: "elapsed", dataset: { started: started ?? "" } },
        started ? formatDuration(Date.now() - started) : "");
      const cancel = el("button", {
        type: "button",
        class: "ghost small",
        text: "Cancel",
        "aria-label": `Cancel job ${job.requestId}`,
      });
      const rowError = el("span", { class: "row-error", role: "alert" });
      cancel.addEventListener("click", () => cancelJob(job.requestId, cancel, rowError));
      const prompt = typeof job.prompt === "string" && job.prompt ? truncate(job.prompt, 90) : null;
      list.append(
        el("li", { class: "inflight-item", dataset: { requestId: job.requestId } },
          el("div", { class: "inflight-main" },
            el("span", { class: "pill", text: job.kind || "job" }),
            el("span", { class: "phase", text: phaseText(job.phase || "queued") }),
            age),
          prompt ? el("p", { class: "inflight-prompt", title: job.prompt, text: prompt }) : null,
          el("div", { class: "inflight-foot" },
            el("code", { class: "request-id", title: job.requestId, text: truncate(job.requestId, 28) }),
            cancel),
          rowError),
      );
    }
    empty.hidden = jobs.length > 0;
    count.textContent = jobs.length ? `(${jobs.length})` : "";
  }

  async function refresh({ includeTerminal = false } = {}) {
    const mine = ++seq;
    try {
      const data = await api.inflight(includeTerminal);
      if (mine === seq) {
        jobs = Array.isArray(data.jobs) ? data.jobs : [];
        render();
        showError(errorBox, null);
      }
      return data;
    } catch (err) {
      if (mine === seq) showError(errorBox, err, "Could not load in-flight jobs");
      return null;
    }
  }

  async function cancelJob(requestId, button, rowError) {
    if (button) button.disabled = true;
    if (rowError) rowError.textContent = "";
    try {
      const res = await api.cancel(requestId);
      scheduleRefresh();
      return res;
    } catch (err) {
      if (rowError) rowError.textContent = `${err.message}${err.code ? ` (${err.code})` : ""}`;
      if (button) button.disabled = false;
      throw err;
    }
  }

  const scheduleRefresh = debounce(() => refresh(), 300);

  refreshBtn.addEventListener("click", () => refresh());
  setInterval(() => {
    for (const span of list.querySelectorAll(".elapsed[data-started]")) {
      const started = Number(span.dataset.started);
      if (started) span.textContent = formatDuration(Date.now() - started);
    }
  }, 1000);

  return {
    refresh,
    scheduleRefresh,
    cancel: (requestId) => cancelJob(requestId),
    get jobs() {
      return jobs;
    },
  };
}
