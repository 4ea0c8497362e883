"""The studio in Chromium against the real sandbox stack: each screen driven by role and label,
checked on screen and on the server (history rows, files, key status, in-flight jobs)."""

from __future__ import annotations

import io
import json
import os
import re
import uuid
from typing import Any

import httpx
import pytest
from PIL import Image

from ima2_auth.credentials import SANDBOX_SECRETS
from tests.browser.ui_flow import generate, job_card, open_studio, wait_done
from tests.stackctl import RunningStack

pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def word() -> str:
    return f"w{uuid.uuid4().hex[:10]}"


def png(color: tuple[int, int, int] = (200, 60, 40), size: tuple[int, int] = (64, 48)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "PNG")
    return out.getvalue()


def history(stack: RunningStack, **params: Any) -> dict[str, Any]:
    response = httpx.get(f"{stack.url}/api/history", params=params, timeout=10)
    assert response.status_code == 200, response.text
    page: dict[str, Any] = response.json()
    return page


def inflight_ids(stack: RunningStack) -> set[str]:
    return {job["requestId"] for job in httpx.get(f"{stack.url}/api/inflight", timeout=10).json()["jobs"]}


def sandbox_fault(stack: RunningStack, **fault: Any) -> None:
    httpx.post(f"{stack.sandbox_url}/_sandbox/faults", json=fault, timeout=10).raise_for_status()


def clear_faults(stack: RunningStack) -> None:
    httpx.delete(f"{stack.sandbox_url}/_sandbox/faults", timeout=10)


# ---- Create --------------------------------------------------------------------------------


def test_generate_with_a_reference_by_shortcut_and_use_the_result(studio: Any, stack: RunningStack) -> None:
    prompt = f"a lighthouse at dusk {word()}"
    open_studio(studio, stack.url)
    studio.get_by_label("Choose reference images").set_input_files(
        [{"name": "ref.png", "mimeType": "image/png", "buffer": png()}]
    )
    expect(studio.get_by_role("img", name="Reference 1: ref.png")).to_be_visible()
    card = generate(studio, prompt, shortcut=True)
    assert wait_done(card) == "done"
    result = card.get_by_role("img", name=re.compile(r"^Result 1: a lighthouse"))
    expect(result).to_be_visible()
    studio.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=result.element_handle())

    rows = history(stack, q=prompt.split()[-1])["items"]
    assert len(rows) == 1 and rows[0]["prompt"] == prompt
    assert rows[0].get("refsCount", 1) >= 1
    assert (stack.home / "generated" / rows[0]["filename"]).is_file()

    # Favourite from the result; the server marks it for this browser.
    browser_id = studio.evaluate("localStorage.getItem('ima2.browserId')")
    card.get_by_role("button", name="Favourite", exact=True).click()
    expect(card.get_by_role("button", name="Unfavourite")).to_be_visible()
    favs = httpx.get(
        f"{stack.url}/api/history",
        params={"favoritesOnly": 1, "q": prompt.split()[-1]},
        headers={"X-Ima2-Browser-Id": browser_id},
    ).json()["items"]
    assert [i["filename"] for i in favs] == [rows[0]["filename"]]

    # Use as reference: it joins the composer's references.
    studio.get_by_label("Remove reference 1").click()
    card.get_by_role("button", name="Use as reference").click()
    expect(studio.get_by_role("img", name=re.compile(r"^Reference 1: "))).to_be_visible()
    # Download points at the stored file.
    href = card.get_by_role("link", name="Download").get_attribute("href")
    assert href == f"/generated/{rows[0]['filename']}"

    # The result survives a reload (this tab's results are kept).
    studio.reload()
    studio.wait_for_selector("html[data-ready='true']", state="attached")
    expect(job_card(studio, prompt).get_by_role("img", name=re.compile(r"^Result 1: "))).to_be_visible()


def test_heic_references_are_refused_with_a_hint(studio: Any, stack: RunningStack) -> None:
    open_studio(studio, stack.url)
    studio.get_by_label("Choose reference images").set_input_files(
        [{"name": "photo.HEIC", "mimeType": "image/heic", "buffer": b"\x00\x00\x00\x18ftypheic"}]
    )
    expect(studio.get_by_role("status").filter(has_text="HEIC/HEIF images are not supported")).to_be_visible()
    expect(studio.get_by_text("References (0/5)")).to_be_visible()


def test_every_provider_offers_only_models_the_server_accepts(studio: Any, stack: RunningStack) -> None:
    caps = httpx.get(f"{stack.url}/api/capabilities").json()
    open_studio(studio, stack.url)
    provider = studio.get_by_label("Provider", exact=True)
    model = studio.get_by_label("Model", exact=True)
    for name in caps["providers"]:
        provider.select_option(name)
        offered = model.locator("option").all_inner_texts()
        assert offered == caps["models"][name], name
        assert model.input_value() == caps["defaultModels"][name]
    # Grok's default is an image model (never the planner) and a generation with it succeeds.
    provider.select_option("grok")
    assert model.input_value() == "grok-imagine-image"
    card = generate(studio, f"a harbour seen by grok {word()}")
    assert wait_done(card) == "done", card.inner_text()


def test_errors_show_code_and_guidance(studio: Any, stack: RunningStack) -> None:
    sandbox_fault(stack, upstream="openai", path="/responses", status=401, count=0)
    try:
        open_studio(studio, stack.url)
        card = generate(studio, f"a refused key {word()}", provider="api")
        assert wait_done(card) == "error"
        alert = card.get_by_role("alert")
        expect(alert).to_contain_text("AUTH_API_KEY_INVALID")
        expect(alert).to_contain_text("Replace it in Settings")
        assert "{" not in alert.inner_text()
    finally:
        clear_faults(stack)


def test_cancel_from_the_inflight_panel_and_reconcile_after_reload(studio: Any, stack: RunningStack) -> None:
    sandbox_fault(stack, upstream="openai", path="/responses", mode="hang", count=0)
    try:
        open_studio(studio, stack.url)
        prompt = f"a job that hangs {word()}"
        card = generate(studio, prompt, provider="api")
        panel = studio.get_by_role("complementary", name=re.compile("In flight"))
        expect(panel.get_by_text(prompt)).to_be_visible()
        request_id = card.get_attribute("data-request-id")
        assert request_id in inflight_ids(stack)

        # After a reload the running job is still listed (reconciled from /api/inflight).
        studio.reload()
        studio.wait_for_selector("html[data-ready='true']", state="attached")
        expect(panel.get_by_text(prompt)).to_be_visible()
        panel.get_by_role("button", name=f"Cancel {prompt[:40]}").click()
        expect(panel.get_by_text(prompt)).to_have_count(0)
        card = job_card(studio, prompt)
        expect(card).to_have_attribute("data-state", "canceled")
        assert request_id not in inflight_ids(stack)

        # A job canceled from elsewhere (the CLI) leaves the panel too.
        other = f"a job canceled elsewhere {word()}"
        card = generate(studio, other, provider="api")
        expect(panel.get_by_text(other)).to_be_visible()
        httpx.delete(f"{stack.url}/api/inflight/{card.get_attribute('data-request-id')}").raise_for_status()
        expect(panel.get_by_text(other)).to_have_count(0)
        expect(card).to_have_attribute("data-state", "canceled")
    finally:
        clear_faults(stack)


# ---- Edit and Multimode ----------------------------------------------------------------------


def test_edit_with_a_painted_mask(studio: Any, stack: RunningStack) -> None:
    open_studio(studio, stack.url, "edit")
    studio.get_by_label("Choose an image").set_input_files(
        [{"name": "base.png", "mimeType": "image/png", "buffer": png((30, 90, 200), (256, 192))}]
    )
    canvas = studio.get_by_role("img", name="Mask: paint the area to change")
    expect(canvas).to_be_visible()
    # Providers that refuse masks are disabled, with the reason.
    grok = studio.get_by_label("Provider", exact=True).locator("option[value='grok']")
    assert grok.is_disabled() and "no mask support" in grok.inner_text()
    box = canvas.bounding_box()
    studio.mouse.move(box["x"] + 20, box["y"] + 20)
    studio.mouse.down()
    studio.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2, steps=5)
    studio.mouse.up()
    studio.get_by_role("button", name="Invert mask").click()
    studio.get_by_role("button", name="Invert mask").click()
    prompt = f"make the sky orange {word()}"
    studio.get_by_label("What to change").fill(prompt)
    studio.get_by_label("Provider", exact=True).select_option("api")
    studio.get_by_role("button", name="Apply edit").click()
    card = job_card(studio, prompt)
    assert wait_done(card) == "done", card.inner_text()
    expect(card.get_by_role("img", name=re.compile("^Result 1: "))).to_be_visible()
    rows = history(stack, q=prompt.split()[-1])["items"]
    assert len(rows) == 1 and (stack.home / "generated" / rows[0]["filename"]).is_file()
    requests = httpx.get(f"{stack.sandbox_url}/_sandbox/requests", params={"upstream": "openai"}).json()[
        "requests"
    ]
    assert requests, "the edit reached the OpenAI emulator"


def test_multimode_fills_its_slots(studio: Any, stack: RunningStack) -> None:
    open_studio(studio, stack.url, "multimode")
    prompt = f"a story in panels {word()}"
    studio.get_by_label("Images in the sequence").select_option("3")
    studio.get_by_label("Prompt", exact=True).fill(prompt)
    studio.get_by_role("button", name="Generate sequence").click()
    card = job_card(studio, prompt)
    assert wait_done(card) == "done", card.inner_text()
    rows = history(stack, q=prompt.split()[-1])
    assert rows["total"] == 3, (card.inner_text(), [i.get("sequenceStatus") for i in rows["items"]])
    for n in (1, 2, 3):
        expect(card.get_by_role("img", name=f"Image {n} of the sequence")).to_be_visible()


# ---- Gallery ----------------------------------------------------------------------------------


def _import(stack: RunningStack, color: tuple[int, int, int]) -> dict[str, Any]:
    reply = httpx.post(
        f"{stack.url}/api/history/import-local", content=png(color), headers={"Content-Type": "image/png"}
    )
    assert reply.status_code == 201, reply.text
    item: dict[str, Any] = reply.json()["item"]
    return item


def test_gallery_search_lightbox_favourite_delete_undo_and_permanent(
    studio: Any, stack: RunningStack
) -> None:
    marker = word()
    studio_prompts = [f"gallery {marker} number {n}" for n in range(3)]
    open_studio(studio, stack.url)
    for prompt in studio_prompts:
        assert wait_done(generate(studio, prompt)) == "done"
    studio.get_by_role("navigation", name="Screens").get_by_role("link", name="Gallery").click()
    studio.get_by_label("Search prompts").fill(marker)
    grid = studio.get_by_label("Images, newest first")
    tiles = grid.get_by_role("button", name=re.compile(f"^Open gallery {marker}"))
    expect(tiles).to_have_count(3)
    expect(studio.get_by_text("3 items")).to_be_visible()

    tiles.first.click()
    dialog = studio.get_by_role("dialog")
    expect(dialog.get_by_text("1 of 3")).to_be_visible()
    expect(dialog.get_by_text(studio_prompts[2])).to_be_visible()
    studio.keyboard.press("ArrowRight")
    expect(dialog.get_by_text("2 of 3")).to_be_visible()
    expect(dialog.get_by_text(studio_prompts[1])).to_be_visible()
    studio.keyboard.press("ArrowLeft")
    expect(dialog.get_by_text("1 of 3")).to_be_visible()

    dialog.get_by_role("button", name="Favourite", exact=True).click()
    expect(dialog.get_by_role("button", name="Unfavourite")).to_be_visible()
    browser_id = studio.evaluate("localStorage.getItem('ima2.browserId')")
    favs = httpx.get(
        f"{stack.url}/api/history",
        params={"favoritesOnly": 1, "q": marker},
        headers={"X-Ima2-Browser-Id": browser_id},
    ).json()["items"]
    assert [i["prompt"] for i in favs] == [studio_prompts[2]]

    # Delete, then Undo from the toast: the row comes back on the server.
    newest = history(stack, q=marker)["items"][0]
    dialog.get_by_role("button", name="Delete", exact=True).click()
    expect(dialog.get_by_text("1 of 2")).to_be_visible()
    assert history(stack, q=marker)["total"] == 2
    studio.get_by_role("button", name="Undo").click()
    expect(studio.get_by_text("Restored.")).to_be_visible()
    assert history(stack, q=marker)["total"] == 3
    assert (stack.home / "generated" / newest["filename"]).is_file()

    # Permanent delete asks once more, then the file is gone.
    dialog.get_by_role("button", name="Delete permanently…").click()
    dialog.get_by_role("button", name="Confirm permanent delete").click()
    expect(studio.get_by_text("Deleted permanently.")).to_be_visible()
    remaining = history(stack, q=marker)["items"]
    assert len(remaining) == 2
    gone = {newest["filename"], favs[0]["filename"]} - {i["filename"] for i in remaining}
    assert len(gone) == 1 and not (stack.home / "generated" / gone.pop()).exists()
    studio.keyboard.press("Escape")
    expect(dialog).to_have_count(0)

    # Favourites filter.
    studio.get_by_label("Search prompts").fill("")
    studio.get_by_label("Favourites only").check()
    expect(grid.get_by_role("button", name=re.compile(f"^Open gallery {marker}"))).to_have_count(
        1 if favs[0]["filename"] != newest["filename"] else 0
    )


def test_gallery_import_group_and_storage_notice(studio: Any, stack: RunningStack) -> None:
    _import(stack, (250, 200, 0))
    _import(stack, (0, 120, 250))
    open_studio(studio, stack.url, "gallery")
    before = history(stack)["total"]
    expect(studio.get_by_role("note", name="Storage")).to_contain_text("generated")
    studio.get_by_label("Import image").set_input_files(
        [{"name": "holiday.png", "mimeType": "image/png", "buffer": png((10, 200, 90))}]
    )
    expect(studio.get_by_text("Imported holiday.png.")).to_be_visible()
    assert history(stack)["total"] == before + 1
    studio.get_by_label("Group by").select_option("date")
    expect(studio.get_by_role("heading", level=2).filter(has_text=re.compile(r"\d{4}"))).not_to_have_count(0)
    studio.get_by_label("Group by").select_option("session")
    expect(studio.get_by_role("heading", name="Without a session")).to_be_visible()

    # The grid is keyboard-driven: arrows move between tiles, Enter opens the lightbox there.
    studio.get_by_label("Group by").select_option("none")
    grid = studio.get_by_label("Images, newest first")
    grid.get_by_role("button").first.focus()
    studio.keyboard.press("ArrowRight")
    expect(grid.locator("[data-pos='1'] button")).to_be_focused()
    studio.keyboard.press("End")
    last = history(stack)["total"] - 1
    expect(grid.locator(f"[data-pos='{last}'] button")).to_be_focused()
    studio.keyboard.press("Home")
    expect(grid.locator("[data-pos='0'] button")).to_be_focused()
    studio.keyboard.press("ArrowRight")
    expect(grid.locator("[data-pos='1'] button")).to_be_focused()
    studio.keyboard.press("Enter")
    expect(studio.get_by_role("dialog").get_by_text(f"2 of {last + 1}")).to_be_visible()


def test_drop_a_generated_png_to_recall_its_prompt(studio: Any, stack: RunningStack) -> None:
    prompt = f"a recalled teapot {word()}"
    open_studio(studio, stack.url)
    assert wait_done(generate(studio, prompt)) == "done"
    filename = history(stack, q=prompt.split()[-1])["items"][0]["filename"]
    studio.get_by_label("Prompt", exact=True).fill("")
    studio.evaluate(
        """async (url) => {
            const blob = await (await fetch(url)).blob();
            const data = new DataTransfer();
            data.items.add(new File([blob], "dropped.png", { type: "image/png" }));
            document.body.dispatchEvent(new DragEvent("drop", { dataTransfer: data, bubbles: true, cancelable: true }));
        }""",
        f"/generated/{filename}",
    )
    expect(studio.get_by_label("Prompt", exact=True)).to_have_value(prompt)


# ---- Settings ---------------------------------------------------------------------------------


def test_settings_keys_vertex_and_gemini_mode(studio: Any, stack: RunningStack) -> None:
    open_studio(studio, stack.url, "settings")
    key = "sk-browser-test-" + uuid.uuid4().hex
    studio.get_by_label(re.compile(r"^(Add|Replace) OpenAI key$")).fill(key)
    row = studio.locator(".key-row[data-provider='openai']")
    row.get_by_role("button", name="Save").click()
    expect(studio.get_by_text("Key saved.")).to_be_visible()
    status = httpx.get(f"{stack.url}/api/keys/status").json()["openai"]
    assert status["configured"] and status["source"] == "config"
    expect(row.get_by_text(status["maskedKey"])).to_be_visible()
    assert key not in studio.content()

    row.get_by_role("button", name="Remove OpenAI key").click()
    expect(row.get_by_role("button", name="Remove OpenAI key")).to_have_count(0)
    expect(row.get_by_text("saved here")).to_have_count(0)
    assert httpx.get(f"{stack.url}/api/keys/status").json()["openai"]["source"] == "none"
    # Added again (the sandbox's own key, which the rest of the suite generates with).
    studio.get_by_label("Add OpenAI key").fill(SANDBOX_SECRETS["openai"])
    row.get_by_role("button", name="Save").click()
    expect(row.get_by_role("button", name="Remove OpenAI key")).to_be_visible()
    assert httpx.get(f"{stack.url}/api/keys/status").json()["openai"]["source"] == "config"

    account = {
        "type": "service_account",
        "project_id": "browser-proj",
        "client_email": "x@y.z",
        "private_key": "-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----\n",
    }
    studio.get_by_label("Upload service-account JSON").set_input_files(
        [{"name": "sa.json", "mimeType": "application/json", "buffer": json.dumps(account).encode()}]
    )
    vertex = studio.locator(".key-row[data-provider='vertex']")
    expect(vertex.get_by_text("project: browser-proj")).to_be_visible()
    studio.get_by_label("Gemini authentication").select_option("apikey")
    expect(studio.get_by_text("Gemini authentication saved.")).to_be_visible()
    assert httpx.get(f"{stack.url}/api/keys/status").json()["geminiAuthMode"] == "apikey"
    vertex.get_by_role("button", name="Remove Vertex AI service account key").click()
    expect(vertex.get_by_text("Not set")).to_be_visible()


def test_settings_status_planner_and_switch_account(studio: Any, stack: RunningStack) -> None:
    httpx.put(f"{stack.sandbox_url}/_sandbox/settings", json={"deviceInterval": 1})
    planner_before = httpx.get(f"{stack.url}/api/config/grok-planner").json()["model"]
    try:
        open_studio(studio, stack.url, "settings")
        expect(studio.get_by_role("definition").filter(has_text="Ready").first).to_be_visible()
        planner = studio.get_by_label("Grok planner model")
        expect(planner.locator("option").nth(1)).to_be_attached()  # the choices have arrived
        options = planner.locator("option").all_inner_texts()
        other = next(o for o in options if o != planner.input_value())
        planner.select_option(other)
        expect(studio.get_by_text(f"Planner model set to {other}.")).to_be_visible()
        assert httpx.get(f"{stack.url}/api/config/grok-planner").json()["model"] == other

        studio.get_by_role("button", name="Switch Grok account").click()
        code = studio.locator(".user-code")
        expect(code).not_to_have_text("")
        expect(studio.get_by_text("Waiting for you to finish signing in…")).to_be_visible()
        email = f"{word()}@example.com"
        httpx.post(
            f"{stack.sandbox_url}/_sandbox/device/approve",
            json={"userCode": code.inner_text(), "email": email},
        ).raise_for_status()
        expect(studio.get_by_text(f"Signed in as {email}.")).to_be_visible(timeout=20_000)
    finally:
        httpx.patch(f"{stack.url}/api/config/grok-planner", json={"model": planner_before})
        httpx.put(
            f"{stack.sandbox_url}/_sandbox/settings", json={"deviceInterval": 5, "accessTokenTtl": 3600}
        )


# ---- Prompt library, theme ----------------------------------------------------------------------


def test_prompt_library_save_insert_favourite_export(studio: Any, stack: RunningStack) -> None:
    name = f"saved {word()}"
    text = f"a quiet library at noon {word()}"
    open_studio(studio, stack.url)
    studio.get_by_label("Prompt", exact=True).fill(text)
    studio.get_by_role("button", name="Save prompt").click()
    studio.get_by_label("Prompt name").fill(name)
    studio.get_by_role("button", name="Save", exact=True).click()
    expect(studio.get_by_text("Prompt saved to the library.")).to_be_visible()
    stored = httpx.get(f"{stack.url}/api/prompts", params={"search": name}).json()["prompts"]
    assert [p["text"] for p in stored] == [text]

    studio.get_by_role("link", name="Prompts").click()
    studio.get_by_label("New folder").fill(f"folder {name}")
    studio.get_by_role("button", name="Add").click()
    expect(studio.get_by_role("button", name=f"folder {name}")).to_be_visible()
    studio.get_by_label("Search the library").fill(name)
    studio.get_by_label(f"Folder of {name}").select_option(label=f"folder {name}")
    expect(studio.get_by_text("Prompt moved.")).to_be_visible()
    folder = next(
        f
        for f in httpx.get(f"{stack.url}/api/prompts/folders").json()["folders"]
        if f["name"] == f"folder {name}"
    )
    assert (
        httpx.get(f"{stack.url}/api/prompts/{stored[0]['id']}").json()["prompt"]["folderId"] == folder["id"]
    )
    studio.get_by_role("button", name=f"folder {name}").click()
    expect(studio.get_by_role("heading", name=name)).to_be_visible()
    studio.get_by_role("button", name=f"Favourite {name}").click()
    expect(studio.get_by_role("button", name=f"Favourite {name}")).to_have_attribute("aria-pressed", "true")
    assert httpx.get(f"{stack.url}/api/prompts/{stored[0]['id']}").json()["prompt"]["isFavorite"] is True
    with studio.expect_download() as download:
        studio.get_by_role("button", name="Export").click()
    exported = json.loads(download.value.path().read_text())
    assert text in json.dumps(exported)
    studio.get_by_role("button", name=f"Insert {name} into the composer").click()
    expect(studio.get_by_label("Prompt", exact=True)).to_have_value(text)


def test_theme_switch_and_keyboard_navigation(studio: Any, stack: RunningStack) -> None:
    open_studio(studio, stack.url)
    studio.get_by_label("Theme").select_option("dark")
    expect(studio.locator("html")).to_have_attribute("data-theme", "dark")
    studio.reload()
    studio.wait_for_selector("html[data-ready='true']", state="attached")
    expect(studio.locator("html")).to_have_attribute("data-theme", "dark")
    studio.get_by_label("Theme").select_option("system")
    studio.keyboard.press("Tab")
    expect(studio.get_by_role("link", name="Skip to content")).to_be_focused()
    studio.keyboard.press("Enter")
    studio.get_by_label("Prompt", exact=True).focus()
    expect(studio.get_by_label("Prompt", exact=True)).to_be_focused()


# ---- Accessibility and screenshots ----------------------------------------------------------------

SCREENS = ["create", "edit", "multimode", "gallery", "prompts", "settings"]


@pytest.mark.parametrize("width", [1280, 390], ids=["desktop", "phone"])
def test_every_screen_passes_axe_and_is_photographed(
    chromium_browser: Any, stack: RunningStack, width: int
) -> None:
    """axe-core: no serious or critical violation on any screen, in both themes at desktop width.
    Screenshots of every screen go to test-artifacts/browser/."""
    from tests.browser.ui_flow import check_axe, screenshot

    context = chromium_browser.new_context(viewport={"width": width, "height": 900 if width > 400 else 844})
    page = context.new_page()
    try:
        # Something to show in the gallery and on Create.
        open_studio(page, stack.url)
        assert wait_done(generate(page, f"a paper crane on a desk {word()}")) == "done"
        themes = ["light", "dark"] if width > 400 else ["light"]
        problems: dict[str, Any] = {}
        for theme in themes:
            page.get_by_label("Theme").select_option(theme)
            for name in SCREENS:
                page.get_by_role("navigation", name="Screens").get_by_role(
                    "link", name=name.capitalize()
                ).click()
                expect(page.locator("main h1").first).to_be_visible()
                if name == "gallery":
                    expect(
                        page.get_by_label("Images, newest first").get_by_role("button").first
                    ).to_be_visible()
                if name == "settings":
                    expect(page.get_by_role("heading", name="OpenAI", exact=True)).to_be_visible()
                tag = f"{name}-{'desktop' if width > 400 else 'phone'}-{theme}"
                screenshot(page, tag)
                found = check_axe(page, tag)
                if found:
                    problems[tag] = found
        # The lightbox is a screen of its own.
        page.get_by_role("link", name="Gallery").click()
        page.get_by_label("Images, newest first").get_by_role("button").first.click()
        expect(page.get_by_role("dialog")).to_be_visible()
        tag = f"lightbox-{'desktop' if width > 400 else 'phone'}"
        screenshot(page, tag)
        if found := check_axe(page, tag):
            problems[tag] = found
        assert not problems, json.dumps(problems, indent=1)
    finally:
        context.close()


def test_large_references_are_compressed_to_the_server_limit(studio: Any, stack: RunningStack) -> None:
    limit = httpx.get(f"{stack.url}/api/capabilities").json()["limits"]["maxRefB64Bytes"]
    noisy = Image.frombytes("RGB", (3000, 2400), os.urandom(3000 * 2400 * 3))
    raw = io.BytesIO()
    noisy.save(raw, "PNG")
    assert len(raw.getvalue()) * 4 / 3 > limit  # too big to send as it is
    open_studio(studio, stack.url)
    studio.get_by_label("Choose reference images").set_input_files(
        [{"name": "noise.png", "mimeType": "image/png", "buffer": raw.getvalue()}]
    )
    ref = studio.get_by_role("img", name="Reference 1: noise.png")
    expect(ref).to_be_visible()
    size = ref.evaluate(
        "img => ({b64: img.src.length - img.src.indexOf(',') - 1, w: img.naturalWidth, h: img.naturalHeight})"
    )
    assert size["b64"] <= limit and max(size["w"], size["h"]) <= 2048, size
    card = generate(studio, f"a reference that had to shrink {word()}")
    assert wait_done(card) == "done", card.inner_text()


def test_on_a_phone_generate_shows_where_the_result_appears(
    chromium_browser: Any, stack: RunningStack
) -> None:
    context = chromium_browser.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
    )
    page = context.new_page()
    try:
        open_studio(page, stack.url)
        results = page.get_by_role("heading", name="Results")
        page.get_by_text("Options", exact=True).click()  # the options push the results below the fold
        expect(page.get_by_label("Storyboard keyframes")).to_be_visible()
        expect(results).not_to_be_in_viewport()
        page.get_by_label("Prompt", exact=True).fill(f"a phone-sized request {word()}")
        page.get_by_role("button", name="Generate", exact=True).click()
        expect(results).to_be_in_viewport()
    finally:
        context.close()


def test_partial_previews_show_while_the_image_streams(studio: Any, stack: RunningStack) -> None:
    sandbox_fault(stack, upstream="openai", path="/responses", mode="slow-stream", delay=0.4, count=0)
    try:
        open_studio(studio, stack.url)
        card = generate(studio, f"a slowly drawn fox {word()}", provider="api")
        expect(card.get_by_role("img", name="Partial preview")).to_be_visible(timeout=30_000)
        expect(card).to_contain_text("preview")
        assert wait_done(card) == "done", card.inner_text()
        expect(card.get_by_role("img", name="Partial preview")).to_have_count(0)
        expect(card.get_by_role("img", name=re.compile("^Result 1: "))).to_be_visible()
    finally:
        clear_faults(stack)
