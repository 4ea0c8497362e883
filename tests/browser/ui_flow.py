"""Reusable helpers for browser tests of the ima2 web UI.

Nothing here imports Playwright at module level, so importing this file never fails; the
fixtures in ``conftest.py`` skip when Playwright or Debian's chromium is missing.

- ``chromium_path()``: the chromium binary to drive (``IMA2_CHROMIUM`` overrides ``/usr/bin/chromium``).
- ``launch_browser(playwright)``: launch it headless with the project's fixed flags.
- ``watch_page_errors(page)``: collect uncaught page errors and console errors.
- ``run_generate_flow(page, base_url, prompt)``: open the studio, generate one image and
  return the ``src`` of the displayed result. Works against any server speaking the API
  (the stub in ``test_ui.py`` or the real stack).
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

TERMINAL_STATES = ("done", "error", "canceled", "unknown")


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


def open_studio(page: Any, base_url: str, timeout_ms: int = 15_000) -> None:
    """Load the studio page and wait until its modules have started."""
    page.goto(base_url.rstrip("/") + "/", wait_until="domcontentloaded", timeout=timeout_ms)
    page.wait_for_selector("html[data-ready='true']", state="attached", timeout=timeout_ms)


def card_selector(client_request_id: str) -> str:
    return f"#jobs .job-card[data-client-request-id={json.dumps(client_request_id)}]"


def submit_prompt(page: Any, prompt: str, *, provider: str | None = None, timeout_ms: int = 10_000) -> str:
    """Type ``prompt``, click Generate, and return the client request id of the new job card."""
    if provider:
        page.select_option("#provider", provider)
    page.get_by_label("Prompt", exact=True).fill(prompt)
    before = page.eval_on_selector_all("#jobs .job-card", "els => els.map(e => e.dataset.clientRequestId)")
    page.get_by_role("button", name="Generate", exact=True).click()
    handle = page.wait_for_function(
        """(before) => {
            const card = document.querySelector('#jobs .job-card');
            return card && !before.includes(card.dataset.clientRequestId)
                ? card.dataset.clientRequestId : null;
        }""",
        arg=before,
        timeout=timeout_ms,
    )
    return str(handle.json_value())


def wait_for_job(page: Any, client_request_id: str, timeout_ms: int = 60_000) -> str:
    """Wait until the job card reaches a terminal state; return that state."""
    sel = card_selector(client_request_id)
    page.wait_for_selector(
        ", ".join(f"{sel}[data-state='{state}']" for state in TERMINAL_STATES), timeout=timeout_ms
    )
    return str(page.get_attribute(sel, "data-state"))


def run_generate_flow(
    page: Any,
    base_url: str,
    prompt: str,
    *,
    provider: str | None = None,
    timeout_ms: int = 60_000,
) -> str:
    """Open the studio at ``base_url``, generate ``prompt``, return the result image's ``src``.

    Raises AssertionError with the card's text when the job ends in any state but ``done``.
    """
    open_studio(page, base_url)
    client_id = submit_prompt(page, prompt, provider=provider)
    sel = card_selector(client_id)
    state = wait_for_job(page, client_id, timeout_ms=timeout_ms)
    if state != "done":
        raise AssertionError(f"generation ended in state {state!r}: {page.inner_text(sel)!r}")
    image = page.locator(f"{sel} .job-result-image").first
    image.wait_for(state="visible", timeout=timeout_ms)
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=image.element_handle(), timeout=timeout_ms
    )
    src = image.get_attribute("src")
    assert isinstance(src, str) and src, "the result image has no src"
    return src
