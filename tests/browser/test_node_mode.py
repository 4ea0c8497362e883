"""Node mode in Chromium against the real sandbox stack: a graph of image nodes built by a user,
saved with If-Match, reloaded, and a version conflict made by a second tab merged, checked on
screen and on the server (sessions, graphs, node metadata)."""

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


def server_session(stack: RunningStack, sid: str) -> dict[str, Any]:
    response = httpx.get(f"{stack.url}/api/sessions/{sid}", timeout=10)
    assert response.status_code == 200, response.text
    session: dict[str, Any] = response.json()["session"]
    return session


def node_card(page: Any, label: str) -> Any:
    return page.get_by_role("article", name=label, exact=True)


def fit(page: Any) -> None:
    """Press Fit and wait until the view has moved: the graph applies its transform in an animation frame."""
    page.get_by_role("button", name="Fit").click()
    page.evaluate("() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))")


def new_session(page: Any, title: str) -> str:
    """Create a session from the side panel, rename it to `title`; returns its id."""
    page.get_by_role("button", name="New session").click()
    expect(page.get_by_role("heading", level=1, name="Untitled session")).to_be_visible()
    current = page.locator(".session-list li.current")
    current.get_by_role("button", name="Rename").click()
    page.get_by_label("Session title").fill(title)
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_role("heading", level=1, name=title)).to_be_visible()
    return str(page.evaluate("localStorage.getItem('ima2.node.session')"))


def wait_saved(page: Any) -> None:
    expect(page.get_by_role("status").filter(has_text=re.compile(r"^Saved$"))).to_be_visible(timeout=15_000)


def test_a_three_level_graph_is_built_run_in_order_and_seen_again_after_reload(
    studio: Any, stack: RunningStack
) -> None:
    title = f"Lighthouse story {word()}"
    open_studio(studio, stack.url, "node")
    sid = new_session(studio, title)
    assert any(
        s["id"] == sid and s["title"] == title
        for s in httpx.get(f"{stack.url}/api/sessions").json()["sessions"]
    )

    # A root node from the toolbar, generated on its own.
    studio.get_by_role("button", name="Add root node").click()
    root = node_card(studio, "Node 1")
    root.get_by_label("Prompt of Node 1").fill("a lighthouse on a cliff")
    root.get_by_role("button", name="Generate", exact=True).click()
    expect(root).to_have_attribute("data-status", "done", timeout=60_000)
    image = root.get_by_role("img", name="Node 1: a lighthouse on a cliff")
    expect(image).to_be_visible()
    studio.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=image.element_handle())

    # A child from the button; a grandchild by dragging the child's handle onto empty canvas.
    root.get_by_role("button", name="Add child").click()
    child = node_card(studio, "Node 2")
    expect(child.get_by_text("child of Node 1")).to_be_visible()
    child.get_by_label("Prompt of Node 2").fill("the lighthouse at night")
    fit(studio)
    handle = studio.locator("[data-handle-of]").nth(1)
    box = handle.bounding_box()
    viewport = studio.get_by_test_id("graph-viewport").bounding_box()
    assert box and viewport
    studio.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    studio.mouse.down()
    studio.mouse.move(
        viewport["x"] + viewport["width"] - 60, viewport["y"] + viewport["height"] - 40, steps=8
    )
    studio.mouse.up()
    grandchild = node_card(studio, "Node 3")
    expect(grandchild.get_by_text("child of Node 2")).to_be_visible()
    grandchild.get_by_label("Prompt of Node 3").fill("storm over the lighthouse")

    # Select Node 1's connected group and run it: parents first, each child edits its parent.
    root.get_by_role("checkbox").check()
    studio.get_by_role("button", name="Select connected group").click()
    run = studio.get_by_role("button", name="Run selected (3)")
    run.click()
    for card in (root, child, grandchild):
        expect(card).to_have_attribute("data-status", "done", timeout=90_000)
    expect(studio.get_by_role("button", name="Run selected (3)")).to_be_enabled()
    wait_saved(studio)

    session = server_session(stack, sid)
    assert len(session["nodes"]) == 3 and len(session["edges"]) == 2
    by_label = {n["data"]["label"]: n for n in session["nodes"]}
    ids = {label: n["data"]["serverNodeId"] for label, n in by_label.items()}
    assert all(ids.values()), ids
    edges = {(e["source"], e["target"]) for e in session["edges"]}
    assert edges == {
        (by_label["Node 1"]["id"], by_label["Node 2"]["id"]),
        (by_label["Node 2"]["id"], by_label["Node 3"]["id"]),
    }
    # The server's node metadata: each child was an edit of its parent's current image.
    for child_label, parent_label in (("Node 2", "Node 1"), ("Node 3", "Node 2")):
        meta = httpx.get(f"{stack.url}/api/node/{ids[child_label]}").json()["meta"]
        assert meta.get("parentNodeId") == ids[parent_label], (child_label, meta)
    assert by_label["Node 3"]["data"]["parentServerNodeId"] == ids["Node 2"]

    check = check_axe(studio, "node")
    assert check == [], check
    fit(studio)
    screenshot(studio, "node-desktop")

    # Reload: the same session, the same three nodes with their images and lineage.
    studio.reload()
    studio.wait_for_selector("html[data-ready='true']", state="attached")
    expect(studio.get_by_role("heading", level=1, name=title)).to_be_visible()
    for label, prompt in (
        ("Node 1", "a lighthouse on a cliff"),
        ("Node 2", "the lighthouse at night"),
        ("Node 3", "storm over the lighthouse"),
    ):
        card = node_card(studio, label)
        expect(card.get_by_role("img", name=f"{label}: {prompt}")).to_be_visible()
        expect(card.get_by_label(f"Prompt of {label}")).to_have_value(prompt)
    expect(node_card(studio, "Node 3").get_by_text("child of Node 2")).to_be_visible()

    # Detach and delete are saved too.
    node_card(studio, "Node 3").get_by_role("button", name="Detach").click()
    node_card(studio, "Node 3").get_by_role("button", name="Delete", exact=True).click()
    expect(node_card(studio, "Node 3")).to_have_count(0)
    wait_saved(studio)
    session = server_session(stack, sid)
    assert len(session["nodes"]) == 2 and len(session["edges"]) == 1

    studio.set_viewport_size(PHONE)
    fit(studio)
    screenshot(studio, "node-phone")
    check = check_axe(studio, "node-phone")
    assert check == [], check
    studio.set_viewport_size(DESKTOP)


def test_a_version_conflict_from_a_second_tab_is_merged_without_losing_the_edit(
    studio: Any, stack: RunningStack
) -> None:
    title = f"Two tabs {word()}"
    open_studio(studio, stack.url, "node")
    sid = new_session(studio, title)
    studio.get_by_role("button", name="Add root node").click()
    node_card(studio, "Node 1").get_by_label("Prompt of Node 1").fill("first words")
    wait_saved(studio)
    before = server_session(stack, sid)["graphVersion"]

    # A second tab of the same browser opens the same session and adds a node.
    other = studio.context.new_page()
    open_studio(other, stack.url, "node")
    expect(other.get_by_role("heading", level=1, name=title)).to_be_visible()
    expect(node_card(other, "Node 1").get_by_label("Prompt of Node 1")).to_have_value("first words")
    other.get_by_role("button", name="Add root node").click()
    node_card(other, "Node 2").get_by_label("Prompt of Node 2").fill("from the other tab")
    wait_saved(other)
    assert server_session(stack, sid)["graphVersion"] > before

    # The first tab, now stale, edits its node: the save conflicts, is merged and saved.
    node_card(studio, "Node 1").get_by_label("Prompt of Node 1").fill("first words, edited")
    expect(studio.get_by_text(re.compile("changed in another tab"))).to_be_visible(timeout=15_000)
    wait_saved(studio)
    expect(node_card(studio, "Node 2").get_by_label("Prompt of Node 2")).to_have_value("from the other tab")
    session = server_session(stack, sid)
    prompts = {n["data"]["label"]: n["data"]["prompt"] for n in session["nodes"]}
    assert prompts == {"Node 1": "first words, edited", "Node 2": "from the other tab"}

    # The other tab sees the merged graph when it reloads.
    other.reload()
    other.wait_for_selector("html[data-ready='true']", state="attached")
    expect(node_card(other, "Node 1").get_by_label("Prompt of Node 1")).to_have_value("first words, edited")
    other.close()


def test_graph_limits_are_explained(studio: Any, stack: RunningStack) -> None:
    sid = httpx.post(f"{stack.url}/api/sessions", json={"title": f"Full {word()}"}).json()["session"]["id"]
    nodes = [
        {
            "id": f"n{i}",
            "x": (i % 25) * 250,
            "y": (i // 25) * 330,
            "data": {"label": f"Node {i + 1}", "prompt": f"p{i}"},
        }
        for i in range(500)
    ]
    saved = httpx.put(
        f"{stack.url}/api/sessions/{sid}/graph",
        json={"nodes": nodes, "edges": []},
        headers={"If-Match": '"0"'},
    )
    assert saved.status_code == 200, saved.text
    open_studio(studio, stack.url, "node")
    studio.evaluate(f"localStorage.setItem('ima2.node.session', {sid!r})")
    studio.reload()
    studio.wait_for_selector("html[data-ready='true']", state="attached")
    current = studio.locator(".session-list li.current")
    expect(current.get_by_text("500 nodes")).to_be_visible()
    # Only the cards near the view are drawn; zoomed out, cards are drawn as image and label.
    assert 0 < studio.get_by_role("article").count() < 100
    fit(studio)
    expect(studio.locator(".gnode.far")).to_have_count(500)
    studio.get_by_role("button", name="Add root node").click()
    expect(studio.get_by_text("A session holds at most 500 nodes and 1000 connections.")).to_be_visible()
    expect(current.get_by_text("500 nodes")).to_be_visible()


def test_variant_connect_by_drag_and_the_style_sheet(studio: Any, stack: RunningStack) -> None:
    open_studio(studio, stack.url, "node")
    sid = new_session(studio, f"Styles {word()}")
    studio.get_by_role("button", name="Add root node").click()
    root = node_card(studio, "Node 1")
    root.get_by_label("Prompt of Node 1").fill("a teapot")
    root.get_by_role("button", name="Generate", exact=True).click()
    expect(root).to_have_attribute("data-status", "done", timeout=60_000)

    # New variant: a sibling with the same prompt, generated at once.
    root.get_by_role("button", name="New variant").click()
    variant = node_card(studio, "Node 2")
    expect(variant.get_by_label("Prompt of Node 2")).to_have_value("a teapot")
    expect(variant).to_have_attribute("data-status", "done", timeout=60_000)
    assert variant.get_by_role("img").get_attribute("src") != root.get_by_role("img").get_attribute("src")

    # Connect by dragging Node 1's handle onto Node 2: Node 2 becomes its child.
    fit(studio)
    handle = studio.locator("[data-handle-of]").first.bounding_box()
    target = variant.bounding_box()
    assert handle and target
    studio.mouse.move(handle["x"] + handle["width"] / 2, handle["y"] + handle["height"] / 2)
    studio.mouse.down()
    studio.mouse.move(target["x"] + target["width"] / 2, target["y"] + 30, steps=8)
    studio.mouse.up()
    expect(variant.get_by_text("child of Node 1")).to_be_visible()
    # A second parent is refused with the reason.
    studio.get_by_role("button", name="Add root node").click()
    node_card(studio, "Node 3").get_by_role("button", name="Connect…").click()
    variant.get_by_role("button", name="Make child of Node 3").click()
    expect(studio.get_by_text("A node edits one parent image")).to_be_visible()
    wait_saved(studio)
    session = server_session(stack, sid)
    assert len(session["edges"]) == 1

    # The style sheet: written, saved and enabled on the server.
    studio.get_by_label("Mood").fill("calm, misty")
    studio.get_by_label("Palette (comma separated)").fill("teal, sand, ivory")
    studio.get_by_role("button", name="Save style sheet").click()
    expect(studio.get_by_text("Style sheet saved.")).to_be_visible()
    sheet = httpx.get(f"{stack.url}/api/sessions/{sid}/style-sheet").json()
    assert sheet["enabled"] is True
    assert sheet["styleSheet"]["mood"] == "calm, misty" and sheet["styleSheet"]["palette"] == [
        "teal",
        "sand",
        "ivory",
    ]
    with studio.expect_response(lambda r: r.url.endswith("/style-sheet/enabled") and r.ok):
        studio.get_by_label("Use the style sheet").uncheck()
    expect(studio.get_by_label("Use the style sheet")).not_to_be_checked()
    assert httpx.get(f"{stack.url}/api/sessions/{sid}/style-sheet").json()["enabled"] is False


def test_two_finger_pinch_zooms_and_one_finger_pans(chromium_browser: Any, stack: RunningStack) -> None:
    context = chromium_browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    try:
        open_studio(page, stack.url, "node")
        new_session(page, f"Touch {word()}")
        page.get_by_role("button", name="Add root node").click()
        expect(node_card(page, "Node 1")).to_be_visible()
        layer = page.locator(".graph-layer")
        box = page.get_by_test_id("graph-viewport").bounding_box()
        assert box
        cdp = context.new_cdp_session(page)
        x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] - 60

        def touch(kind: str, points: list[tuple[float, float]]) -> None:
            cdp.send(
                "Input.dispatchTouchEvent",
                {
                    "type": kind,
                    "touchPoints": [{"x": px, "y": py, "id": i} for i, (px, py) in enumerate(points)],
                },
            )

        before = layer.evaluate("el => el.style.transform")
        touch("touchStart", [(x - 20, y), (x + 20, y)])
        for step in range(1, 9):
            touch("touchMove", [(x - 20 - step * 8, y), (x + 20 + step * 8, y)])
        touch("touchEnd", [])
        page.wait_for_function(
            "([el, before]) => el.style.transform !== before && /scale\\((1\\.[3-9]|[2-9])/.test(el.style.transform)",
            arg=[layer.element_handle(), before],
        )
        zoomed = layer.evaluate("el => el.style.transform")
        touch("touchStart", [(x, y)])
        for step in range(1, 6):
            touch("touchMove", [(x + step * 10, y - step * 6)])
        touch("touchEnd", [])
        page.wait_for_function("([el, z]) => el.style.transform !== z", arg=[layer.element_handle(), zoomed])
        assert "scale(" in layer.evaluate("el => el.style.transform")
        # A pan is not a click: no root node was added by the gestures.
        expect(page.get_by_role("article")).to_have_count(1)
    finally:
        context.close()
