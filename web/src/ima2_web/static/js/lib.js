// The UI toolkit in one place: Preact rendering, htm templates and signals (vendored, see
// web/vendor.json). Every module imports from here, never from the vendor paths directly.
import { h, render, Fragment, Component } from "preact";
import htm from "htm";

export { render, Fragment, Component };
export { useState, useEffect, useRef, useMemo, useCallback, useLayoutEffect } from "preact/hooks";
export { signal, computed, effect, batch } from "@preact/signals";

export const html = htm.bind(h);

/** A short random id (request ids, browser id). */
export function randomId(prefix = "") {
  const bytes = crypto.getRandomValues(new Uint8Array(9));
  return prefix + Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

export function clsx(...parts) {
  return parts.filter(Boolean).join(" ");
}

/** A File/Blob as a data URL. */
export function readDataUrl(blob) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result));
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(blob);
  });
}

export function readText(blob) {
  return blob.text();
}

/** Save a value to a download on the user's machine. */
export function downloadBlob(blob, filename) {
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

export function formatDate(ms) {
  if (!ms) return "";
  return new Date(ms).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

export function formatDuration(ms) {
  const s = Math.max(0, Math.round(ms / 1000));
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m ${s % 60}s`;
}

export const isPhone = () => window.matchMedia("(max-width: 720px)").matches;

/** A component that re-renders only when `same(prevProps, nextProps)` is false (preact/compat's memo, small). */
export function memo(render, same) {
  class Memo extends Component {
    shouldComponentUpdate(next) {
      return !same(this.props, next);
    }
    render(props) {
      return render(props);
    }
  }
  return Memo;
}
