// References: drag and drop, paste, file picker; up to the provider's limit; each removable.
import { html, useRef, useState, randomId } from "../lib.js";
import { t } from "../strings.js";
import { refs, maxRefs } from "../stores/composer.js";
import { capabilities } from "../stores/status.js";
import { compressImage, ImageRefused } from "../images.js";
import { toast } from "../stores/toasts.js";

export async function addReferenceFiles(files) {
  const limit = maxRefs.value;
  const maxBytes = capabilities.value?.limits?.maxRefB64Bytes ?? 7_000_000;
  for (const file of files) {
    if (refs.value.length >= limit) {
      toast(t("refs.full", { n: limit }), { kind: "error" });
      return;
    }
    try {
      const { dataUrl } = await compressImage(file, maxBytes);
      refs.value = [...refs.value, { id: randomId("ref_"), name: file.name || t("refs.pasted"), dataUrl }];
    } catch (err) {
      const reason = err instanceof ImageRefused ? err.reason : "unreadable";
      toast(t(`refs.refused.${reason}`, { name: file.name || "" }), { kind: "error", timeout: 9000 });
    }
  }
}

export function References() {
  const input = useRef(null);
  const [over, setOver] = useState(false);
  const list = refs.value;
  const limit = maxRefs.value;
  return html`<fieldset class="refs">
    <legend>${t("refs.title", { n: list.length, max: limit })}</legend>
    <div
      class=${`dropzone ${over ? "over" : ""}`}
      onDragOver=${(e) => {
        e.preventDefault();
        setOver(true);
      }}
      onDragLeave=${() => setOver(false)}
      onDrop=${(e) => {
        e.preventDefault();
        setOver(false);
        addReferenceFiles([...e.dataTransfer.files]);
      }}
    >
      <p>${t("refs.drop")}</p>
      <button type="button" onClick=${() => input.current.click()} disabled=${list.length >= limit}>${t("refs.pick")}</button>
      <input
        ref=${input}
        type="file"
        accept="image/png,image/jpeg,image/webp,image/gif,.heic,.heif"
        multiple
        hidden
        aria-label=${t("refs.pick")}
        onChange=${(e) => {
          addReferenceFiles([...e.currentTarget.files]);
          e.currentTarget.value = "";
        }}
      />
    </div>
    ${list.length > 0 &&
    html`<ul class="ref-list">
      ${list.map(
        (ref, i) => html`<li key=${ref.id}>
          <img src=${ref.dataUrl} alt=${t("refs.item", { n: i + 1, name: ref.name })} />
          <button
            type="button"
            class="icon"
            aria-label=${t("refs.remove", { n: i + 1 })}
            onClick=${() => (refs.value = refs.value.filter((r) => r.id !== ref.id))}
          >
            ×
          </button>
        </li>`,
      )}
    </ul>`}
  </fieldset>`;
}
