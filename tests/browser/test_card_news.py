"""The card news screen in Chromium on a stack of its own whose card news is on: a brief drafted
into a plan by the sandbox's text model, a card edited, the cards made and shown live, one card
made again with a new headline, the set downloaded as a zip; checked on screen and on the server.
Screenshots at 1280x800 and 390x844 go to /tmp/cardnews-*.png; axe-core finds no serious or
critical violation. On a server without the feature the screen is not offered."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.browser.ui_flow import check_axe, open_studio, watch_page_errors
from tests.stackctl import RunningStack, start_stack

pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def cn_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    home = tmp_path_factory.mktemp("ima2-web-cardnews")
    (home / "config.json").write_text(json.dumps({"features": {"cardNews": True}}))
    running = start_stack(home)
    yield running
    running.stop()


@pytest.fixture
def page_at(chromium_browser: Any) -> Iterator[Any]:
    context = chromium_browser.new_context(viewport={"width": 1280, "height": 800}, accept_downloads=True)
    context.set_default_timeout(20_000)
    page = context.new_page()
    errors = watch_page_errors(page)
    yield page
    context.close()
    assert not errors, errors


def test_a_set_from_brief_to_zip(page_at: Any, cn_stack: RunningStack) -> None:
    page = page_at
    open_studio(page, cn_stack.url, "cardnews")
    nav = page.get_by_role("navigation", name="Screens")
    expect(nav.get_by_role("link", name="Card news")).to_have_attribute("aria-current", "page")

    page.get_by_label("Topic").fill("Solar panels at home")
    page.get_by_label("Audience (optional)").fill("home owners")
    page.get_by_role("button", name="Draft the cards").click()
    plan = page.get_by_role("region", name="Plan")
    cards = plan.get_by_role("group")
    expect(cards.first).to_be_visible(timeout=30_000)
    count = cards.count()
    assert count >= 3
    cards.first.get_by_label("Headline").fill("Sun on your roof")

    plan.get_by_role("button", name=f"Make {count} cards").click()
    made = page.get_by_role("list", name="Cards").get_by_role("listitem")
    expect(made).to_have_count(count)
    for index in range(count):  # live from the card events
        expect(made.nth(index)).to_have_attribute("data-status", "generated", timeout=60_000)
    expect(made.first.get_by_role("img")).to_be_visible()
    set_id = page.evaluate("fetch('/api/cardnews/sets').then(r => r.json()).then(b => b.sets[0].setId)")
    server = httpx.get(f"{cn_stack.url}/api/cardnews/sets/{set_id}", timeout=10).json()["plan"]
    assert [c["status"] for c in server["cards"]] == ["generated"] * count
    assert server["cards"][0]["headline"] == "Sun on your roof"
    sets = page.get_by_role("region", name="Card news sets")
    expect(sets.get_by_role("button", name=server["title"])).to_be_visible()

    # one card made again, with a new headline
    made.nth(1).get_by_role("button", name="Make card 2 again").click()
    made.nth(1).get_by_label("Headline").fill("Lower bills")
    made.nth(1).get_by_role("button", name="Make it again").click()
    expect(made.nth(1)).to_contain_text("Lower bills", timeout=60_000)
    expect(made.nth(1)).to_have_attribute("data-status", "generated", timeout=60_000)
    again = httpx.get(f"{cn_stack.url}/api/cardnews/sets/{set_id}", timeout=10).json()["plan"]["cards"][1]
    assert again["headline"] == "Lower bills" and again["status"] == "generated"

    with page.expect_download() as download:
        page.get_by_role("button", name="Download zip").click()
    assert download.value.suggested_filename == f"{set_id}.zip"
    names = zipfile.ZipFile(io.BytesIO(download.value.path().read_bytes())).namelist()
    assert "manifest.json" in names and len([n for n in names if n.startswith("card-")]) == count

    page.screenshot(path="/tmp/cardnews-desktop.png", full_page=True)
    problems = check_axe(page, "cardnews-desktop")
    assert not problems, json.dumps(problems, indent=1)
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path="/tmp/cardnews-phone.png", full_page=True)
    problems = check_axe(page, "cardnews-phone")
    assert not problems, json.dumps(problems, indent=1)


def test_not_offered_when_the_feature_is_off(page_at: Any, stack: RunningStack) -> None:
    page = page_at
    open_studio(page, stack.url, "cardnews")
    expect(page.get_by_text("Card news is off on this server.")).to_be_visible()
    nav = page.get_by_role("navigation", name="Screens")
    expect(nav.get_by_role("link", name="Agent")).to_be_visible()
    expect(nav.get_by_role("link", name="Card news")).to_have_count(0)
