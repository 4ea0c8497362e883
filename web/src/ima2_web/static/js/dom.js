// Small DOM helpers. Text only ever goes in through textContent / attributes, never innerHTML.

import { describeError } from "./api.js";

const PROPS = new Set(["value", "checked", "selected", "disabled", "hidden", "open"]);

/** el("button", {class: "x", text: "Hi", onclick: fn}, child, "text", ...) */
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = String(value);
    else if (key === "dataset") {
      for (const [dk, dv] of Object.entries(value)) if (dv != null) node.dataset[dk] = String(dv);
    } else if (key.startsWith("on") && typeof value === "function") {
      node.addEventListener(key.slice(2), value);
    } else if (PROPS.has(key)) node[key] = value;
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  append(node, ...children);
  return node;
}

export function append(node, ...children) {
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export function clear(node) {
  while (node.firstChild) node.removeChild(node.firstChild);
  return node;
}

export function $(selector, root = document) {
  return root.querySelector(selector);
}

/** Show an error (ApiError or string) in an inline container; hide it when err is falsy. */
export function showError(container, err, prefix = "") {
  if (!container) return;
  clear(container);
  if (!err) {
    container.hidden = true;
    return;
  }
  const message = typeof err === "string" ? err : err.message || String(err);
  container.append(document.createTextNode(prefix ? `${prefix}: ${message}` : message));
  if (err && typeof err === "object" && err.code) {
    container.append(" ", el("code", { class: "error-code", text: err.code }));
  }
  container.hidden = false;
}

export { describeError };

/**
 * Accept only URLs that are safe as <img>/<video>/<a> targets:
 * data:image/* and data:video/* URLs, same-origin absolute paths, or http(s) URLs.
 */
export function safeMediaUrl(url) {
  if (typeof url !== "string" || !url) return null;
  const s = url.trim();
  if (/^data:(image|video)\/[a-z0-9.+-]+[;,]/i.test(s)) return s;
  if (s.startsWith("/") && !s.startsWith("//")) return s;
  try {
    const parsed = new URL(s, window.location.href);
    if (parsed.protocol === "http:" || parsed.protocol === "https:") return parsed.href;
  } catch {
    return null;
  }
  return null;
}

export function generatedUrl(filename) {
  return `/generated/${String(filename).split("/").map(encodeURIComponent).join("/")}`;
}

/** Full-size URL of a history row / done payload / GenerateItem. */
export function mediaUrl(item, { preferData = true } = {}) {
  if (!item || typeof item !== "object") return null;
  if (preferData && typeof item.image === "string" && item.image.startsWith("data:")) {
    const ok = safeMediaUrl(item.image);
    if (ok) return ok;
  }
  const url = safeMediaUrl(item.url);
  if (url) return url;
  if (typeof item.filename === "string" && item.filename) return generatedUrl(item.filename);
  return null;
}

export function isVideo(item) {
  if (!item) return false;
  if (item.mediaType === "video" || item.kind === "video") return true;
  const name = String(item.filename || item.url || "");
  return /\.(mp4|webm|mov)(\?|$)/i.test(name);
}

export function formatTime(value) {
  if (value === undefined || value === null || value === "") return "";
  const date = typeof value === "number" || /^\d+$/.test(String(value)) ? new Date(Number(value)) : new Date(value);
  if (Number.isNaN(date.getTime())) return String(value);
  return date.toLocaleString();
}

export function formatDuration(ms) {
  if (!Number.isFinite(ms) || ms < 0) return "";
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(s < 10 ? 1 : 0)} s`;
  const m = Math.floor(s / 60);
  return `${m} min ${Math.round(s - m * 60)} s`;
}

export function truncate(text, max = 120) {
  const s = String(text ?? "");
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

/** Debounce: run fn at most once per `wait` ms after the last call. */
export function debounce(fn, wait) {
  let timer = null;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), wait);
  };
}
