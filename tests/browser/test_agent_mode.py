"""Agent Mode in Chromium against the real sandbox stack: a session created and renamed on screen,
a conversation (generate, edit the current image, a question, slash-command hints, /help,
compaction) with its images inline, locks on the current image, and the queue live from
/api/events with cancel and retry; checked on screen and on the server. Screenshots at 1280x800
and 390x844 go to /tmp/agent-*.png; axe-core finds no serious or critical violation."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from ima2_common import agent
from tests.browser.ui_flow import check_axe, open_studio
from tests.stackctl import RunningStack

pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
from playwright.sync_api import expect

pytestmark = pytest.mark.browser
HANG = {"upstream": "openai", "path": "/responses", "mode": "hang", "count": 0}


def word() -> str:
    return f"w{uuid.uuid4().hex[:6]}"


def workspace(stack: RunningStack, sid: str) -> dict[str, Any]:
    response = httpx.get(f"{stack.url}/api/agent/sessions/{sid}", timeout=10)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


@pytest.fixture
def agent_page(chromium_browser: Any, stack: RunningStack) -> Iterator[Any]:
    context = chromium_browser.new_context(viewport={"width": 1280, "height": 800})
    context.set_default_timeout(20_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    made: list[str] = []
    try:
        yield page, made
    finally:
        context.close()
        for sid in made:  # shared server state: the sessions this test made go
            httpx.delete(f"{stack.url}/api/agent/sessions/{sid}", timeout=10)
        httpx.delete(f"{stack.sandbox_url}/_sandbox/faults", timeout=10)
    assert not errors, errors


def send(page: Any, text: str) -> None:
    box = page.get_by_label("Message", exact=True)
    box.fill(text)
    box.press("Enter")
    expect(box).to_have_value("")


def turns(page: Any) -> Any:
    return page.get_by_role("list", name="Turns").locator(":scope > li")


def test_a_conversation_on_screen(agent_page: Any, stack: RunningStack) -> None:
    page, made = agent_page
    open_studio(page, stack.url, "agent")
    nav = page.get_by_role("navigation", name="Screens")
    expect(nav.get_by_role("link", name="Agent")).to_have_attribute("aria-current", "page")

    # a session, renamed
    page.get_by_role("button", name="New session").click()
    expect(page.get_by_role("heading", level=1, name="New Agent session")).to_be_visible()
    sid = str(page.evaluate("localStorage.getItem('ima2.agent.session')"))
    made.append(sid)
    title = f"Fox story {word()}"
    page.locator(".session-list li.current").get_by_role("button", name="Rename").click()
    page.get_by_label("Session title").fill(title)
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_role("heading", level=1, name=title)).to_be_visible()

    # a style lock
    page.get_by_label("Add a style lock").fill("watercolour")
    page.get_by_role("button", name="Add", exact=True).first.click()
    expect(page.get_by_role("button", name="Remove lock watercolour")).to_be_visible()

    # 1. generate: the image shows inline and becomes current
    send(page, "A red fox in a snowy forest at dawn")
    expect(turns(page)).to_have_count(2, timeout=60_000)
    expect(turns(page).nth(1).get_by_role("img")).to_have_count(1)
    current = page.get_by_role("region", name="Current image").get_by_role("img")
    expect(current).to_be_visible()
    first = workspace(stack, sid)["session"]["currentImage"]["filename"]

    # 2. edit the current image
    send(page, "make it night with a full moon")
    expect(turns(page)).to_have_count(4, timeout=60_000)
    expect(turns(page).nth(3)).to_contain_text("edited")
    server = workspace(stack, sid)
    assert server["session"]["currentImage"]["filename"] != first
    assert server["turns"][-1]["toolCalls"][0]["name"] == agent.TOOL_EDIT
    expect(page.get_by_role("region", name="Current image")).to_contain_text(
        server["session"]["currentImage"]["filename"]
    )

    # 3. a question: a text answer
    send(page, "Which palette suits this scene?")
    expect(turns(page)).to_have_count(6, timeout=60_000)
    expect(turns(page).nth(5)).to_contain_text("answered")

    # slash-command hints, then /help
    box = page.get_by_label("Message", exact=True)
    box.fill("/he")
    hints = page.get_by_role("list", name="Commands")
    expect(hints.get_by_role("button")).to_have_count(1)
    hints.get_by_role("button", name="/help").click()
    expect(box).to_have_value("/help ")
    box.press("Enter")
    expect(turns(page)).to_have_count(8)
    expect(turns(page).nth(7)).to_contain_text("/question <text>")

    # 4. compaction: older turns summarized, the summary shown
    page.get_by_role("button", name="Compact", exact=True).click()
    expect(page.get_by_text("Summary of earlier turns:")).to_be_visible()
    expect(turns(page).filter(has_text="summarized")).to_have_count(8 - agent.COMPACT_KEEP_TURNS)
    assert workspace(stack, sid)["session"]["compacted"]

    page.screenshot(path="/tmp/agent-desktop.png", full_page=True)
    problems = check_axe(page, "agent-desktop")
    assert not problems, json.dumps(problems, indent=1)

    page.set_viewport_size({"width": 390, "height": 844})
    expect(page.get_by_role("heading", level=1, name=title)).to_be_visible()
    page.screenshot(path="/tmp/agent-phone.png", full_page=True)
    problems = check_axe(page, "agent-phone")
    assert not problems, json.dumps(problems, indent=1)


def test_the_queue_is_live_with_cancel_and_retry(agent_page: Any, stack: RunningStack) -> None:
    page, made = agent_page
    created = httpx.post(
        f"{stack.url}/api/agent/sessions",
        json={"title": f"Queue {word()}", "generationSettings": {"provider": "api"}},
        timeout=10,
    ).json()
    sid = created["session"]["id"]
    made.append(sid)
    open_studio(page, stack.url, "agent")
    sessions = page.get_by_role("region", name="Agent sessions")
    sessions.locator(".session-open", has_text=created["session"]["title"]).click()
    expect(page.get_by_role("heading", level=1, name=created["session"]["title"])).to_be_visible()

    httpx.post(f"{stack.sandbox_url}/_sandbox/faults", json=HANG, timeout=10)
    send(page, "/generate a slow lighthouse")
    queue = page.get_by_role("region", name="Queue", exact=True)
    item = queue.get_by_role("listitem").first
    expect(item).to_have_attribute("data-status", "running")  # live from /api/events
    item.get_by_role("button", name="Cancel a slow lighthouse").click()
    expect(item).to_have_attribute("data-status", "canceled")
    expect(item).to_contain_text("GENERATION_CANCELED")

    httpx.delete(f"{stack.sandbox_url}/_sandbox/faults", timeout=10)
    item.get_by_role("button", name="Retry a slow lighthouse").click()
    expect(item).to_have_attribute("data-status", "succeeded", timeout=60_000)
    expect(turns(page).last.get_by_role("img")).to_have_count(1)
    server = httpx.get(f"{stack.url}/api/agent/sessions/{sid}/queue", timeout=10).json()["queue"]
    assert [i["status"] for i in server] == ["succeeded"] and server[0]["attempts"] == 2


def test_a_gallery_image_becomes_the_current_image(agent_page: Any, stack: RunningStack) -> None:
    page, made = agent_page
    marker = word()
    answer = httpx.post(
        f"{stack.url}/api/generate", json={"prompt": f"agent pick {marker}", "provider": "api"}, timeout=60
    )
    assert answer.status_code == 200, answer.text
    filename = answer.json()["filename"]
    before = {s["id"] for s in httpx.get(f"{stack.url}/api/agent/sessions", timeout=10).json()["sessions"]}
    open_studio(page, stack.url, "gallery")
    page.get_by_label("Search prompts").fill(marker)
    page.get_by_label("Images, newest first").get_by_role("button", name=f"Open agent pick {marker}").click()
    page.get_by_role("dialog").get_by_role("button", name="Use in Agent").click()

    nav = page.get_by_role("navigation", name="Screens")
    expect(nav.get_by_role("link", name="Agent")).to_have_attribute("aria-current", "page")
    expect(page.get_by_role("region", name="Current image")).to_contain_text(filename)
    sid = str(page.evaluate("localStorage.getItem('ima2.agent.session')"))
    if sid not in before:  # a session of its own when none was there (shared server state)
        made.append(sid)
    assert workspace(stack, sid)["session"]["currentImage"]["filename"] == filename


def test_generation_settings_on_screen(agent_page: Any, stack: RunningStack) -> None:
    page, made = agent_page
    created = httpx.post(
        f"{stack.url}/api/agent/sessions", json={"title": f"Set {word()}"}, timeout=10
    ).json()
    sid = created["session"]["id"]
    made.append(sid)
    open_studio(page, stack.url, "agent")
    page.get_by_role("region", name="Agent sessions").locator(
        ".session-open", has_text=created["session"]["title"]
    ).click()
    panel = page.get_by_role("region", name="Generation settings")
    expect(panel.get_by_label("Provider")).to_have_value("oauth")

    panel.get_by_label("Provider").select_option("grok-api")  # its default model comes with it
    expect(panel.get_by_label("Model")).to_have_value("grok-imagine-image")
    panel.get_by_label("Run at once").select_option("2")
    expect(panel.get_by_label("Run at once")).to_have_value("2")
    panel.get_by_label("Strategy").select_option("manual")
    expect(panel.get_by_label("Strategy")).to_have_value("manual")
    settings = workspace(stack, sid)["session"]["generationSettings"]
    assert settings["provider"] == "grok-api" and settings["model"] == "grok-imagine-image"
    assert settings["parallelism"] == 2 and settings["generationStrategy"] == "manual"

    # /parallelism from the composer shows in the panel
    send(page, "/parallelism 3")
    expect(panel.get_by_label("Run at once")).to_have_value("3")
