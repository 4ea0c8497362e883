"""LAN mode in the browser: a sign-in page instead of a blank 401, then the studio on a cookie."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from ui_flow import check_axe, screenshot

from tests.integration.test_access import LanStack, start_lan_stack

pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def lan(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LanStack]:
    stack = start_lan_stack(tmp_path_factory.mktemp("ima2-lan-ui"), f"lan-ui-token-{uuid.uuid4().hex}")
    yield stack
    stack.stop()


def test_sign_in_page_then_the_studio(browser_page: Any, lan: LanStack) -> None:
    page = browser_page
    response = page.goto(f"{lan.url}/#/settings")
    assert response.status == 401
    expect(page.get_by_role("heading", name="Sign in to ima2 studio")).to_be_visible()
    assert not check_axe(page, "signin")
    screenshot(page, "signin-desktop")
    page.get_by_label("Access token").fill("not-the-right-token-at-all")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("not accepted")
    page.get_by_label("Access token").fill(lan.token)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_selector("html[data-ready='true']", state="attached")
    assert "token=" not in page.url
    expect(page.get_by_role("navigation", name="Screens")).to_be_visible()
    # The studio's API calls ride the session cookie.
    page.get_by_role("link", name="Settings").click()
    expect(page.get_by_role("heading", name="OpenAI", exact=True)).to_be_visible()
    assert lan.token not in page.content()
    # API clients still get the JSON envelope.
    assert httpx.get(f"{lan.url}/").json()["error"]["code"] == "ACCESS_TOKEN_REQUIRED"
