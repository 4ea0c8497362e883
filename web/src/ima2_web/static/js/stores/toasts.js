// Short notices at the bottom of the screen, optionally with one action (Undo).
import { signal } from "../lib.js";

export const toasts = signal([]);
// A modal dialog makes the page behind it inert, so while one is open it shows the toasts itself.
export const modalOpen = signal(false);
let next = 1;

export function dismiss(id) {
  toasts.value = toasts.value.filter((t) => t.id !== id);
}

/** toast(message, {action: {label, run}, kind: "info"|"error", timeout}) → id */
export function toast(message, { action = null, kind = "info", timeout = 6000 } = {}) {
  const id = next++;
  toasts.value = [...toasts.value, { id, message, action, kind }];
  if (timeout) setTimeout(() => dismiss(id), timeout);
  return id;
}
