"""The video panel in Chromium against the real sandbox stack (which renders real MP4s): a
text-to-video clip generated with live progress, played and seeked, continued with its lineage
shown, a frame taken into Create, and both clips in the gallery with thumbnails."""

from __future__ import annotations

import re
import uuid
from typing import Any

import httpx
import pytest

from tests.browser.ui_flow import DESKTOP, PHONE, check_axe, open_studio, screenshot
from tests.stackctl import RunningStack

pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def word() -> str:
    return f"w{uuid.uuid4().hex[:8]}"


def video_card(page: Any, prompt: str) -> Any:
    return page.locator("article.video-job", has=page.get_by_role("heading", name=prompt, exact=True)).first


def test_generate_play_and_continue_a_video(studio: Any, stack: RunningStack) -> None:
    first = f"a paper boat drifting down a gutter {word()}"
    open_studio(studio, stack.url, "video")
    studio.get_by_label("Provider", exact=True).select_option("grok")
    expect(studio.get_by_role("status").filter(has_text="Text to video")).to_be_visible()

    # The duration is held to what reference-to-video allows, with the reason, not clamped.
    studio.get_by_label(re.compile(r"^Duration")).fill("12")
    studio.get_by_label(re.compile(r"^Images")).set_input_files(
        [{"name": f"r{i}.png", "mimeType": "image/png", "buffer": _png(i)} for i in range(2)]
    )
    expect(studio.get_by_role("status").filter(has_text="Reference to video")).to_be_visible()
    expect(studio.get_by_role("alert").filter(has_text="at most 10 seconds")).to_be_visible()
    expect(studio.get_by_role("button", name="Generate video")).to_be_disabled()
    studio.get_by_label("Remove image 2").click()
    studio.get_by_label("Remove image 1").click()
    studio.get_by_label(re.compile(r"^Duration")).fill("4")
    expect(studio.get_by_role("button", name="Generate video")).to_be_enabled()

    studio.get_by_label("Prompt", exact=True).fill(first)
    studio.get_by_role("button", name="Generate video").click()
    card = video_card(studio, first)
    expect(card.get_by_role("progressbar")).to_be_visible()
    expect(card).to_have_attribute("data-state", "done", timeout=120_000)

    # The player plays from the server with seeking (Range).
    player = card.locator("video")
    expect(player).to_be_visible()
    studio.wait_for_function(
        "v => v.readyState >= 1 && v.duration > 0", arg=player.element_handle(), timeout=30_000
    )
    duration = player.evaluate("v => v.duration")
    player.evaluate(
        "(v) => new Promise((ok) => { v.addEventListener('seeked', () => ok(), {once: true}); v.currentTime = v.duration / 2; })"
    )
    assert abs(player.evaluate("v => v.currentTime") - duration / 2) < 1
    src = player.get_attribute("src")
    ranged = httpx.get(f"{stack.url}{src}", headers={"Range": "bytes=0-99"})
    assert ranged.status_code == 206 and len(ranged.content) == 100
    first_file = src.rsplit("/", 1)[1]

    check = check_axe(studio, "video")
    assert check == [], check
    screenshot(studio, "video-desktop")

    # Continue from it: the lineage is shown, the new clip's sidecar points at its parent.
    card.get_by_role("button", name="Continue from this video").click()
    expect(studio.get_by_text(f"Continuing from “{first}”")).to_be_visible()
    expect(studio.get_by_role("status").filter(has_text="Image to video")).to_be_visible()
    second = f"the boat reaches the sea {word()}"
    studio.get_by_label("Prompt", exact=True).fill(second)
    studio.get_by_role("button", name="Generate continuation").click()
    card2 = video_card(studio, second)
    expect(card2).to_have_attribute("data-state", "done", timeout=120_000)
    lineage = card2.get_by_role("list", name="Lineage")
    expect(lineage).to_contain_text(first)
    expect(lineage).to_contain_text(second)
    rows = httpx.get(f"{stack.url}/api/history", params={"q": second.split()[-1]}).json()["items"]
    assert len(rows) == 1 and rows[0]["videoContinuity"]["parentFilename"] == first_file

    # A frame of the clip becomes a reference in Create.
    card2.get_by_role("button", name="Take this frame").click()
    expect(studio.get_by_text("The frame is a reference in Create.")).to_be_visible()
    studio.get_by_role("link", name="Create", exact=True).click()
    expect(studio.get_by_role("img", name=re.compile(r"^Reference 1: .*-frame\.png"))).to_be_visible()

    # Both clips are in the gallery with thumbnails that load.
    studio.get_by_role("link", name="Gallery", exact=True).click()
    studio.get_by_label(re.compile("Search", re.I)).first.fill(second.split()[-1])
    tile = studio.locator(".tile").first
    expect(tile).to_be_visible()
    studio.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=tile.locator("img").element_handle()
    )

    studio.get_by_role("link", name="Video", exact=True).click()
    studio.set_viewport_size(PHONE)
    screenshot(studio, "video-phone")
    check = check_axe(studio, "video-phone")
    assert check == [], check
    studio.set_viewport_size(DESKTOP)


def _png(i: int) -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (64, 48), (40 * i, 90, 160)).save(out, "PNG")
    return out.getvalue()
