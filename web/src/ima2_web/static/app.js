// ima2 studio entry point: wires the header status, the generate form, the job cards,
// the in-flight panel and the history grid to one shared /api/events channel.

import { $, debounce } from "./js/dom.js";
import { EventChannel } from "./js/events.js";
import { createGenerate } from "./js/generate.js";
import { createHealth } from "./js/health.js";
import { createHistory } from "./js/history.js";
import { createInflight } from "./js/inflight.js";
import { createJobs } from "./js/jobs.js";

const EVENTS_LABEL = {
  idle: ["unknown", "Events: idle"],
  connecting: ["warn", "Events: connecting"],
  open: ["good", "Events: live"],
  reconnecting: ["warn", "Events: reconnecting"],
  closed: ["bad", "Events: disconnected, retrying"],
  unsupported: ["bad", "Events: not supported by this browser"],
};

function main() {
  const channel = new EventChannel("/api/events");
  const health = createHealth();
  const history = createHistory();
  const inflight = createInflight();
  const refreshHistory = debounce(() => history.refresh(), 250);

  const jobs = createJobs({
    channel,
    cancelJob: (requestId) => inflight.cancel(requestId),
    onTerminal: (_card, state) => {
      inflight.scheduleRefresh();
      if (state === "done" || state === "unknown") refreshHistory();
    },
    lookupHistory: async () => {
      await history.refresh();
      return (requestId) => history.findByRequestId(requestId);
    },
  });

  const generate = createGenerate({
    jobs,
    onSubmitted: () => inflight.scheduleRefresh(),
  });

  const badge = $("#events-badge");
  channel.onState((state) => {
    const [level, text] = EVENTS_LABEL[state] || EVENTS_LABEL.idle;
    badge.dataset.level = level;
    badge.textContent = text;
  });
  channel.onAny((name) => {
    if (name !== "partial" && name !== "progress") inflight.scheduleRefresh();
  });
  channel.onReconcile(async (reason) => {
    const data = await inflight.refresh({ includeTerminal: true });
    if (data) await jobs.reconcile(data);
    if (reason !== "open") refreshHistory();
  });

  health.start();
  generate.loadProviders();
  history.refresh();
  inflight.refresh();
  channel.connect();

  // Poll the in-flight list slowly while something is running or the event stream is down.
  setInterval(() => {
    if (inflight.jobs.length || channel.state !== "open") inflight.refresh();
  }, 15000);

  document.documentElement.dataset.ready = "true";
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", main);
else main();
