// A virtualised, grouped tile grid: only the rows in view (plus a margin) are in the DOM, so the
// node count stays bounded at any history size. Rows have fixed heights, so the layout of
// 100,000 items is a flat array of row offsets searched by bisection on each scroll frame.
import { html, useState, useEffect, useRef, useMemo, useLayoutEffect } from "../lib.js";

const GAP = 8;
const HEADER = 40;
const OVERSCAN = 600; // px above and below the viewport

function layout(groupList, totalCount, loadedCount, cols, rowH) {
  const rows = [];
  const tileRows = []; // the tile rows alone, for keyboard moves by display position
  let top = 0;
  let pos = 0; // display position of the next cell
  const addTiles = (group, count) => {
    for (let from = 0; from < count; from += cols) {
      const row = { kind: "tiles", group, from, count: Math.min(cols, count - from), top, start: pos };
      rows.push(row);
      tileRows.push(row);
      pos += row.count;
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
  return { rows, tileRows, height: top, positions: pos };
}

function rowOfPosition(tileRows, pos) {
  let lo = 0;
  let hi = tileRows.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (tileRows[mid].start <= pos) lo = mid;
    else hi = mid - 1;
  }
  return tileRows[lo];
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
  const { rows, tileRows, height, positions } = useMemo(
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
      if (index < loadedCount) {
        cells.push(html`<div class="vgrid-cell" key=${`i-${index}`} style=${style} data-pos=${row.start + c}>${renderTile(index, tile)}</div>`);
      }
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

  // Arrow keys, Page Up/Down, Home and End move between tiles; the grid scrolls to follow.
  const focusPos = useRef(null);
  useEffect(() => {
    if (focusPos.current === null) return;
    const cell = scroller.current.querySelector(`[data-pos="${focusPos.current}"] button`);
    if (cell) {
      cell.focus({ preventScroll: true });
      focusPos.current = null;
    }
  });
  const onKeyDown = (e) => {
    const cell = e.target.closest?.("[data-pos]");
    if (!cell || !tileRows.length) return;
    const pos = Number(cell.dataset.pos);
    const perPage = Math.max(1, Math.floor(viewport.height / rowH)) * cols;
    const moves = { ArrowRight: 1, ArrowLeft: -1, ArrowDown: cols, ArrowUp: -cols, PageDown: perPage, PageUp: -perPage };
    let next;
    if (e.key in moves) next = pos + moves[e.key];
    else if (e.key === "Home") next = 0;
    else if (e.key === "End") next = positions - 1;
    else return;
    e.preventDefault();
    next = Math.max(0, Math.min(positions - 1, next));
    const row = rowOfPosition(tileRows, next);
    const el = scroller.current;
    if (row.top < el.scrollTop) el.scrollTop = row.top;
    else if (row.top + rowH > el.scrollTop + el.clientHeight) el.scrollTop = row.top + rowH - el.clientHeight;
    focusPos.current = next;
    setViewport({ top: el.scrollTop, height: el.clientHeight });
  };

  return html`<div class="vgrid" ref=${scroller} tabindex="0" aria-label=${label} onKeyDown=${onKeyDown}>
    <div class="vgrid-space" style=${`height:${height}px`}>${rendered}</div>
  </div>`;
}
