// Node mode: a session is a graph of image nodes. Sessions and the style sheet on the side, the
// graph (components/graphview.js) in the middle; each node is a card with its prompt, its live
// phase / partial preview / image, and its actions.
import { html, useEffect, useState, useMemo, useCallback } from "../lib.js";
import { t, guidance } from "../strings.js";
import { api } from "../api.js";
import { jobs } from "../stores/jobs.js";
import { form } from "../stores/composer.js";
import { toast } from "../stores/toasts.js";
import {
  sessions,
  sessionId,
  sessionTitle,
  nodes,
  edges,
  loadState,
  saveState,
  saveError,
  selected,
  connectFrom,
  parentOf,
  groupRun,
  ensureSession,
  loadSessions,
  openSession,
  createSession,
  renameSession,
  deleteSession,
  addNode,
  addChild,
  addVariant,
  updateNode,
  deleteNodes,
  deleteEdge,
  connect,
  groupOf,
  runNode,
  runSelected,
  save,
  byId,
} from "../stores/graph.js";
import { GraphView, createView, NODE_W } from "../components/graphview.js";
import { openCanvas } from "./canvas.js";
import { ProviderModel, fieldId } from "../components/controls.js";

const view = createView();

function select(id, additive) {
  if (additive) {
    const next = new Set(selected.value);
    if (next.has(id)) next.delete(id);
    else next.add(id);
    selected.value = next;
  } else selected.value = new Set([id]);
}

function NodeStatus({ node }) {
  const d = node.data;
  if (d.status === "running") {
    const job = d.requestId ? jobs.value.find((j) => j.requestId === d.requestId) : null;
    const phase = job?.phase || "submitted";
    return html`<p class="gnode-status running" role="status">${t("node.running", { phase: t(`phase.${phase}`, {}, phase) })}</p>`;
  }
  if (d.status === "error" && d.error) {
    const help = guidance(d.error.code);
    return html`<div class="gnode-status error" role="alert">
      <strong>${d.error.message || t("error.generic")}</strong>${d.error.code && html` <code>${d.error.code}</code>`}
      ${help && html`<p>${help}</p>`}
    </div>`;
  }
  if (d.status === "asset-missing") return html`<p class="gnode-status error">${t("node.assetMissing")}</p>`;
  return null;
}

function NodeImage({ node }) {
  const d = node.data;
  let partial = null;
  if (d.status === "running" && d.requestId) partial = jobs.value.find((j) => j.requestId === d.requestId)?.partial || null;
  const src = partial || d.imageUrl;
  if (!src) return html`<div class="gnode-image empty" aria-hidden="true"></div>`;
  const alt = partial ? t("node.preview", { label: d.label }) : t("node.image", { label: d.label, prompt: d.prompt || "" });
  return html`<img class="gnode-image" src=${src} alt=${alt} draggable="false" loading="lazy" decoding="async" />`;
}

function NodeCard({ node, isSelected }) {
  const d = node.data;
  const parent = parentOf.value.get(node.id);
  const parentNode = parent ? byId.value.get(parent) : null;
  const pending = connectFrom.value;
  const running = d.status === "running";
  const promptId = `prompt-${node.id}`;
  return html`<article class=${`gnode${isSelected ? " selected" : ""} ${d.status || ""}`} aria-label=${d.label} data-status=${d.status || "empty"}>
    <header class="gnode-head" data-drag-node>
      <label class="gnode-select">
        <input type="checkbox" checked=${isSelected} onChange=${() => select(node.id, true)} />
        <span>${d.label}</span>
      </label>
      ${parentNode && html`<span class="muted gnode-parent">${t("node.childOf", { label: parentNode.data.label })}</span>`}
    </header>
    <${NodeImage} node=${node} />
    <${NodeStatus} node=${node} />
    <label class="sr-only" for=${promptId}>${t("node.promptOf", { label: d.label })}</label>
    <textarea
      id=${promptId}
      rows="2"
      placeholder=${parentNode ? t("node.childPlaceholder") : t("node.rootPlaceholder")}
      value=${d.prompt || ""}
      onInput=${(e) => updateNode(node.id, { prompt: e.currentTarget.value })}
      onKeyDown=${(e) => {
        if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
          e.preventDefault();
          runNode(node.id);
        }
      }}
    ></textarea>
    <div class="gnode-actions">
      <button type="button" class="primary" disabled=${running} onClick=${() => runNode(node.id)}>
        ${d.imageUrl ? t("node.regenerate") : t("node.generate")}
      </button>
      <button type="button" disabled=${!d.serverNodeId} onClick=${() => addChild(node.id)} title=${d.serverNodeId ? "" : t("node.childNeedsImage")}>
        ${t("node.addChild")}
      </button>
      <button type="button" disabled=${!d.prompt} onClick=${() => addVariant(node.id)}>${t("node.variant")}</button>
      ${pending && pending !== node.id
        ? html`<button type="button" onClick=${() => connect(pending, node.id) && (connectFrom.value = null)}>
            ${t("node.connectHere", { label: byId.value.get(pending)?.data.label || "" })}
          </button>`
        : html`<button type="button" aria-pressed=${pending === node.id ? "true" : "false"} onClick=${() => (connectFrom.value = pending === node.id ? null : node.id)}>
            ${t("node.connectFrom")}
          </button>`}
      ${parent &&
      html`<button type="button" onClick=${() => deleteEdge(edges.value.find((e) => e.target === node.id).id)}>${t("node.detach")}</button>`}
      ${d.imageUrl && !running && html`<button type="button" onClick=${() => openCanvas(decodeURIComponent(d.imageUrl.split("?")[0].split("/").pop()))}>${t("node.annotate")}</button>`}
      <button type="button" class="danger" onClick=${() => deleteNodes([node.id])}>${t("node.delete")}</button>
    </div>
  </article>`;
}

const renderNode = (node, isSelected) => html`<${NodeCard} node=${node} isSelected=${isSelected} />`;

function SaveBadge() {
  const state = saveState.value;
  if (state === "error")
    return html`<span class="badge bad" role="alert">${saveError.value?.message || t("node.saveFailed")}
      <button type="button" class="quiet" onClick=${() => save("retry")}>${t("node.retrySave")}</button></span>`;
  return html`<span class=${`badge ${state === "saved" ? "ok" : "warn"}`} role="status" aria-live="polite">${t(`node.save.${state}`)}</span>`;
}

function Toolbar() {
  const count = selected.value.size;
  const run = groupRun.value;
  return html`<div class="graph-toolbar" role="toolbar" aria-label=${t("node.toolbar")}>
    <button type="button" onClick=${() => {
      const r = view.viewport.getBoundingClientRect();
      const p = view.toGraph(r.left + r.width / 2, r.top + 60);
      addNode({ x: p.x - NODE_W / 2, y: p.y });
    }}>${t("node.addRoot")}</button>
    <button type="button" disabled=${count !== 1} onClick=${() => (selected.value = groupOf([...selected.value][0]))}>${t("node.selectGroup")}</button>
    <button type="button" class="primary" disabled=${!count || !!run} onClick=${() => runSelected()}>
      ${run ? t("node.groupRunning", { done: run.done, total: run.total }) : t("node.runSelected", { n: count })}
    </button>
    <button type="button" disabled=${!count} onClick=${() => deleteNodes([...selected.value])}>${t("node.deleteSelected", { n: count })}</button>
    <span class="toolbar-gap"></span>
    <button type="button" aria-label=${t("node.zoomOut")} onClick=${() => view.zoomAt(1 / 1.25)}>−</button>
    <button type="button" aria-label=${t("node.zoomIn")} onClick=${() => view.zoomAt(1.25)}>+</button>
    <button type="button" onClick=${() => view.fit()}>${t("node.fit")}</button>
    <${SaveBadge} />
  </div>`;
}

function SessionList() {
  const [busy, setBusy] = useState(false);
  const [renaming, setRenaming] = useState(null);
  const act = async (fn) => {
    setBusy(true);
    try {
      await fn();
    } catch (err) {
      toast(err.message, { kind: "error" });
    } finally {
      setBusy(false);
    }
  };
  return html`<section class="panel sessions" aria-labelledby="sessions-title">
    <div class="row spread">
      <h2 id="sessions-title">${t("node.sessions")}</h2>
      <button type="button" disabled=${busy} onClick=${() => act(() => createSession(t("node.untitled")))}>${t("node.newSession")}</button>
    </div>
    <ul class="session-list">
      ${sessions.value.map((s) =>
        renaming === s.id
          ? html`<li key=${s.id}>
              <form class="row" onSubmit=${(e) => {
                e.preventDefault();
                const title = new FormData(e.currentTarget).get("title").trim();
                if (title) act(() => renameSession(s.id, title)).then(() => setRenaming(null));
              }}>
                <label class="sr-only" for=${`rename-${s.id}`}>${t("node.sessionTitle")}</label>
                <input id=${`rename-${s.id}`} name="title" value=${s.title} required autofocus />
                <button type="submit">${t("action.save")}</button>
                <button type="button" class="quiet" onClick=${() => setRenaming(null)}>${t("action.cancel")}</button>
              </form>
            </li>`
          : html`<li key=${s.id} class=${s.id === sessionId.value ? "current" : ""}>
              <button type="button" class="session-open" aria-current=${s.id === sessionId.value ? "true" : undefined} onClick=${() => act(() => openSession(s.id))}>
                <span>${s.title || t("node.untitled")}</span>
                <span class="muted">${t("node.nodeCount", { n: s.id === sessionId.value ? nodes.value.length : s.nodeCount ?? 0 })}</span>
              </button>
              <button type="button" class="quiet" aria-label=${t("node.renameSession", { title: s.title })} onClick=${() => setRenaming(s.id)}>${t("node.rename")}</button>
              <button type="button" class="quiet danger" aria-label=${t("node.deleteSession", { title: s.title })} onClick=${() => {
                if (confirm(t("node.confirmDelete", { title: s.title }))) act(() => deleteSession(s.id));
              }}>${t("action.delete")}</button>
            </li>`,
      )}
    </ul>
  </section>`;
}

const SHEET_FIELDS = ["palette", "composition", "mood", "medium", "subject_details", "negative"];
const LIST_FIELDS = new Set(["palette", "negative"]);

function StyleSheet() {
  const sid = sessionId.value;
  const [sheet, setSheet] = useState(null);
  const [enabled, setEnabled] = useState(false);
  const [draft, setDraft] = useState({});
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const ids = useMemo(() => Object.fromEntries([...SHEET_FIELDS, "enabled", "extract"].map((f) => [f, fieldId(`sheet-${f}`)])), []);
  const fill = (s) => setDraft(Object.fromEntries(SHEET_FIELDS.map((f) => [f, LIST_FIELDS.has(f) ? (s?.[f] || []).join(", ") : s?.[f] || ""])));
  useEffect(() => {
    if (!sid) return;
    setError(null);
    api.styleSheet(sid).then(
      (r) => {
        setSheet(r.styleSheet);
        setEnabled(!!r.enabled);
        fill(r.styleSheet);
      },
      (err) => setError(err),
    );
  }, [sid]);
  const act = async (fn) => {
    setBusy(true);
    setError(null);
    try {
      await fn();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const toSheet = () =>
    Object.fromEntries(
      SHEET_FIELDS.map((f) => [f, LIST_FIELDS.has(f) ? (draft[f] || "").split(",").map((x) => x.trim()).filter(Boolean) : (draft[f] || "").trim()]),
    );
  const [extractFrom, setExtractFrom] = useState("");
  return html`<details class="panel style-sheet" open>
    <summary><h2>${t("sheet.title")}</h2></summary>
    <p class="hint">${t("sheet.hint")}</p>
    <div class="field check">
      <input type="checkbox" id=${ids.enabled} checked=${enabled} disabled=${busy || !sheet} onChange=${(e) => {
        const on = e.currentTarget.checked;
        setEnabled(on); // shown at once; put back if the server refuses
        act(async () => {
          try {
            setEnabled((await api.setStyleSheetEnabled(sid, on)).enabled);
          } catch (err) {
            setEnabled(!on);
            throw err;
          }
        });
      }} />
      <label for=${ids.enabled}>${t("sheet.enabled")}</label>
      ${!sheet && html`<p class="hint">${t("sheet.noneYet")}</p>`}
    </div>
    <form onSubmit=${(e) => {
      e.preventDefault();
      act(async () => {
        const next = toSheet();
        await api.putStyleSheet(sid, next, sheet ? enabled : true);
        setSheet(next);
        if (!sheet) setEnabled(true);
        toast(t("sheet.saved"));
      });
    }}>
      ${SHEET_FIELDS.map(
        (f) => html`<div class="field" key=${f}>
          <label for=${ids[f]}>${t(`sheet.${f}`)}</label>
          <input id=${ids[f]} value=${draft[f] || ""} onInput=${(e) => setDraft({ ...draft, [f]: e.currentTarget.value })} />
        </div>`,
      )}
      <button type="submit" disabled=${busy}>${t("sheet.save")}</button>
    </form>
    <form class="extract" onSubmit=${(e) => {
      e.preventDefault();
      act(async () => {
        const r = await api.extractStyleSheet(sid, { prompt: extractFrom });
        const next = r.styleSheet || r.sheet || null;
        if (next) {
          setSheet(next);
          fill(next);
        }
        if (r.enabled !== undefined) setEnabled(!!r.enabled);
        toast(t("sheet.extracted"));
      });
    }}>
      <div class="field">
        <label for=${ids.extract}>${t("sheet.extractFrom")}</label>
        <input id=${ids.extract} value=${extractFrom} onInput=${(e) => setExtractFrom(e.currentTarget.value)} required />
      </div>
      <button type="submit" disabled=${busy || !extractFrom.trim()}>${t("sheet.extract")}</button>
    </form>
    ${error && html`<div class="error-note" role="alert"><strong>${error.message}</strong>${error.code && html` <code>${error.code}</code>`}
      ${guidance(error.code) && html`<p>${guidance(error.code)}</p>`}</div>`}
  </details>`;
}

export function NodeScreen() {
  useEffect(() => {
    if (loadState.value === "idle") ensureSession().catch((err) => toast(err.message, { kind: "error" }));
    else loadSessions();
  }, []);
  useEffect(() => {
    const onKey = (e) => {
      if (e.key === "Escape") connectFrom.value = null;
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, []);
  const onBackgroundClick = useCallback((p) => {
    if (connectFrom.value) {
      connectFrom.value = null;
      return;
    }
    if (selected.value.size) {
      selected.value = new Set();
      return;
    }
    addNode({ x: p.x - NODE_W / 2, y: p.y - 20 });
  }, []);
  return html`<div class="screen node">
    <aside class="node-side">
      <${SessionList} />
      ${sessionId.value && html`<${StyleSheet} key=${sessionId.value} />`}
      <details class="panel">
        <summary><h2>${t("node.options")}</h2></summary>
        <${ProviderModel} provider=${form.provider} model=${form.model} idPrefix="node" />
      </details>
    </aside>
    <section class="node-main" aria-labelledby="node-title">
      <h1 id="node-title" class="node-title">${sessionTitle.value || t("nav.node")}</h1>
      <${Toolbar} />
      ${connectFrom.value && html`<p class="hint connect-hint" role="status">${t("node.connectHint", { label: byId.value.get(connectFrom.value)?.data.label || "" })}</p>`}
      ${loadState.value === "loading" && html`<p class="muted">${t("status.loading")}</p>`}
      <${GraphView} view=${view} renderNode=${renderNode} onBackgroundClick=${onBackgroundClick} label=${t("node.canvas")} />
      <p class="hint">${t("node.canvasHint")}</p>
    </section>
  </div>`;
}

