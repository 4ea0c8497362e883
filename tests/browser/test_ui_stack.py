"""The studio page against the real sandbox stack: generate, see the result and the history entry."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.browser.ui_flow import run_generate_flow
from tests.stackctl import RunningStack

pytestmark = pytest.mark.browser


def test_generate_flow_against_the_real_stack(browser_page: Any, stack: RunningStack) -> None:
    src = run_generate_flow(browser_page, stack.url, "a lighthouse at dusk, drawn by the browser test")
    assert src.startswith(("data:image/", "/generated/", stack.url))
    newest = httpx.get(f"{stack.url}/api/history", params={"limit": 1}).json()["items"][0]
    assert newest["prompt"] == "a lighthouse at dusk, drawn by the browser test"
    browser_page.wait_for_selector(f'img[src*="{newest["filename"].split(".")[0]}"]', timeout=15_000)
