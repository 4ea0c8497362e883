"""Node mode with a 500-node graph in Chromium: frame times while panning and zooming.

Starts the sandbox stack, stores one image, saves a session whose graph holds 500 nodes showing
it (25 columns, a tree of 499 edges), opens `/#/node` on that session in Debian chromium
(Playwright with executable_path; never a downloaded browser) and prints frame-to-frame times
(p50, p95, max, frames over 20 ms) while the graph pans one step per frame:

- by wheel / trackpad events at zoom 1 (a screenful of cards visible);
- by a mouse drag on the empty canvas (real input events through the browser);
- by wheel events zoomed out to fit, with all 500 cards on screen.

    uv run python bench/graph_bench.py [--nodes 500] [--frames 240]
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import httpx
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _stack import bench_stack
from playwright.sync_api import sync_playwright

from tests.browser.ui_flow import chromium_path, launch_browser

RECORD = """async ({frames, dx, dy}) => {
  const vp = document.querySelector('.graph-viewport');
  const times = [];
  let last = performance.now();
  for (let i = 0; i < frames; i += 1) {
    vp.dispatchEvent(new WheelEvent('wheel', {deltaX: dx, deltaY: Math.sin(i / 20) * dy, bubbles: true, cancelable: true}));
    await new Promise((r) => requestAnimationFrame(r));
    const now = performance.now();
    times.push(now - last);
    last = now;
  }
  return times;
}"""

FIND_GAP = """() => {
  const vp = document.querySelector('.graph-viewport');
  const r = vp.getBoundingClientRect();
  for (let y = r.top + r.height / 3; y < r.bottom - 220; y += 7)
    for (let x = r.left + 10; x < r.right - 320; x += 5) {
      const el = document.elementFromPoint(x, y);
      if (el === vp || el.classList.contains('graph-layer')) return {x, y};
    }
  return null;
}"""

START_FRAMES = """() => {
  window.__frames = [];
  let last = performance.now();
  const tick = (now) => { window.__frames.push(now - last); last = now; if (window.__recording) requestAnimationFrame(tick); };
  window.__recording = true;
  requestAnimationFrame(tick);
}"""


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (256, 256), (70, 90, 160)).save(out, "PNG")
    return out.getvalue()


def seed(url: str, count: int) -> str:
    item = httpx.post(
        f"{url}/api/history/import-local",
        content=png(),
        headers={"Content-Type": "image/png", "X-Ima2-Original-Filename": "bench.png"},
        timeout=30,
    ).json()["item"]
    image_url = item.get("url") or f"/generated/{item['filename']}"
    sid = httpx.post(f"{url}/api/sessions", json={"title": "graph bench"}, timeout=10).json()["session"]["id"]
    nodes = [
        {
            "id": f"n{i}",
            "x": (i % 25) * 250,
            "y": (i // 25) * 330,
            "data": {
                "label": f"Node {i + 1}",
                "prompt": f"prompt {i}",
                "imageUrl": image_url,
                "status": "done",
            },
        }
        for i in range(count)
    ]
    edges = [
        {"id": f"e{i}", "source": f"n{(i - 1) // 2}", "target": f"n{i}", "data": {}} for i in range(1, count)
    ]
    saved = httpx.put(
        f"{url}/api/sessions/{sid}/graph",
        json={"nodes": nodes, "edges": edges},
        headers={"If-Match": '"0"'},
        timeout=30,
    )
    saved.raise_for_status()
    return str(sid)


def stats(times: list[float]) -> str:
    ordered = sorted(times)
    p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
    slow = sum(1 for t in times if t > 20)
    return (
        f"p50 {statistics.median(times):5.1f} ms  p95 {p95:5.1f} ms  max {max(times):6.1f} ms"
        f"  >20 ms: {slow}/{len(times)}"
    )


def measure(url: str, sid: str, count: int, frames: int) -> dict[str, Any]:
    exe = chromium_path()
    if exe is None:
        raise SystemExit("Debian chromium is not installed at /usr/bin/chromium")
    with sync_playwright() as playwright:
        browser = launch_browser(playwright, exe)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.add_init_script(f"localStorage.setItem('ima2.node.session', {sid!r})")
        t0 = time.perf_counter()
        page.goto(f"{url}/#/node", wait_until="commit")
        page.wait_for_function(
            f"() => [...document.querySelectorAll('.session-list .current')].some(li => li.textContent.includes('{count} nodes'))"
            " && document.querySelector('[data-node-id=\"n0\"]')",
            timeout=60_000,
        )
        page.wait_for_function(
            "() => [...document.querySelectorAll('img.gnode-image')].slice(0, 2).every(i => i.complete && i.naturalWidth > 0)",
            timeout=60_000,
        )
        loaded_s = time.perf_counter() - t0
        elements = page.evaluate("document.getElementsByTagName('*').length")
        drawn_near = page.evaluate("document.querySelectorAll('[data-node-id]').length")
        wheel = page.evaluate(RECORD, {"frames": frames, "dx": 6, "dy": 8})[1:]

        # A real mouse drag starting on empty canvas (a gap between cards).
        point = page.evaluate(FIND_GAP)
        assert point, "no empty canvas point found"
        x, y = point["x"], point["y"]
        page.evaluate(START_FRAMES)
        page.mouse.move(x, y)
        page.mouse.down()
        page.mouse.move(x + 300, y + 200, steps=frames)
        page.mouse.up()
        drag = page.evaluate("() => { window.__recording = false; return window.__frames; }")[1:]

        page.get_by_role("button", name="Fit").click()
        page.wait_for_function(
            "() => document.querySelector('.graph-layer').style.transform.includes('scale(0.1')"
        )
        drawn_far = page.evaluate("document.querySelectorAll('[data-node-id]').length")
        fitted = page.evaluate(RECORD, {"frames": frames, "dx": 4, "dy": 4})[1:]
        browser.close()
    return {
        "loaded_s": loaded_s,
        "elements": elements,
        "near": drawn_near,
        "far": drawn_far,
        "wheel": wheel,
        "drag": drag,
        "fitted": fitted,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=500)
    parser.add_argument("--frames", type=int, default=240)
    args = parser.parse_args()
    stack = bench_stack()
    try:
        sid = seed(stack.url, args.nodes)
        result = measure(stack.url, sid, args.nodes, args.frames)
    finally:
        stack.stop()
    print(
        f"node graph of {args.nodes} nodes / {args.nodes - 1} edges, 1280x900, headless chromium (software compositing)"
    )
    print(
        f"  load to first cards and images     {result['loaded_s']:.2f} s, {result['elements']} DOM elements"
    )
    print(
        f"  cards drawn                        {result['near']} at zoom 1 (view + one screen around), {result['far']} fitted (image + label)"
    )
    print(f"  pan by wheel, zoom 1               {stats(result['wheel'])}")
    print(f"  pan by mouse drag, zoom 1          {stats(result['drag'])}")
    print(f"  pan by wheel, fitted (all visible) {stats(result['fitted'])}")


if __name__ == "__main__":
    main()
