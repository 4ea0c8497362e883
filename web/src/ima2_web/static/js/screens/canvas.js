// Canvas: annotate a generated image with pen, box, arrow, text memo and eraser; undo/redo; zoom.
// Annotations are kept per browser through /api/annotations/:filename (X-Ima2-Browser-Id comes
// from api.js); the annotated image is saved as a canvas version (POST /api/canvas-versions) and
// updated in place (PUT …/:filename), and can go to Edit or become a node's source.
import { html, useState, useEffect, useRef, signal } from "../lib.js";
import { t } from "../strings.js";
import { api } from "../api.js";
import { toast } from "../stores/toasts.js";
import { editSource } from "../stores/edit.js";
import { go } from "../stores/router.js";
import { addNode, updateNode, ensureSession, loadState } from "../stores/graph.js";
import { ErrorNote } from "../components/controls.js";

const TOOLS = ["pen", "box", "arrow", "memo", "eraser"];
const COLORS = ["#e5484d", "#3b4cca", "#1d7a46", "#f5a524", "#111111"];
const VERSIONS_KEY = "ima2.canvas.versions.v1";

export const canvasFile = signal(new URLSearchParams(location.hash.split("?")[1] || "").get("file") || "");
const items = signal([]); // annotations in image pixels
const undoStack = signal([]);
const redoStack = signal([]);
const saveState = signal("saved");
let timer = null;

function versionsOf(source) {
  try {
    return (JSON.parse(localStorage.getItem(VERSIONS_KEY) || "{}")[source] || []);
  } catch {
    return [];
  }
}
function rememberVersion(source, item) {
  let all = {};
  try {
    all = JSON.parse(localStorage.getItem(VERSIONS_KEY) || "{}");
  } catch {
    /* start over */
  }
  const list = (all[source] || []).filter((v) => v.filename !== item.filename);
  all[source] = [{ filename: item.filename, url: item.url, savedAt: Date.now() }, ...list].slice(0, 20);
  localStorage.setItem(VERSIONS_KEY, JSON.stringify(all));
}

// The server keeps `{paths, boxes, memos}`: pen strokes and arrows are paths (with their kind),
// and each mark carries its drawing order so the stack is rebuilt as drawn.
export function toPayload(list) {
  const out = { paths: [], boxes: [], memos: [] };
  list.forEach((item, order) => {
    const bucket = item.kind === "box" ? out.boxes : item.kind === "memo" ? out.memos : out.paths;
    bucket.push({ ...item, order });
  });
  return out;
}

export function fromPayload(payload) {
  if (!payload) return [];
  const all = [
    ...(payload.paths || []).map((p) => ({ kind: p.kind === "arrow" ? "arrow" : "pen", ...p })),
    ...(payload.boxes || []).map((b) => ({ ...b, kind: "box" })),
    ...(payload.memos || []).map((m) => ({ ...m, kind: "memo" })),
  ];
  return all
    .filter((i) => (i.kind === "pen" ? Array.isArray(i.points) : i.kind === "memo" ? typeof i.text === "string" : true))
    .sort((a, b) => (a.order ?? 0) - (b.order ?? 0))
    .map(({ order, ...rest }) => rest);
}

function commit(next) {
  undoStack.value = [...undoStack.value, items.value].slice(-100);
  redoStack.value = [];
  items.value = next;
  scheduleSave();
}

function scheduleSave() {
  saveState.value = "pending";
  clearTimeout(timer);
  const file = canvasFile.value;
  timer = setTimeout(async () => {
    timer = null;
    saveState.value = "saving";
    try {
      await api.putAnnotations(file, toPayload(items.value));
      if (file === canvasFile.value) saveState.value = "saved";
    } catch (err) {
      saveState.value = "error";
      toast(err.message, { kind: "error" });
    }
  }, 500);
}

function undo() {
  const stack = undoStack.value;
  if (!stack.length) return;
  redoStack.value = [...redoStack.value, items.value];
  items.value = stack[stack.length - 1];
  undoStack.value = stack.slice(0, -1);
  scheduleSave();
}
function redo() {
  const stack = redoStack.value;
  if (!stack.length) return;
  undoStack.value = [...undoStack.value, items.value];
  items.value = stack[stack.length - 1];
  redoStack.value = stack.slice(0, -1);
  scheduleSave();
}

function Shape({ item, onErase }) {
  const common = { "data-kind": item.kind, stroke: item.color, "stroke-width": item.width, fill: "none", onPointerDown: onErase };
  switch (item.kind) {
    case "pen":
      return html`<polyline ...${common} points=${item.points.map((p) => p.join(",")).join(" ")} stroke-linecap="round" stroke-linejoin="round" />`;
    case "box":
      return html`<rect ...${common} x=${Math.min(item.x1, item.x2)} y=${Math.min(item.y1, item.y2)} width=${Math.abs(item.x2 - item.x1)} height=${Math.abs(item.y2 - item.y1)} />`;
    case "arrow":
      return html`<line ...${common} x1=${item.x1} y1=${item.y1} x2=${item.x2} y2=${item.y2} marker-end="url(#arrowhead)" />`;
    case "memo":
      return html`<text data-kind="memo" x=${item.x} y=${item.y} fill=${item.color} font-size=${item.size} font-family="system-ui, sans-serif" font-weight="700" paint-order="stroke" stroke="#fff" stroke-width=${item.size / 8} onPointerDown=${onErase}>${item.text}</text>`;
    default:
      return null;
  }
}

/** The image with its annotations drawn on, as a PNG blob. */
async function flatten(img, svg) {
  const w = img.naturalWidth;
  const h = img.naturalHeight;
  const canvas = document.createElement("canvas");
  canvas.width = w;
  canvas.height = h;
  const ctx = canvas.getContext("2d");
  ctx.drawImage(img, 0, 0, w, h);
  const clone = svg.cloneNode(true);
  clone.setAttribute("width", w);
  clone.setAttribute("height", h);
  clone.setAttribute("xmlns", "http://www.w3.org/2000/svg");
  const url = URL.createObjectURL(new Blob([new XMLSerializer().serializeToString(clone)], { type: "image/svg+xml" }));
  try {
    const overlay = new Image();
    overlay.src = url;
    await overlay.decode();
    ctx.drawImage(overlay, 0, 0, w, h);
  } finally {
    URL.revokeObjectURL(url);
  }
  return new Promise((resolve) => canvas.toBlob(resolve, "image/png"));
}

function Picker() {
  const [list, setList] = useState(null);
  useEffect(() => {
    api.history({ limit: 24 }).then(
      (r) => setList((r.items || []).filter((i) => i.mediaType !== "video")),
      () => setList([]),
    );
  }, []);
  if (!list) return html`<p class="muted">${t("status.loading")}</p>`;
  if (!list.length) return html`<p class="muted">${t("canvas.noImages")}</p>`;
  return html`<ul class="canvas-picker">
    ${list.map(
      (item) => html`<li key=${item.filename}>
        <button type="button" onClick=${() => openCanvas(item.filename)} aria-label=${t("canvas.open", { name: item.prompt || item.filename })}>
          <img src=${item.thumb || item.url} alt="" loading="lazy" />
        </button>
      </li>`,
    )}
  </ul>`;
}

export function openCanvas(filename) {
  canvasFile.value = filename;
  location.hash = `#/canvas?file=${encodeURIComponent(filename)}`;
}

export function CanvasScreen() {
  const file = canvasFile.value;
  const [tool, setTool] = useState("pen");
  const [color, setColor] = useState(COLORS[0]);
  const [memo, setMemo] = useState("");
  const [zoom, setZoom] = useState(1);
  const [size, setSize] = useState(null);
  const [error, setError] = useState(null);
  const [version, setVersion] = useState(null);
  const [versions, setVersions] = useState([]);
  const [busy, setBusy] = useState(false);
  const draft = useRef(null);
  const [, force] = useState(0);
  const svg = useRef(null);
  const img = useRef(null);

  useEffect(() => {
    const onHash = () => {
      const f = new URLSearchParams(location.hash.split("?")[1] || "").get("file");
      if (f && f !== canvasFile.value) canvasFile.value = f;
    };
    window.addEventListener("hashchange", onHash);
    return () => window.removeEventListener("hashchange", onHash);
  }, []);

  useEffect(() => {
    if (!file) return;
    items.value = [];
    undoStack.value = [];
    redoStack.value = [];
    setError(null);
    setSize(null);
    setVersion(null);
    setVersions(versionsOf(file));
    saveState.value = "saved";
    api.annotations(file).then(
      (r) => {
        if (canvasFile.value === file) items.value = fromPayload(r.annotations);
      },
      (err) => setError({ code: err.code, message: err.message }),
    );
  }, [file]);

  useEffect(() => {
    const onKey = (e) => {
      if (!(e.ctrlKey || e.metaKey) || e.target.closest?.("input, textarea")) return;
      if (e.key === "z" && !e.shiftKey) {
        e.preventDefault();
        undo();
      } else if (e.key === "y" || (e.key === "z" && e.shiftKey) || e.key === "Z") {
        e.preventDefault();
        redo();
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, []);

  useEffect(() => {
    const el = img.current;
    if (el && el.complete && el.naturalWidth && !size) setSize({ w: el.naturalWidth, h: el.naturalHeight });
  });

  if (!file)
    return html`<div class="screen canvas"><section class="card"><h1>${t("canvas.title")}</h1><p>${t("canvas.pick")}</p><${Picker} /></section></div>`;

  const width = size ? Math.max(4, Math.round(size.w / 120)) : 4;
  const point = (e) => {
    const r = svg.current.getBoundingClientRect();
    return [Math.round(((e.clientX - r.left) / r.width) * size.w), Math.round(((e.clientY - r.top) / r.height) * size.h)];
  };
  const down = (e) => {
    if (!size || tool === "eraser") return;
    e.preventDefault();
    const [x, y] = point(e);
    if (tool === "memo") {
      if (!memo.trim()) return toast(t("canvas.memoFirst"), { kind: "error" });
      commit([...items.value, { kind: "memo", x, y, text: memo.trim(), color, size: width * 6 }]);
      return;
    }
    svg.current.setPointerCapture(e.pointerId);
    draft.current =
      tool === "pen" ? { kind: "pen", points: [[x, y]], color, width } : { kind: tool, x1: x, y1: y, x2: x, y2: y, color, width };
    force((n) => n + 1);
  };
  const move = (e) => {
    const d = draft.current;
    if (!d) return;
    const [x, y] = point(e);
    if (d.kind === "pen") d.points.push([x, y]);
    else Object.assign(d, { x2: x, y2: y });
    force((n) => n + 1);
  };
  const up = () => {
    const d = draft.current;
    draft.current = null;
    if (!d) return;
    const tiny = d.kind === "pen" ? d.points.length < 2 : Math.hypot(d.x2 - d.x1, d.y2 - d.y1) < 3;
    if (!tiny) commit([...items.value, d]);
    else force((n) => n + 1);
  };
  const erase = (index) => (e) => {
    if (tool !== "eraser") return;
    e.stopPropagation();
    commit(items.value.filter((_, i) => i !== index));
  };
  const saveVersion = async (update) => {
    setBusy(true);
    setError(null);
    try {
      const blob = await flatten(img.current, svg.current);
      const r = update ? await api.updateCanvasVersion(version.filename, blob, file) : await api.createCanvasVersion(blob, file);
      const item = { filename: r.item.filename, url: r.item.url || `/generated/${r.item.filename}` };
      setVersion(item);
      rememberVersion(file, item);
      setVersions(versionsOf(file));
      toast(update ? t("canvas.updated") : t("canvas.saved"));
      return item;
    } catch (err) {
      setError({ code: err.code, message: err.message });
      return null;
    } finally {
      setBusy(false);
    }
  };
  const current = async () => version || (await saveVersion(false));

  return html`<div class="screen canvas">
    <section class="card canvas-main" aria-labelledby="canvas-title">
      <div class="row spread">
        <h1 id="canvas-title">${t("canvas.title")}</h1>
        <span class=${`badge ${saveState.value === "saved" ? "ok" : saveState.value === "error" ? "bad" : "warn"}`} role="status">${t(`canvas.save.${saveState.value}`)}</span>
      </div>
      <div class="canvas-tools" role="toolbar" aria-label=${t("canvas.tools")}>
        ${TOOLS.map((name) => html`<button type="button" aria-pressed=${tool === name ? "true" : "false"} onClick=${() => setTool(name)}>${t(`canvas.tool.${name}`)}</button>`)}
        <span class="toolbar-gap"></span>
        <button type="button" disabled=${!undoStack.value.length} onClick=${undo}>${t("canvas.undo")}</button>
        <button type="button" disabled=${!redoStack.value.length} onClick=${redo}>${t("canvas.redo")}</button>
        <button type="button" aria-label=${t("node.zoomOut")} onClick=${() => setZoom((z) => Math.max(0.25, z / 1.25))}>−</button>
        <span class="muted">${Math.round(zoom * 100)}%</span>
        <button type="button" aria-label=${t("node.zoomIn")} onClick=${() => setZoom((z) => Math.min(4, z * 1.25))}>+</button>
      </div>
      <div class="row wrap canvas-options">
        <fieldset class="colors">
          <legend>${t("canvas.color")}</legend>
          ${COLORS.map(
            (c, i) => html`<label class="swatch" style=${`--c:${c}`}>
              <input type="radio" name="canvas-color" value=${c} checked=${color === c} onChange=${() => setColor(c)} />
              <span class="sr-only">${t(`canvas.color${i}`)}</span>
            </label>`,
          )}
        </fieldset>
        ${tool === "memo" &&
        html`<div class="field grow">
          <label for="canvas-memo">${t("canvas.memoText")}</label>
          <input id="canvas-memo" value=${memo} onInput=${(e) => setMemo(e.currentTarget.value)} placeholder=${t("canvas.memoHint")} />
        </div>`}
      </div>
      <div class="canvas-stage" tabindex="0" role="region" aria-label=${t("canvas.stage")}>
        <div class="canvas-frame" style=${`width: ${Math.round(zoom * 100)}%`}>
          <img ref=${img} src=${`/generated/${encodeURIComponent(file)}`} alt=${t("canvas.source", { name: file })} crossorigin="anonymous"
            onLoad=${(e) => setSize({ w: e.currentTarget.naturalWidth, h: e.currentTarget.naturalHeight })} />
          ${size &&
          html`<svg ref=${svg} class=${`canvas-overlay tool-${tool}`} viewBox=${`0 0 ${size.w} ${size.h}`} role="img" aria-label=${t("canvas.overlay", { n: items.value.length })}
            onPointerDown=${down} onPointerMove=${move} onPointerUp=${up} onPointerCancel=${up}>
            <defs><marker id="arrowhead" viewBox="0 0 10 10" refX="8" refY="5" markerWidth="5" markerHeight="5" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="context-stroke" /></marker></defs>
            ${items.value.map((item, i) => html`<${Shape} key=${i} item=${item} onErase=${erase(i)} />`)}
            ${draft.current && html`<${Shape} item=${draft.current} />`}
          </svg>`}
        </div>
      </div>
      <p class="hint">${t("canvas.hint")}</p>
    </section>
    <aside class="card canvas-side" aria-labelledby="canvas-versions">
      <h2 id="canvas-versions">${t("canvas.versions")}</h2>
      <p class="muted">${t("canvas.sourceIs", { name: file })}</p>
      <div class="row wrap">
        <button type="button" class="primary" disabled=${busy || !size} onClick=${() => saveVersion(false)}>${t("canvas.saveVersion")}</button>
        <button type="button" disabled=${busy || !version} onClick=${() => saveVersion(true)}>${t("canvas.updateVersion")}</button>
      </div>
      ${version && html`<p class="hint" role="status">${t("canvas.currentVersion", { name: version.filename })}</p>`}
      <ul class="canvas-versions">
        ${versions.map(
          (v) => html`<li key=${v.filename}>
            <img src=${`${v.url}?v=${v.savedAt}`} alt=${t("canvas.versionOf", { name: v.filename, source: file })} loading="lazy" />
            <button type="button" class="quiet" aria-pressed=${version?.filename === v.filename ? "true" : "false"} onClick=${() => setVersion(v)}>${t("canvas.useVersion")}</button>
          </li>`,
        )}
      </ul>
      <div class="row wrap">
        <button type="button" disabled=${busy || !size} onClick=${async () => {
          const v = await current();
          if (!v) return;
          editSource.value = { url: v.url, filename: v.filename, name: v.filename };
          go("edit");
        }}>${t("canvas.toEdit")}</button>
        <button type="button" disabled=${busy || !size} onClick=${async () => {
          const v = await current();
          if (!v) return;
          if (loadState.value === "idle") await ensureSession();
          const id = addNode({ x: 40, y: 40 });
          if (!id) return;
          updateNode(id, { externalSrc: `/generated/${encodeURIComponent(v.filename)}`, imageUrl: v.url, status: "source" });
          go("node");
        }}>${t("canvas.toNode")}</button>
        <button type="button" class="quiet" onClick=${() => {
          canvasFile.value = "";
          location.hash = "#/canvas";
        }}>${t("canvas.other")}</button>
      </div>
      <${ErrorNote} error=${error} />
    </aside>
  </div>`;
}

