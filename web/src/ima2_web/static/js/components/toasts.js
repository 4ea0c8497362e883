import { html } from "../lib.js";
import { t } from "../strings.js";
import { toasts, dismiss, modalOpen } from "../stores/toasts.js";

/** `inModal`: the copy a modal dialog renders; the page's copy steps aside meanwhile. */
export function Toasts({ inModal = false }) {
  if (modalOpen.value !== inModal) return null;
  return html`<div class="toasts" role="status" aria-live="polite" aria-label=${t("toast.region")}>
    ${toasts.value.map(
      (item) => html`<div class=${`toast ${item.kind}`} key=${item.id}>
        <span>${item.message}</span>
        ${item.action &&
        html`<button
          type="button"
          onClick=${() => {
            dismiss(item.id);
            item.action.run();
          }}
        >
          ${item.action.label}
        </button>`}
        <button type="button" class="icon" aria-label=${t("toast.dismiss")} onClick=${() => dismiss(item.id)}>×</button>
      </div>`,
    )}
  </div>`;
}
