"""Canvas in Chromium against the real sandbox stack: annotations drawn with the tools, saved for
this browser and seen again after a reload; a canvas version saved and updated in place."""

from __future__ import annotations

import hashlib
import re
import uuid
from typing import Any

import httpx
import pytest

from tests.browser.ui_flow import DESKTOP, PHONE, check_axe, generate, open_studio, screenshot, wait_done
from tests.stackctl import RunningStack

pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def drag(page: Any, box: dict[str, float], a: tuple[float, float], b: tuple[float, float]) -> None:
    page.mouse.move(box["x"] + a[0] * box["width"], box["y"] + a[1] * box["height"])
    page.mouse.down()
    page.mouse.move(box["x"] + b[0] * box["width"], box["y"] + b[1] * box["height"], steps=6)
    page.mouse.up()


def test_annotate_reload_and_save_then_update_a_canvas_version(studio: Any, stack: RunningStack) -> None:
    prompt = f"a red kite over dunes {uuid.uuid4().hex[:8]}"
    open_studio(studio, stack.url)
    assert wait_done(generate(studio, prompt)) == "done"
    row = httpx.get(f"{stack.url}/api/history", params={"q": prompt.split()[-1]}).json()["items"][0]
    filename = row["filename"]

    studio.get_by_role("link", name="Canvas", exact=True).click()
    studio.get_by_role("button", name=f"Annotate {prompt}").click()
    overlay = studio.get_by_role("img", name=re.compile(r"^Annotations \("))
    expect(overlay).to_have_accessible_name("Annotations (0)")
    box = overlay.bounding_box()
    assert box

    drag(studio, box, (0.1, 0.1), (0.3, 0.25))  # pen
    studio.get_by_role("button", name="Box", exact=True).click()
    drag(studio, box, (0.4, 0.4), (0.7, 0.6))
    studio.get_by_role("button", name="Arrow", exact=True).click()
    drag(studio, box, (0.8, 0.1), (0.6, 0.35))
    studio.get_by_role("button", name="Text memo", exact=True).click()
    studio.get_by_label("Memo text").fill("make the kite blue")
    studio.mouse.click(box["x"] + 0.1 * box["width"], box["y"] + 0.8 * box["height"])
    expect(overlay).to_have_accessible_name("Annotations (4)")

    # Undo, redo, and the eraser removes the mark clicked.
    studio.get_by_role("button", name="Undo").click()
    expect(overlay).to_have_accessible_name("Annotations (3)")
    studio.get_by_role("button", name="Redo").click()
    expect(overlay).to_have_accessible_name("Annotations (4)")
    studio.get_by_role("button", name="Eraser").click()
    studio.locator(".canvas-overlay [data-kind='box']").click(position={"x": 2, "y": 40})
    expect(overlay).to_have_accessible_name("Annotations (3)")
    expect(studio.get_by_role("status").filter(has_text="Annotations saved")).to_be_visible()

    browser_id = studio.evaluate("localStorage.getItem('ima2.browserId')")
    stored = httpx.get(
        f"{stack.url}/api/annotations/{filename}", headers={"X-Ima2-Browser-Id": browser_id}
    ).json()
    marks = stored["annotations"]
    assert [p["kind"] for p in marks["paths"]] == ["pen", "arrow"] and marks["boxes"] == []
    assert [m["text"] for m in marks["memos"]] == ["make the kite blue"]
    other = httpx.get(
        f"{stack.url}/api/annotations/{filename}", headers={"X-Ima2-Browser-Id": "web-someone-else"}
    ).json()
    assert other["annotations"] is None

    studio.reload()
    studio.wait_for_selector("html[data-ready='true']", state="attached")
    expect(overlay).to_have_accessible_name("Annotations (3)")
    expect(studio.locator(".canvas-overlay text")).to_have_text("make the kite blue")

    check = check_axe(studio, "canvas")
    assert check == [], check
    screenshot(studio, "canvas-desktop")

    # Save as a canvas version: a new file from this source, with the marks drawn in.
    studio.get_by_role("button", name="Save as canvas version").click()
    current = studio.get_by_role("status").filter(has_text="Current version:")
    expect(current).to_be_visible()
    version = current.inner_text().split(": ", 1)[1].strip()
    assert version.startswith("canvas-") and version.endswith(".png")
    path = stack.home / "generated" / version
    assert path.is_file()
    first = hashlib.sha256(path.read_bytes()).hexdigest()
    assert first != hashlib.sha256((stack.home / "generated" / filename).read_bytes()).hexdigest()
    expect(studio.get_by_role("img", name=f"Version {version} of {filename}")).to_be_visible()

    # Draw more and update the same version in place.
    studio.get_by_role("button", name="Pen", exact=True).click()
    drag(studio, box, (0.5, 0.8), (0.9, 0.9))
    studio.get_by_role("button", name="Update version").click()
    expect(studio.get_by_text("Canvas version updated.")).to_be_visible()
    assert path.is_file() and hashlib.sha256(path.read_bytes()).hexdigest() != first
    assert not any(
        p.name != version and p.name.startswith(f"canvas-{filename.rsplit('.', 1)[0]}") and p.suffix == ".png"
        for p in (stack.home / "generated").iterdir()
    )

    studio.set_viewport_size(PHONE)
    screenshot(studio, "canvas-phone")
    check = check_axe(studio, "canvas-phone")
    assert check == [], check
    studio.set_viewport_size(DESKTOP)

    # Send it to Edit.
    studio.get_by_role("button", name="Send to Edit").click()
    expect(studio.get_by_role("heading", level=1, name="Edit")).to_be_visible()

    # And to a node: a root node whose source is the annotated version.
    studio.get_by_role("link", name="Canvas", exact=True).click()
    studio.get_by_role("button", name="Send to a node").click()
    expect(studio.get_by_role("link", name="Node", exact=True)).to_have_attribute("aria-current", "page")
    card = studio.get_by_role("article").last
    expect(card.locator("img.gnode-image")).to_have_attribute(
        "src", re.compile(r"/generated/canvas-.*\.png$")
    )
    card.get_by_role("textbox").fill("the kite in blue")
    card.get_by_role("button", name="Regenerate").click()
    expect(card).not_to_have_attribute("data-status", "running", timeout=60_000)
    assert card.get_attribute("data-status") == "done", card.inner_text()
    expect(studio.get_by_role("status").filter(has_text=re.compile(r"^Saved$"))).to_be_visible()
    server_id = studio.evaluate(
        "() => fetch('/api/sessions/' + localStorage.getItem('ima2.node.session')).then(r => r.json())"
        ".then(s => s.session.nodes.map(n => n.data.serverNodeId).filter(Boolean))"
    )
    assert server_id, "the node was generated from the canvas version"
