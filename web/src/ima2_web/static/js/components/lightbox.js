// The gallery's lightbox: one item large, its metadata and actions; ←/→ move, Esc closes.
import { html, useRef, useEffect, useState, formatDate } from "../lib.js";
import { t, providerLabel } from "../strings.js";
import { api } from "../api.js";
import * as g from "../stores/gallery.js";
import { toast, modalOpen } from "../stores/toasts.js";
import { Toasts } from "./toasts.js";
import { applyMetadata } from "../stores/composer.js";
import { editSource } from "../stores/edit.js";
import { go } from "../stores/router.js";
import { useInAgent } from "../stores/agent.js";
import { addReferenceFiles } from "./refs.js";
import { urlToFile } from "../images.js";

async function deleteItem(item, index, onGone) {
  try {
    const reply = await api.deleteHistory(item.filename);
    g.removeAt(index);
    onGone();
    toast(t("gallery.deleted"), {
      timeout: 10000,
      action: {
        label: t("action.undo"),
        run: async () => {
          try {
            await api.restore(item.filename, reply.trashId);
            g.insertAt(index, item);
            toast(t("gallery.restored"));
          } catch (err) {
            toast(err.message, { kind: "error" });
          }
        },
      },
    });
  } catch (err) {
    toast(err.message, { kind: "error" });
  }
}

export function Lightbox({ position, count, itemAt, indexAt, onMove, onClose }) {
  const dialog = useRef(null);
  const [confirming, setConfirming] = useState(false);
  const item = itemAt(position);
  useEffect(() => {
    const el = dialog.current;
    if (!el.open) el.showModal();
    modalOpen.value = true;
    const closed = () => onClose();
    el.addEventListener("close", closed);
    return () => {
      modalOpen.value = false;
      el.removeEventListener("close", closed);
    };
  }, []);
  useEffect(() => setConfirming(false), [position]);
  // ←/→ wherever focus is while the lightbox is open (the dialog may hold it, or one of its buttons).
  const keys = useRef(null);
  useEffect(() => {
    const onKey = (e) => {
      if (e.target.tagName === "INPUT" || e.target.tagName === "TEXTAREA" || !dialog.current?.open) return;
      if (e.key === "ArrowLeft" || e.key === "ArrowRight") {
        e.preventDefault();
        keys.current?.[e.key]();
      }
    };
    document.addEventListener("keydown", onKey);
    return () => document.removeEventListener("keydown", onKey);
  }, []);
  if (!item) return html`<dialog ref=${dialog} class="lightbox" aria-label=${t("lightbox.title")}><p>${t("status.loading")}</p></dialog>`;
  const prev = () => position > 0 && onMove(position - 1);
  const next = () => position < count - 1 && onMove(position + 1);
  keys.current = { ArrowLeft: prev, ArrowRight: next };
  const afterRemoval = () => {
    if (position >= count - 1 && position > 0) onMove(position - 1);
    else if (count <= 1) dialog.current.close();
    else onMove(position);
  };
  const prompt = item.prompt || item.userPrompt || "";
  const rows = [
    [t("meta.provider"), item.provider && providerLabel(item.provider)],
    [t("meta.model"), item.model],
    [t("meta.size"), item.size],
    [t("meta.quality"), item.quality],
    [t("meta.created"), formatDate(item.createdAt)],
    [t("meta.file"), item.filename],
  ].filter(([, v]) => v);
  return html`<dialog
    ref=${dialog}
    class="lightbox"
    aria-labelledby="lightbox-title"
  >
    <div class="lightbox-body">
      <div class="lightbox-media">
        ${item.mediaType === "video"
          ? html`<video src=${item.url} controls aria-label=${prompt || item.filename}></video>`
          : html`<img src=${item.url} alt=${prompt || item.filename} />`}
      </div>
      <div class="lightbox-side">
        <h2 id="lightbox-title">${t("lightbox.title")} <span class="muted">${t("lightbox.position", { n: position + 1, total: count })}</span></h2>
        ${prompt && html`<p class="lightbox-prompt">${prompt}</p>`}
        <dl>${rows.map(([k, v]) => html`<dt>${k}</dt><dd>${v}</dd>`)}</dl>
        <div class="row wrap">
          <button type="button" onClick=${prev} disabled=${position === 0}>${t("lightbox.prev")}</button>
          <button type="button" onClick=${next} disabled=${position >= count - 1}>${t("lightbox.next")}</button>
          <button type="button" onClick=${() => dialog.current.close()}>${t("action.close")}</button>
        </div>
        <div class="row wrap">
          <button
            type="button"
            aria-pressed=${item.isFavorite ? "true" : "false"}
            onClick=${async () => {
              try {
                const reply = await api.favorite(item.filename);
                g.patchItem(item.filename, { isFavorite: reply.isFavorite });
              } catch (err) {
                toast(err.message, { kind: "error" });
              }
            }}
          >
            ${item.isFavorite ? t("result.unfavorite") : t("result.favorite")}
          </button>
          <a class="button" href=${item.url} download=${item.filename}>${t("result.download")}</a>
          <button
            type="button"
            onClick=${() => {
              applyMetadata(item);
              go("create");
            }}
          >
            ${t("lightbox.reuse")}
          </button>
          <button
            type="button"
            onClick=${async () => {
              try {
                await addReferenceFiles([await urlToFile(item.url, item.filename)]);
                go("create");
              } catch (err) {
                toast(err.message, { kind: "error" });
              }
            }}
          >
            ${t("result.useAsRef")}
          </button>
          <button
            type="button"
            onClick=${() => {
              editSource.value = { url: item.url, filename: item.filename, name: item.filename };
              go("edit");
            }}
          >
            ${t("result.edit")}
          </button>
          ${item.mediaType !== "video" &&
          html`<button
            type="button"
            onClick=${async () => {
              try {
                await useInAgent(item.filename);
                go("agent");
              } catch (err) {
                toast(err.message, { kind: "error" });
              }
            }}
          >
            ${t("lightbox.useInAgent")}
          </button>`}
        </div>
        <div class="row wrap danger-zone">
          <button type="button" onClick=${() => deleteItem(item, indexAt(position), afterRemoval)}>${t("gallery.delete")}</button>
          ${confirming
            ? html`<button
                type="button"
                class="danger"
                onClick=${async () => {
                  try {
                    await api.deletePermanent(item.filename);
                    g.removeAt(indexAt(position));
                    toast(t("gallery.deletedForever"));
                    afterRemoval();
                  } catch (err) {
                    toast(err.message, { kind: "error" });
                  }
                }}
              >
                ${t("gallery.confirmPermanent")}
              </button>`
            : html`<button type="button" class="danger" onClick=${() => setConfirming(true)}>${t("gallery.deletePermanent")}</button>`}
        </div>
      </div>
    </div>
    <${Toasts} inModal=${true} />
  </dialog>`;
}
