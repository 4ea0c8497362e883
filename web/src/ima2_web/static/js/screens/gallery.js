// Gallery: the whole history, virtualised; search, favourites, grouping, lightbox, delete/undo,
// import, storage status.
import { html, useState, useEffect, useMemo, useRef, Component } from "../lib.js";
import { t } from "../strings.js";
import { api } from "../api.js";
import * as g from "../stores/gallery.js";
import { toast } from "../stores/toasts.js";
import { VirtualGrid } from "../components/vgrid.js";
import { Lightbox } from "../components/lightbox.js";
import { SelectField, CheckField } from "../components/controls.js";

const tileStamp = (item) => (item.isFavorite ? 1 : 0);

function StorageNotice() {
  const [status, setStatus] = useState(null);
  useEffect(() => {
    api.storageStatus().then((r) => setStatus(r.data), () => setStatus(null));
  }, []);
  if (!status) return null;
  const open = () =>
    api.openGeneratedDir().then(
      () => toast(t("storage.opened")),
      (err) => toast(`${err.message}${err.code ? ` (${err.code})` : ""}`, { kind: "error" }),
    );
  return html`<div class=${`storage-notice ${status.state}`} role="note" aria-label=${t("storage.label")}>
    <span>${t(`storage.${status.state}`, { dir: status.generatedDirLabel, n: status.generatedCount, doctor: status.doctorCommand })}</span>
    <button type="button" onClick=${open}>${t("storage.open")}</button>
  </div>`;
}

/** One tile; it re-renders only when its item changes (not on every scroll frame). */
class Tile extends Component {
  shouldComponentUpdate(next) {
    return next.item !== this.props.item || next.index !== this.props.index || next.stamp !== this.props.stamp;
  }

  render() {
    return html`<${TileView} ...${this.props} />`;
  }
}

function TileView({ item, index, onOpen }) {
  const prompt = item.prompt || item.userPrompt || item.filename;
  return html`<button type="button" class="tile" aria-label=${t("gallery.open", { prompt: prompt.slice(0, 80) })} onClick=${() => onOpen(index)}>
    <img src=${item.thumb || item.url} alt="" decoding="async" />
    ${item.isFavorite && html`<span class="fav-mark" aria-hidden="true">★</span>`}
    ${item.mediaType === "video" && html`<span class="video-mark" aria-hidden="true">▶</span>`}
  </button>`;
}

export function GalleryScreen() {
  const [open, setOpen] = useState(null); // position in display order
  const [search, setSearch] = useState(g.filters.q.value);
  const importInput = useRef(null);
  const version = g.version.value;
  const mode = g.filters.groupBy.value;

  // Start the first page during the first render, not after paint: first tiles come sooner.
  useState(() => g.reload());
  useEffect(() => {
    const timer = setTimeout(() => {
      if (search !== g.filters.q.value) {
        g.filters.q.value = search;
        g.reload();
      }
    }, 250);
    return () => clearTimeout(timer);
  }, [search]);

  const titles = g.sessionTitles.value;
  const groups = useMemo(
    () =>
      g.groups(
        mode,
        (d) => d.toLocaleDateString(undefined, { weekday: "short", year: "numeric", month: "long", day: "numeric" }),
        (id) => (id ? titles[id] || t("gallery.session", { id: id.slice(0, 10) }) : t("gallery.noSession")),
      ),
    [version, mode, titles],
  );
  const order = useMemo(() => (mode === "none" ? null : groups.flatMap((x) => x.indexes)), [groups]);
  const indexAt = (pos) => (order ? order[pos] : pos);
  const openIndex = (index) => setOpen(order ? order.indexOf(index) : index);
  const openIndexRef = useRef(null);
  openIndexRef.current = openIndex;
  const openStable = useMemo(() => (index) => openIndexRef.current(index), []);

  const importFiles = async (files) => {
    for (const file of files) {
      try {
        await api.importLocal(file);
        toast(t("gallery.imported", { name: file.name }));
      } catch (err) {
        toast(`${err.message}${err.code ? ` (${err.code})` : ""}`, { kind: "error" });
      }
    }
    g.reload();
  };

  const count = g.total.value;
  return html`<div class="screen gallery">
    <div class="gallery-head">
      <h1>${t("gallery.title")}</h1>
      <p class="muted" aria-live="polite">${g.loading.value && !g.items.length ? t("status.loading") : count === 1 ? t("gallery.countOne") : t("gallery.count", { n: count.toLocaleString() })}</p>
    </div>
    <${StorageNotice} />
    <div class="gallery-tools" role="search">
      <div class="field grow">
        <label for="gallery-q">${t("gallery.search")}</label>
        <input id="gallery-q" type="search" value=${search} placeholder=${t("gallery.searchHint")} onInput=${(e) => setSearch(e.currentTarget.value)} />
      </div>
      <${SelectField}
        id="gallery-group"
        label=${t("gallery.groupBy")}
        value=${mode}
        options=${["date", "session", "none"].map((m) => ({ value: m, label: t(`gallery.group.${m}`) }))}
        onChange=${(v) => {
          g.filters.groupBy.value = v;
          localStorage.setItem("ima2.gallery.groupBy", v);
        }}
      />
      <${CheckField}
        id="gallery-fav"
        label=${t("gallery.favoritesOnly")}
        checked=${g.filters.favoritesOnly.value}
        onChange=${(v) => {
          g.filters.favoritesOnly.value = v;
          g.reload();
        }}
      />
      <button type="button" onClick=${() => importInput.current.click()}>${t("gallery.import")}</button>
      <input ref=${importInput} type="file" accept="image/png,image/jpeg,image/webp" multiple hidden aria-label=${t("gallery.import")} onChange=${(e) => {
        importFiles([...e.currentTarget.files]);
        e.currentTarget.value = "";
      }} />
    </div>
    ${g.error.value && html`<p class="error-note" role="alert">${g.error.value.message}</p>`}
    ${!g.loading.value && count === 0 && !g.error.value && html`<p class="muted">${g.filters.q.value || g.filters.favoritesOnly.value ? t("gallery.noMatch") : t("gallery.empty")}</p>`}
    <${VirtualGrid}
      label=${t("gallery.grid")}
      groups=${groups}
      version=${version}
      totalCount=${count}
      loadedCount=${g.items.length}
      renderTile=${(index) => html`<${Tile} item=${g.items[index]} index=${index} stamp=${tileStamp(g.items[index])} onOpen=${openStable} />`}
      onNeed=${(index) => g.ensureLoaded(index + 100)}
    />
    ${open !== null &&
    html`<${Lightbox}
      position=${open}
      count=${order ? order.length : g.items.length}
      itemAt=${(pos) => g.items[indexAt(pos)]}
      indexAt=${indexAt}
      onMove=${(pos) => {
        if (!order) g.ensureLoaded(pos + 50);
        setOpen(pos);
      }}
      onClose=${() => setOpen(null)}
    />`}
  </div>`;
}
