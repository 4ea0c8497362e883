// The node graph renderer: nodes are DOM cards, edges one SVG, both inside one layer moved by a
// CSS transform. Panning and zooming (mouse drag, wheel / trackpad, two-finger pinch) only change
// that transform in a requestAnimationFrame, so 500 nodes pan without re-rendering any of them.
import { html, useRef, useEffect, useLayoutEffect, signal, memo } from "../lib.js";
import { t } from "../strings.js";
import { nodes, edges, selected, byId, connectFrom, addChild, connect, moveNode } from "../stores/graph.js";

export const NODE_W = 220;
export const NODE_H = 300;
const MIN_ZOOM = 0.1;
const MAX_ZOOM = 2.5;
const CLICK_SLOP = 5;

const FAR_ZOOM = 0.45; // below this, cards are drawn as their image and label only
const dragLine = signal(null); // {x1, y1, x2, y2} in graph coordinates while a handle is dragged
// What is drawn: the visible part of the graph plus one screen on every side (graph coordinates),
// and the level of detail. Both change only when a pan or zoom leaves that margin, so most
// frames of a pan touch nothing but the layer's transform.
const drawn = signal({ rect: null, far: false });

function updateDrawn(view) {
  const el = view.viewport;
  if (!el) return;
  const w = el.clientWidth / view.k;
  const h = el.clientHeight / view.k;
  const x0 = -view.x / view.k;
  const y0 = -view.y / view.k;
  const far = view.k < FAR_ZOOM;
  const cur = drawn.value;
  const r = cur.rect;
  const inside = r && x0 >= r.x0 && y0 >= r.y0 && x0 + w <= r.x1 && y0 + h <= r.y1 && r.w <= 3.5 * w;
  if (inside && cur.far === far) return;
  drawn.value = { rect: { x0: x0 - w, y0: y0 - h, x1: x0 + 2 * w, y1: y0 + 2 * h, w: 3 * w }, far };
}

/** The view (pan + zoom) of one viewport; kept outside Preact so moving it never re-renders. */
export function createView() {
  const view = { x: 40, y: 40, k: 1, layer: null, viewport: null, frame: 0, onChange: null };
  view.apply = () => {
    if (view.frame) return;
    view.frame = requestAnimationFrame(() => {
      view.frame = 0;
      if (view.layer) view.layer.style.transform = `translate(${view.x}px, ${view.y}px) scale(${view.k})`;
      updateDrawn(view);
      if (view.onChange) view.onChange(view);
    });
  };
  view.toGraph = (clientX, clientY) => {
    const r = view.viewport.getBoundingClientRect();
    return { x: (clientX - r.left - view.x) / view.k, y: (clientY - r.top - view.y) / view.k };
  };
  view.zoomAt = (factor, clientX, clientY) => {
    const r = view.viewport.getBoundingClientRect();
    const cx = clientX ?? r.left + r.width / 2;
    const cy = clientY ?? r.top + r.height / 2;
    const k = Math.min(MAX_ZOOM, Math.max(MIN_ZOOM, view.k * factor));
    const px = cx - r.left;
    const py = cy - r.top;
    view.x = px - ((px - view.x) * k) / view.k;
    view.y = py - ((py - view.y) * k) / view.k;
    view.k = k;
    view.apply();
  };
  view.panBy = (dx, dy) => {
    view.x += dx;
    view.y += dy;
    view.apply();
  };
  view.fit = () => {
    const list = nodes.value;
    const r = view.viewport.getBoundingClientRect();
    if (!list.length) {
      Object.assign(view, { x: 40, y: 40, k: 1 });
      return view.apply();
    }
    const minX = Math.min(...list.map((n) => n.x));
    const minY = Math.min(...list.map((n) => n.y));
    const maxX = Math.max(...list.map((n) => n.x + NODE_W));
    const maxY = Math.max(...list.map((n) => n.y + NODE_H));
    const k = Math.min(1, Math.max(MIN_ZOOM, Math.min((r.width - 40) / (maxX - minX), (r.height - 40) / (maxY - minY))));
    view.k = k;
    view.x = (r.width - (maxX - minX) * k) / 2 - minX * k;
    view.y = (r.height - (maxY - minY) * k) / 2 - minY * k;
    view.apply();
  };
  return view;
}

function Edges() {
  const map = byId.value;
  const list = edges.value;
  const line = dragLine.value;
  return html`<svg class="graph-edges" aria-hidden="true" width="1" height="1">
    ${list.map((e) => {
      const a = map.get(e.source);
      const b = map.get(e.target);
      if (!a || !b) return null;
      const x1 = a.x + NODE_W / 2;
      const y1 = a.y + NODE_H;
      const x2 = b.x + NODE_W / 2;
      const y2 = b.y;
      const mid = Math.max(40, Math.abs(y2 - y1) / 2);
      return html`<path key=${e.id} data-edge-id=${e.id} d=${`M${x1},${y1} C${x1},${y1 + mid} ${x2},${y2 - mid} ${x2},${y2}`} />`;
    })}
    ${line && html`<line class="drag-line" x1=${line.x1} y1=${line.y1} x2=${line.x2} y2=${line.y2} />`}
  </svg>`;
}

/**
 * The viewport. `renderNode(node)` draws one card; `view` comes from createView().
 * A click on empty canvas calls onBackgroundClick(graphPoint).
 */
export function GraphView({ view, renderNode, onBackgroundClick, label }) {
  const viewport = useRef(null);
  const layer = useRef(null);

  useLayoutEffect(() => {
    view.viewport = viewport.current;
    view.layer = layer.current;
    layer.current.style.transform = `translate(${view.x}px, ${view.y}px) scale(${view.k})`;
    updateDrawn(view);
    const resize = new ResizeObserver(() => updateDrawn(view));
    resize.observe(viewport.current);
    return () => resize.disconnect();
  }, []);

  useEffect(() => {
    const el = viewport.current;
    const pointers = new Map();
    let gesture = null;

    const isBackground = (target) => target === el || target === layer.current || target.closest?.(".graph-edges");

    const down = (e) => {
      const handle = e.target.closest?.("[data-handle-of]");
      const node = e.target.closest?.("[data-node-id]");
      if (handle) {
        e.preventDefault();
        el.setPointerCapture(e.pointerId);
        const from = byId.value.get(handle.dataset.handleOf);
        gesture = { kind: "link", from: from.id, id: e.pointerId };
        const p = view.toGraph(e.clientX, e.clientY);
        dragLine.value = { x1: from.x + NODE_W / 2, y1: from.y + NODE_H, x2: p.x, y2: p.y };
        return;
      }
      if (node && e.target.closest?.("[data-drag-node]") && !e.target.closest("input, button, label, textarea, select, a")) {
        e.preventDefault();
        el.setPointerCapture(e.pointerId);
        const n = byId.value.get(node.dataset.nodeId);
        const p = view.toGraph(e.clientX, e.clientY);
        gesture = { kind: "move", id: e.pointerId, node: n.id, dx: p.x - n.x, dy: p.y - n.y, moved: false };
        return;
      }
      if (!isBackground(e.target)) return;
      el.setPointerCapture(e.pointerId);
      pointers.set(e.pointerId, { x: e.clientX, y: e.clientY });
      if (pointers.size === 1) {
        gesture = { kind: "pan", startX: e.clientX, startY: e.clientY, moved: false };
        el.classList.add("panning");
      } else if (pointers.size === 2) {
        const [a, b] = [...pointers.values()];
        gesture = { kind: "pinch", dist: Math.hypot(a.x - b.x, a.y - b.y), cx: (a.x + b.x) / 2, cy: (a.y + b.y) / 2 };
      }
    };

    const move = (e) => {
      if (!gesture) return;
      if (gesture.kind === "link") {
        const p = view.toGraph(e.clientX, e.clientY);
        dragLine.value = { ...dragLine.value, x2: p.x, y2: p.y };
        return;
      }
      if (gesture.kind === "move") {
        const p = view.toGraph(e.clientX, e.clientY);
        gesture.moved = true;
        moveNode(gesture.node, p.x - gesture.dx, p.y - gesture.dy, { commit: false });
        return;
      }
      if (!pointers.has(e.pointerId)) return;
      const prev = pointers.get(e.pointerId);
      pointers.set(e.pointerId, { x: e.clientX, y: e.clientY });
      if (gesture.kind === "pan") {
        if (Math.hypot(e.clientX - gesture.startX, e.clientY - gesture.startY) > CLICK_SLOP) gesture.moved = true;
        view.panBy(e.clientX - prev.x, e.clientY - prev.y);
      } else if (gesture.kind === "pinch" && pointers.size === 2) {
        const [a, b] = [...pointers.values()];
        const dist = Math.hypot(a.x - b.x, a.y - b.y);
        const cx = (a.x + b.x) / 2;
        const cy = (a.y + b.y) / 2;
        view.panBy(cx - gesture.cx, cy - gesture.cy);
        if (gesture.dist > 0) view.zoomAt(dist / gesture.dist, cx, cy);
        Object.assign(gesture, { dist, cx, cy });
      }
    };

    const up = (e) => {
      if (!gesture) return;
      if (gesture.kind === "link") {
        const from = gesture.from;
        dragLine.value = null;
        gesture = null;
        const hit = document.elementFromPoint(e.clientX, e.clientY);
        const target = hit?.closest?.("[data-node-id]");
        if (target && target.dataset.nodeId !== from) connect(from, target.dataset.nodeId);
        else if (!target && el.contains(hit)) {
          const p = view.toGraph(e.clientX, e.clientY);
          addChild(from, { x: p.x - NODE_W / 2, y: p.y });
        }
        return;
      }
      if (gesture.kind === "move") {
        const n = byId.value.get(gesture.node);
        if (n && gesture.moved) moveNode(n.id, n.x, n.y);
        gesture = null;
        return;
      }
      pointers.delete(e.pointerId);
      if (gesture.kind === "pan" && !gesture.moved && e.type === "pointerup" && onBackgroundClick) {
        onBackgroundClick(view.toGraph(e.clientX, e.clientY));
      }
      if (pointers.size === 0) {
        gesture = null;
        el.classList.remove("panning");
      } else if (pointers.size === 1) {
        const [p] = [...pointers.values()];
        gesture = { kind: "pan", startX: p.x, startY: p.y, moved: true };
      }
    };

    const wheel = (e) => {
      e.preventDefault();
      if (e.ctrlKey || e.metaKey) view.zoomAt(Math.exp(-e.deltaY * 0.01), e.clientX, e.clientY);
      else view.panBy(-e.deltaX, -e.deltaY);
    };

    el.addEventListener("pointerdown", down);
    el.addEventListener("pointermove", move);
    el.addEventListener("pointerup", up);
    el.addEventListener("pointercancel", up);
    el.addEventListener("wheel", wheel, { passive: false });
    return () => {
      el.removeEventListener("pointerdown", down);
      el.removeEventListener("pointermove", move);
      el.removeEventListener("pointerup", up);
      el.removeEventListener("pointercancel", up);
      el.removeEventListener("wheel", wheel);
    };
  }, [view, onBackgroundClick]);

  const sel = selected.value;
  const { rect, far } = drawn.value;
  const sel2 = connectFrom.value;
  const shown = rect
    ? nodes.value.filter((n) => sel2 === n.id || (n.x + NODE_W >= rect.x0 && n.x <= rect.x1 && n.y + NODE_H >= rect.y0 && n.y <= rect.y1))
    : nodes.value;
  return html`<div class="graph-viewport" ref=${viewport} role="region" aria-label=${label} data-testid="graph-viewport">
    <div class="graph-layer" ref=${layer}>
      <${Edges} />
      ${shown.map((n) => html`<${NodeSlot} key=${n.id} node=${n} isSelected=${sel.has(n.id)} far=${far} renderNode=${renderNode} />`)}
    </div>
    ${nodes.value.length === 0 && html`<p class="graph-empty muted">${t("node.emptyCanvas")}</p>`}
  </div>`;
}

// A card re-renders only when its node object or its selection changes.
const NodeSlot = memo(
  ({ node, isSelected, far, renderNode }) => html`<div
    class=${`gnode-slot${isSelected ? " selected" : ""}${far ? " far" : ""}`}
    style=${`transform: translate(${node.x}px, ${node.y}px)`}
    data-node-id=${node.id}
  >
    ${far ? html`<${FarNode} node=${node} isSelected=${isSelected} />` : renderNode(node, isSelected)}
    ${!far && html`<span class="gnode-handle" data-handle-of=${node.id} title=${t("node.handle")} aria-hidden="true"></span>`}
  </div>`,
  (a, b) => a.node === b.node && a.isSelected === b.isSelected && a.far === b.far && a.renderNode === b.renderNode,
);

// Zoomed far out a card is its label and image: a few elements instead of a form.
function FarNode({ node, isSelected }) {
  const d = node.data;
  return html`<div class=${`gnode far${isSelected ? " selected" : ""} ${d.status || ""}`} role="img" aria-label=${d.label}>
    <span class="gnode-far-label">${d.label}</span>
    ${d.imageUrl && html`<img class="gnode-image" src=${d.imageUrl} alt="" draggable="false" loading="lazy" decoding="async" />`}
  </div>`;
}
