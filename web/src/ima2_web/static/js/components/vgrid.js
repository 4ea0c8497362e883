// A virtualised, grouped tile grid: only the rows in view (plus a margin) are in the DOM, so the
// node count stays bounded at any history size. Rows have fixed heights, so the layout of
// 100,000 items is a flat array of row offsets searched by bisection on each scroll frame.
import { html, useState, useEffect, useRef, useMemo, useLayoutEffect } from "../lib.js";

const GAP = 8;
const HEADER = 40;
const OVERSCAN = 600; // px above and below the viewport

function layout(groupList, totalCount, loadedCount, cols, rowH) {
  const rows = [];
  let top = 0;
  const addTiles = (group, count) => {
    for (let from = 0; from < count; from += cols) {
      rows.push({ kind: "tiles", group, from, count: Math.min(cols, count - from), top });
      top += rowH;
    }
  };
  for (const group of groupList) {
    if (group.label) {
      rows.push({ kind: "header", label: group.label, top, key: group.key });
      top += HEADER;
    }
    addTiles(group, group.indexes ? group.indexes.length : totalCount);
  }
  const grouped = groupList.some((g) => g.indexes);
  const remaining = totalCount - loadedCount;
  if (grouped && remaining > 0) addTiles({ key: "more", indexes: null, offset: loadedCount }, remaining);
  return { rows, height: top };
}

function firstRowAt(rows, y) {
  let lo = 0;
  let hi = rows.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (rows[mid].top <= y) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/**
 * groups: [{key, label, indexes|null}]; renderTile(index, size) for a loaded index; onNeed(index)
 * when an index not yet loaded comes into view.
 */
export function VirtualGrid({ groups, totalCount, loadedCount, renderTile, renderPlaceholder, onNeed, minTile = 150, label, version }) {
  const scroller = useRef(null);
  const [width, setWidth] = useState(0);
  const [viewport, setViewport] = useState({ top: 0, height: 800 });

  useLayoutEffect(() => {
    const el = scroller.current;
    const observer = new ResizeObserver(() => {
      setWidth(el.clientWidth);
      setViewport({ top: el.scrollTop, height: el.clientHeight });
    });
    observer.observe(el);
    setWidth(el.clientWidth);
    setViewport({ top: el.scrollTop, height: el.clientHeight });
    return () => observer.disconnect();
  }, []);

  useEffect(() => {
    const el = scroller.current;
    let frame = 0;
    const onScroll = () => {
      if (frame) return;
      frame = requestAnimationFrame(() => {
        frame = 0;
        setViewport({ top: el.scrollTop, height: el.clientHeight });
      });
    };
    el.addEventListener("scroll", onScroll, { passive: true });
    return () => el.removeEventListener("scroll", onScroll);
  }, []);

  const inner = Math.max(0, width - GAP);
  const cols = Math.max(2, Math.floor((inner + GAP) / (minTile + GAP)));
  const tile = Math.floor((inner - GAP * (cols - 1)) / cols);
  const rowH = tile + GAP;
  const { rows, height } = useMemo(
    () => layout(groups, totalCount, loadedCount, cols, rowH),
    [groups, totalCount, loadedCount, cols, rowH, version],
  );

  const visible = [];
  let need = -1;
  if (rows.length && tile > 0) {
    const start = firstRowAt(rows, Math.max(0, viewport.top - OVERSCAN));
    const end = viewport.top + viewport.height + OVERSCAN;
    for (let r = start; r < rows.length && rows[r].top < end; r += 1) visible.push(rows[r]);
  }
  const rendered = visible.map((row) => {
    if (row.kind === "header") {
      return html`<h2 class="vgrid-header" key=${`h-${row.key}`} style=${`top:${row.top}px;height:${HEADER}px`}>${row.label}</h2>`;
    }
    const cells = [];
    for (let c = 0; c < row.count; c += 1) {
      const pos = row.from + c;
      const index = row.group.indexes ? row.group.indexes[pos] : (row.group.offset || 0) + pos;
      const left = c * (tile + GAP);
      const style = `top:${row.top}px;left:${left}px;width:${tile}px;height:${tile}px`;
      if (index < loadedCount) cells.push(html`<div class="vgrid-cell" key=${`i-${index}`} style=${style}>${renderTile(index, tile)}</div>`);
      else {
        need = Math.max(need, index);
        cells.push(html`<div class="vgrid-cell placeholder" key=${`p-${index}`} style=${style} aria-hidden="true">${renderPlaceholder?.()}</div>`);
      }
    }
    return cells;
  });

  useEffect(() => {
    if (need >= 0) onNeed(need);
  }, [need]);

  return html`<div class="vgrid" ref=${scroller} tabindex="0" aria-label=${label}>
    <div class="vgrid-space" style=${`height:${height}px`}>${rendered}</div>
  </div>`;
}
