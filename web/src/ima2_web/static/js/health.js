// Header status: GET /api/health every 30 s.
//
// Fields used (all optional): ok, version, sandbox (bool), services ({name: {status}} or
// [{name, status}] or {name: "up"}), nats.status, status. Anything missing is simply not shown.

import { api } from "./api.js";
import { $, clear, el, showError } from "./dom.js";

const GOOD = new Set(["up", "ok", "ready", "healthy", "running", "serving", "connected", "open"]);
const WARN = new Set(["starting", "degraded", "unknown", "connecting", "reconnecting", "partial"]);

export function levelOf(status) {
  if (status === true) return "good";
  if (status === false) return "bad";
  const s = String(status ?? "").toLowerCase();
  if (!s) return "unknown";
  if (GOOD.has(s)) return "good";
  if (WARN.has(s)) return "warn";
  return "bad";
}

function statusText(value) {
  if (value && typeof value === "object") return value.status ?? value.state ?? (value.ok === true ? "up" : value.ok === false ? "down" : "unknown");
  if (typeof value === "boolean") return value ? "up" : "down";
  return value ?? "unknown";
}

/** Normalise health.services + health.nats into [{name, status}]. */
export function serviceStates(health) {
  const out = [];
  const services = health && health.services;
  if (Array.isArray(services)) {
    for (const s of services) {
      if (s && typeof s === "object" && s.name) out.push({ name: String(s.name), status: String(statusText(s)) });
    }
  } else if (services && typeof services === "object") {
    for (const [name, value] of Object.entries(services)) out.push({ name, status: String(statusText(value)) });
  }
  if (health && health.nats !== undefined && !out.some((s) => s.name === "nats")) {
    out.push({ name: "nats", status: String(statusText(health.nats)) });
  }
  return out;
}

export function createHealth() {
  const badge = $("#health-badge");
  const sandboxBadge = $("#sandbox-badge");
  const sandboxBanner = $("#sandbox-banner");
  const list = $("#service-list");
  const version = $("#health-version");
  const errorBox = $("#health-error");
  let timer = null;
  let lastSignature = null;

  function render(health) {
    const services = serviceStates(health);
    // Re-render only on change: the header is a polite live region.
    const signature = JSON.stringify([services, health.ok, health.sandbox, health.version]);
    if (signature === lastSignature) return;
    lastSignature = signature;
    const worst = services.reduce((acc, s) => {
      const lvl = levelOf(s.status);
      if (lvl === "bad" || acc === "bad") return "bad";
      if (lvl === "warn" || acc === "warn") return "warn";
      return acc;
    }, health.ok === false ? "bad" : "good");
    badge.dataset.level = worst;
    badge.textContent = worst === "good" ? "Server online" : worst === "warn" ? "Server degraded" : "Server has problems";

    const sandbox = health.sandbox === true || health.sandbox?.enabled === true;
    sandboxBadge.hidden = !sandbox;
    sandboxBanner.hidden = !sandbox;
    document.documentElement.dataset.sandbox = sandbox ? "true" : "false";

    clear(list);
    for (const s of services) {
      list.append(
        el("li", { class: "service", dataset: { level: levelOf(s.status), service: s.name } },
          el("span", { class: "dot", "aria-hidden": "true" }),
          `${s.name}: ${s.status}`),
      );
    }
    version.textContent = health.version ? `v${health.version}` : "";
    showError(errorBox, null);
  }

  async function refresh() {
    try {
      const health = await api.health();
      render(health && typeof health === "object" ? health : {});
    } catch (err) {
      lastSignature = null;
      badge.dataset.level = "bad";
      badge.textContent = "Server unreachable";
      showError(errorBox, err, "Health check failed");
    }
  }

  function start(intervalMs = 30000) {
    refresh();
    clearInterval(timer);
    timer = setInterval(refresh, intervalMs);
  }

  return { refresh, start };
}
