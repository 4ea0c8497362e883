"""The gallery over a large history in Chromium: time to first tiles, scroll frame times, DOM size.

Builds an IMA2_HOME with N stored images (files, sidecars, thumbnails and index rows, the same
way as history_bench.py), starts the sandbox stack on it, opens `/#/gallery` in Debian chromium
(Playwright with executable_path; never a downloaded browser) and prints:

- first tiles: ms from navigation start until the first thumbnail has decoded;
- scroll: frame-to-frame times while the grid scrolls 600 px per frame (p50, p95, max), and
  the longest wait for a not-yet-loaded page to fill in;
- DOM: element count after load, during the scroll and after a jump to the middle, to show it
  stays bounded however many items the history holds.

    uv run python bench/gallery_bench.py [--items 100000] [--frames 300] [--group date|session|none]
        [--home DIR]   # seed DIR once and reuse it
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "browser"))

from history_bench import populate_files
from playwright.sync_api import sync_playwright
from ui_flow import chromium_path, launch_browser

from ima2_common.settings import Settings
from ima2_library.db.factory import create_database
from ima2_library.history.history_store import HistorySqlStore
from tests.stackctl import start_stack

SCROLL_SCRIPT = """async ({frames, step}) => {
  const grid = document.querySelector('.vgrid');
  const times = [];
  const nodes = [];
  let last = performance.now();
  for (let i = 0; i < frames; i += 1) {
    grid.scrollTop += step;
    await new Promise((r) => requestAnimationFrame(r));
    const now = performance.now();
    times.push(now - last);
    last = now;
    if (i % 30 === 0) nodes.push(document.getElementsByTagName('*').length);
  }
  return { times, nodes, scrollTop: grid.scrollTop, scrollHeight: grid.scrollHeight };
}"""


def seed(home: Path, n: int) -> None:
    async def run() -> None:
        settings = Settings(home=home)
        records = await asyncio.to_thread(populate_files, settings.generated_path, n)
        database = create_database(settings)
        await database.start()
        await HistorySqlStore(database).upsert_many(records, batch_size=5000)
        await database.close()

    asyncio.run(run())


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def measure(url: str, frames: int, group: str) -> dict:
    exe = chromium_path()
    if exe is None:
        raise SystemExit("Debian chromium is not installed at /usr/bin/chromium")
    with sync_playwright() as playwright:
        browser = launch_browser(playwright, exe)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.add_init_script(f"localStorage.setItem('ima2.gallery.groupBy', {group!r})")
        page.goto(f"{url}/#/gallery", wait_until="commit")
        page.wait_for_function(
            "() => [...document.querySelectorAll('.vgrid .tile img')].some(i => i.complete && i.naturalWidth > 0)",
            polling="raf",
            timeout=60_000,
        )
        first_tiles = page.evaluate("performance.now()")
        total_text = page.locator(".gallery-head .muted").inner_text()
        nodes_loaded = page.evaluate("document.getElementsByTagName('*').length")
        scroll = page.evaluate(SCROLL_SCRIPT, {"frames": frames, "step": 600})
        # Jump to the middle of the whole history: pages stream in by cursor until it is filled.
        t0 = time.perf_counter()
        page.evaluate(
            "() => { const g = document.querySelector('.vgrid'); g.scrollTop = g.scrollHeight / 2; }"
        )
        page.wait_for_function(
            "() => document.querySelectorAll('.vgrid .placeholder').length === 0",
            polling=100,
            timeout=120_000,
        )
        middle_s = time.perf_counter() - t0
        nodes_middle = page.evaluate("document.getElementsByTagName('*').length")
        browser.close()
    times = scroll["times"][1:]
    return {
        "total": total_text,
        "first_tiles_ms": first_tiles,
        "frame_p50": statistics.median(times),
        "frame_p95": pct(times, 0.95),
        "frame_max": max(times),
        "nodes_loaded": nodes_loaded,
        "nodes_scrolling_max": max(scroll["nodes"]),
        "nodes_middle": nodes_middle,
        "middle_fill_s": middle_s,
        "scrolled_px": scroll["scrollTop"],
        "scroll_height_px": scroll["scrollHeight"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--frames", type=int, default=300)
    parser.add_argument("--group", choices=["date", "session", "none"], default="date")
    parser.add_argument(
        "--home", type=Path, help="keep the seeded IMA2_HOME here and reuse it on the next run"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ima2-gallery-bench-") as tmp:
        home = args.home or Path(tmp) / "home"
        if not (home / "generated").is_dir():
            t0 = time.perf_counter()
            seed(home, args.items)
            print(f"seeded {args.items:,} items in {time.perf_counter() - t0:.1f} s")
        stack = start_stack(home)
        try:
            result = measure(stack.url, args.frames, args.group)
        finally:
            stack.stop()
    print(f"gallery over {args.items:,} items (group by {args.group}; the page says {result['total']!r})")
    print(
        f"  time to first tiles    {result['first_tiles_ms']:8.0f} ms  (navigation start → first thumbnail decoded)"
    )
    print(
        f"  scroll frame time      p50 {result['frame_p50']:.1f} ms  p95 {result['frame_p95']:.1f} ms"
        f"  max {result['frame_max']:.1f} ms  ({args.frames} frames, 600 px each)"
    )
    print(
        f"  DOM elements           {result['nodes_loaded']} after load, ≤{result['nodes_scrolling_max']} while"
        f" scrolling, {result['nodes_middle']} after a jump to the middle"
    )
    print(f"  jump to the middle     filled in {result['middle_fill_s']:.1f} s (cursor pages of 500)")
    print(f"  scroll extent          {result['scroll_height_px']:,} px")


if __name__ == "__main__":
    main()
