"""Fixtures for browser tests: a headless Debian chromium per module and a fresh page per test.

Skips cleanly when the ``playwright`` package is not importable or ``/usr/bin/chromium`` is
missing. Never runs ``playwright install``: the browser is always the Debian package.

Browser tests run against the real sandbox stack (the session `stack` fixture of
tests/conftest.py); `studio` is a fresh page on it that fails the test on any page error.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from ui_flow import chromium_path, launch_browser, watch_page_errors


# Module scope: Playwright's sync API keeps an event loop running in this thread while it is
# open, which would break the asyncio tests that run after the browser tests.
@pytest.fixture(scope="module")
def chromium_browser() -> Iterator[Any]:
    sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
    exe = chromium_path()
    if exe is None:
        pytest.skip("Debian chromium is not installed at /usr/bin/chromium (apt-get install chromium)")
    with sync_api.sync_playwright() as playwright:
        browser = launch_browser(playwright, exe)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def browser_page(chromium_browser: Any) -> Iterator[Any]:
    """A Playwright page in its own browser context (fresh storage, 1280x900)."""
    context = chromium_browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        yield page
    finally:
        context.close()


@pytest.fixture
def studio(browser_page: Any) -> Iterator[Any]:
    """`browser_page`, failing the test on an uncaught page error or a console error."""
    errors = watch_page_errors(browser_page)
    yield browser_page
    real = [e for e in errors if "Failed to load resource" not in e]
    assert not real, real
