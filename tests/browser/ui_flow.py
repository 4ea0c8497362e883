"""Reusable helpers for browser tests of the ima2 web UI.

Nothing here imports Playwright at module level, so importing this file never fails; the
fixtures in ``conftest.py`` skip when Playwright or Debian's chromium is missing.

- ``chromium_path()``: the chromium binary to drive (``IMA2_CHROMIUM`` overrides ``/usr/bin/chromium``).
- ``launch_browser(playwright)``: launch it headless with the project's fixed flags.
- ``watch_page_errors(page)``: collect uncaught page errors and console errors.
- ``open_studio(page, url, screen)``, ``generate(page, prompt)``, ``wait_done(card)``: drive the studio.
- ``check_axe(page, name)``: axe-core's serious/critical violations; ``screenshot(page, name)``:
  a PNG under ``test-artifacts/browser/`` (``IMA2_BROWSER_ARTIFACTS`` overrides).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

DEFAULT_CHROMIUM = "/usr/bin/chromium"

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def chromium_path() -> str | None:
    """Path of the Debian chromium binary, or None when it is not installed."""
    path = Path(os.environ.get("IMA2_CHROMIUM", DEFAULT_CHROMIUM))
    return str(path) if path.is_file() and os.access(path, os.X_OK) else None


def launch_browser(playwright: Any, executable_path: str | None = None) -> Any:
    """Launch Debian chromium through Playwright (never a Playwright-downloaded browser)."""
    exe = executable_path or chromium_path()
    if exe is None:
        raise FileNotFoundError(f"chromium not found at {DEFAULT_CHROMIUM}")
    return playwright.chromium.launch(executable_path=exe, args=list(CHROMIUM_ARGS), headless=True)


def watch_page_errors(page: Any) -> list[str]:
    """Start collecting uncaught exceptions and console errors of ``page``; returns the live list."""
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(f"pageerror: {exc}"))

    def on_console(msg: Any) -> None:
        if msg.type == "error":
            errors.append(f"console: {msg.text}")

    page.on("console", on_console)
    return errors


ARTIFACTS = Path(
    os.environ.get(
        "IMA2_BROWSER_ARTIFACTS", Path(__file__).resolve().parents[2] / "test-artifacts" / "browser"
    )
)
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


def open_studio(page: Any, base_url: str, screen: str = "create", timeout_ms: int = 15_000) -> None:
    """Load the studio on `screen` and wait until its modules have rendered."""
    page.goto(f"{base_url.rstrip('/')}/#/{screen}", wait_until="domcontentloaded", timeout=timeout_ms)
    page.wait_for_selector("html[data-ready='true']", state="attached", timeout=timeout_ms)


def job_card(page: Any, prompt: str) -> Any:
    """The job card (Create/Edit) or sequence (Multimode) of `prompt`."""
    return page.locator("[data-request-id]", has=page.get_by_role("heading", name=prompt, exact=True)).first


def generate(page: Any, prompt: str, *, provider: str | None = None, shortcut: bool = False) -> Any:
    """Fill the composer and generate (button or Ctrl+Enter); returns the job card."""
    if provider:
        page.get_by_label("Provider", exact=True).select_option(provider)
    box = page.get_by_label("Prompt", exact=True)
    box.fill(prompt)
    if shortcut:
        box.press("Control+Enter")
    else:
        page.get_by_role("button", name="Generate", exact=True).click()
    card = job_card(page, prompt)
    card.wait_for()
    return card


def wait_done(card: Any, timeout_ms: int = 60_000) -> str:
    """Wait until a job card leaves the running state; returns the final state."""
    from playwright.sync_api import expect

    expect(card).not_to_have_attribute("data-state", "running", timeout=timeout_ms)
    return str(card.get_attribute("data-state"))


def check_axe(page: Any, name: str) -> list[dict[str, Any]]:
    """Run axe-core on the page; return serious and critical violations (empty when clean)."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    bad = [v for v in results.response["violations"] if v.get("impact") in ("serious", "critical")]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / f"axe-{name}.json").write_text(json.dumps(results.response["violations"], indent=1))
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:5]} for v in bad
    ]


def screenshot(page: Any, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path))
    return path
