"""Annotations, canvas versions, the prompt library and storage support through the gateway,
on SQLite and on PostgreSQL."""

from __future__ import annotations

import io
import os
import uuid
from typing import Any

import pytest
from PIL import Image

from tests.integration.library_stacks import (  # noqa: F401
    Api,
    api_fixture,
    import_image,
    nested_error,
    pg_stack_fixture,
    png_bytes,
)


def uid() -> str:
    return uuid.uuid4().hex[:10]


# Annotations


async def test_annotations_per_browser(api: Api) -> None:
    name = (await import_image(api))["filename"]
    url = f"/api/annotations/{name}"
    mine, theirs = {"X-Ima2-Browser-Id": f"b-{uid()}"}, {"X-Ima2-Browser-Id": f"b-{uid()}"}
    assert (await api.http.get(url, headers=mine)).json() == {"annotations": None}
    payload = {
        "paths": [{"points": [[1, 2], [3, 4]], "color": "#f00"}],
        "boxes": [{"x": 1, "y": 2, "w": 3, "h": 4}],
        "memos": [],
    }
    assert (await api.http.put(url, json=payload, headers=mine)).json() == {"ok": True}
    assert (await api.http.get(url, headers=mine)).json() == {"annotations": payload}
    assert (await api.http.get(url, headers=theirs)).json() == {"annotations": None}
    wrapped = {"annotations": {"paths": "not a list", "memos": [{"text": "hi"}]}}
    assert (await api.http.put(url, json=wrapped, headers=mine)).status_code == 200
    assert (await api.http.get(url, headers=mine)).json() == {
        "annotations": {"paths": [], "boxes": [], "memos": [{"text": "hi"}]}
    }

    nested_error(await api.http.get(url), 400, "BROWSER_ID_REQUIRED")
    nested_error(await api.http.put(url, json=payload), 400, "BROWSER_ID_REQUIRED")
    nested_error(await api.http.put(url, json={"annotations": [1]}, headers=mine), 400, "INVALID_ANNOTATION")
    big = {"paths": [{"d": "x" * (256 * 1024)}], "boxes": [], "memos": []}
    nested_error(await api.http.put(url, json=big, headers=mine), 413, "ANNOTATION_TOO_LARGE")
    nested_error(
        await api.http.put(url, content=b"x" * (1100 * 1024), headers=mine), 413, "ANNOTATION_TOO_LARGE"
    )
    nested_error(
        await api.http.put(f"/api/annotations/missing-{uid()}.png", json=payload, headers=mine),
        404,
        "ASSET_NOT_FOUND",
    )
    nested_error(await api.http.get("/api/annotations/.hidden.png", headers=mine), 400, "INVALID_FILENAME")
    assert (await api.http.get(url, headers=mine)).json()["annotations"]["memos"] == [{"text": "hi"}]

    assert (await api.http.delete(url, headers=mine)).json() == {"ok": True}
    assert (await api.http.get(url, headers=mine)).json() == {"annotations": None}
    nested_error(await api.http.delete(url), 400, "BROWSER_ID_REQUIRED")


# Canvas versions


async def test_canvas_versions(api: Api) -> None:
    source = (await import_image(api))["filename"]
    png = png_bytes((40, 40), (0, 128, 0))
    created = await api.http.post(
        "/api/canvas-versions",
        params={"sourceFilename": source},
        content=png,
        headers={"content-type": "image/png", "X-Ima2-Canvas-Prompt": "merged%20sketch"},
    )
    assert created.status_code == 201, created.text
    item = created.json()["item"]
    name = item["filename"]
    assert name.startswith(f"canvas-{source.rsplit('.', 1)[0]}-") and name.endswith(".png")
    assert (
        item["canvasVersion"] is True
        and item["canvasSourceFilename"] == source
        and item["prompt"] == "merged sketch"
    )
    assert item["canvasEditableFilename"] == name and item["image"] == item["url"] == f"/generated/{name}"
    listed = (await api.http.get("/api/history", params={"limit": 20})).json()["items"]
    assert name in {i["filename"] for i in listed}

    updated = await api.http.put(
        f"/api/canvas-versions/{name}",
        content=png_bytes((60, 30), (9, 9, 9)),
        headers={"content-type": "image/png"},
    )
    assert updated.status_code == 200, updated.text
    assert updated.json()["item"]["filename"] == name and updated.json()["item"]["prompt"] == "merged sketch"
    served = await api.http.get(f"/generated/{name}", headers={"Cache-Control": "no-cache"})
    assert Image.open(io.BytesIO(served.content)).size == (60, 30)

    nested_error(
        await api.http.post("/api/canvas-versions", params={"sourceFilename": source}, content=b""),
        400,
        "EMPTY_CANVAS_VERSION",
    )
    jpeg = io.BytesIO()
    Image.new("RGB", (4, 4)).save(jpeg, "JPEG")
    nested_error(
        await api.http.post(
            "/api/canvas-versions", params={"sourceFilename": source}, content=jpeg.getvalue()
        ),
        400,
        "CANVAS_VERSION_NOT_PNG",
    )
    nested_error(await api.http.post("/api/canvas-versions", content=png), 400, "CANVAS_SOURCE_REQUIRED")
    nested_error(
        await api.http.put("/api/canvas-versions/not-a-canvas.png", content=png),
        400,
        "INVALID_CANVAS_VERSION_FILENAME",
    )
    nested_error(
        await api.http.put(f"/api/canvas-versions/canvas-missing-{uid()}.png", content=png),
        404,
        "CANVAS_VERSION_NOT_FOUND",
    )


# Prompt library


async def test_prompt_crud_and_favorites(api: Api) -> None:
    tag = f"t{uid()}"
    created = await api.http.post(
        "/api/prompts", json={"text": f"a lighthouse at dusk {tag}", "tags": [tag, "sea"], "mode": "direct"}
    )
    assert created.status_code == 201
    prompt = created.json()["prompt"]
    assert prompt["name"] == f"a lighthouse at dusk {tag}"[:30] and prompt["folderId"] == "__root__"
    assert prompt["tags"] == [tag, "sea"] and prompt["mode"] == "direct" and prompt["isFavorite"] is False
    pid = prompt["id"]
    assert (await api.http.get(f"/api/prompts/{pid}")).json()["prompt"] == prompt

    listed = (await api.http.get("/api/prompts", params={"search": tag.upper()})).json()
    assert [p["id"] for p in listed["prompts"]] == [pid] and isinstance(listed["folders"], list)
    patched = (
        await api.http.patch(f"/api/prompts/{pid}", json={"name": "Lighthouse", "tags": ["x"]})
    ).json()["prompt"]
    assert patched["name"] == "Lighthouse" and patched["tags"] == ["x"] and patched["text"] == prompt["text"]

    favorite = (await api.http.post(f"/api/prompts/{pid}/favorite")).json()
    assert favorite["isFavorite"] is True and isinstance(favorite["favoritedAt"], int)
    favorites = (await api.http.get("/api/prompts", params={"favoritesOnly": "1"})).json()["prompts"]
    assert pid in {p["id"] for p in favorites}
    assert (await api.http.post(f"/api/prompts/{pid}/favorite")).json() == {
        "isFavorite": False,
        "favoritedAt": None,
    }

    assert (await api.http.delete(f"/api/prompts/{pid}")).json() == {"ok": True}
    assert pid not in {p["id"] for p in (await api.http.get("/api/prompts")).json()["prompts"]}
    trashed = (await api.http.get("/api/prompts", params={"folderId": "__trash__"})).json()["prompts"]
    assert pid in {p["id"] for p in trashed}

    nested_error(await api.http.post("/api/prompts", json={"text": "  "}), 400, "INVALID_PROMPT")
    nested_error(await api.http.post("/api/prompts", json={"text": "t", "tags": "x"}), 400, "INVALID_PROMPT")
    nested_error(await api.http.patch(f"/api/prompts/{pid}", json={}), 400, "INVALID_PROMPT")
    nested_error(
        await api.http.post("/api/prompts", json={"text": "t", "folderId": "nope"}), 404, "FOLDER_NOT_FOUND"
    )
    for method, path in (
        ("GET", "/api/prompts/nope"),
        ("PATCH", "/api/prompts/nope"),
        ("DELETE", "/api/prompts/nope"),
        ("POST", "/api/prompts/nope/favorite"),
    ):
        nested_error(
            await api.http.request(method, path, json={"name": "n"} if method == "PATCH" else None),
            404,
            "PROMPT_NOT_FOUND",
        )


async def test_prompt_folders(api: Api) -> None:
    name = f"Folder {uid()}"
    created = await api.http.post("/api/prompts/folders", json={"name": name})
    assert created.status_code == 201
    folder = created.json()["folder"]
    assert folder["name"] == name and folder["parentId"] == "__root__"
    nested_error(
        await api.http.post("/api/prompts/folders", json={"name": name.upper()}), 409, "FOLDER_EXISTS"
    )
    nested_error(await api.http.post("/api/prompts/folders", json={"name": " "}), 400, "INVALID_FOLDER")
    nested_error(
        await api.http.post("/api/prompts/folders", json={"name": "x", "parentId": "nope"}),
        404,
        "FOLDER_NOT_FOUND",
    )
    child = (
        await api.http.post("/api/prompts/folders", json={"name": "child", "parentId": folder["id"]})
    ).json()["folder"]
    assert child["parentId"] == folder["id"]

    inside = (
        await api.http.post("/api/prompts", json={"text": f"in folder {uid()}", "folderId": folder["id"]})
    ).json()["prompt"]
    in_folder = (await api.http.get("/api/prompts", params={"folderId": folder["id"]})).json()["prompts"]
    assert [p["id"] for p in in_folder] == [inside["id"]]
    renamed = (
        await api.http.patch(f"/api/prompts/folders/{folder['id']}", json={"name": f"{name} renamed"})
    ).json()["folder"]
    assert renamed["name"] == f"{name} renamed"
    assert folder["id"] in {f["id"] for f in (await api.http.get("/api/prompts/folders")).json()["folders"]}
    nested_error(await api.http.patch(f"/api/prompts/folders/{folder['id']}", json={}), 400, "INVALID_FOLDER")
    nested_error(
        await api.http.patch("/api/prompts/folders/nope", json={"name": "n"}), 404, "FOLDER_NOT_FOUND"
    )
    nested_error(await api.http.delete("/api/prompts/folders/__root__"), 400, "INVALID_FOLDER")

    assert (await api.http.delete(f"/api/prompts/folders/{folder['id']}")).json() == {"ok": True}
    assert (await api.http.get(f"/api/prompts/{inside['id']}")).json()["prompt"]["folderId"] == "__root__"
    other = (await api.http.post("/api/prompts/folders", json={"name": f"Other {uid()}"})).json()["folder"]
    doomed = (
        await api.http.post("/api/prompts", json={"text": f"doomed {uid()}", "folderId": other["id"]})
    ).json()["prompt"]
    assert (
        await api.http.delete(f"/api/prompts/folders/{other['id']}", params={"strategy": "deleteItems"})
    ).json() == {"ok": True}
    assert (await api.http.get(f"/api/prompts/{doomed['id']}")).json()["prompt"]["folderId"] == "__trash__"
    nested_error(await api.http.delete(f"/api/prompts/folders/{other['id']}"), 404, "FOLDER_NOT_FOUND")


async def test_prompt_import_export(api: Api) -> None:
    marker = uid()
    document = {
        "folders": [{"id": f"f-{marker}", "name": f"Imported {marker}", "parentId": "__root__"}],
        "prompts": [
            {
                "id": f"p1-{marker}",
                "name": "one",
                "text": f"first {marker}",
                "tags": ["a"],
                "folderId": f"f-{marker}",
                "isFavorite": True,
            },
            {"text": f"second {marker}", "mode": "direct"},
            {"text": f"second {marker}"},  # duplicate text in the same folder
            {"name": "no text"},
        ],
    }
    result = (await api.http.post("/api/prompts/import", json=document)).json()
    assert result == {"foldersCreated": 1, "promptsImported": 2, "duplicatesSkipped": 1}
    again = (await api.http.post("/api/prompts/import", json=document)).json()
    assert again == {"foldersCreated": 0, "promptsImported": 0, "duplicatesSkipped": 3}

    exported = (await api.http.get("/api/prompts/export")).json()
    assert exported["version"] == 1 and exported["exportedAt"].endswith("Z")
    mine = {p["text"]: p for p in exported["prompts"] if marker in p["text"]}
    assert (
        mine[f"first {marker}"]["folderId"] == f"f-{marker}" and mine[f"first {marker}"]["isFavorite"] is True
    )
    assert mine[f"second {marker}"]["folderId"] == "__root__" and mine[f"second {marker}"]["mode"] == "direct"
    assert {"id": f"f-{marker}", "name": f"Imported {marker}", "parentId": "__root__"} in exported["folders"]
    nested_error(await api.http.post("/api/prompts/import", json={"prompts": "nope"}), 400, "INVALID_PROMPT")
    nested_error(await api.http.post("/api/prompts/import", content=b"[]"), 400, "INVALID_BODY")


# Storage support


async def test_storage_status_shape(api: Api) -> None:
    await import_image(api)
    response = await api.http.get("/api/storage/status")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"ok", "data"} and body["ok"] is True
    data: dict[str, Any] = body["data"]
    assert set(data) == {
        "generatedDirLabel",
        "generatedCount",
        "legacyCandidatesScanned",
        "legacySourcesFound",
        "legacyFilesFound",
        "state",
        "messageKind",
        "recoveryDocsPath",
        "doctorCommand",
        "overrides",
    }
    assert data["generatedCount"] >= 1 and data["state"] == "ok" and data["messageKind"] == "ok"
    assert data["generatedDirLabel"].endswith("generated") and data["legacyCandidatesScanned"] > 0
    assert data["recoveryDocsPath"] == "docs/RECOVER_OLD_IMAGES.md" and data["doctorCommand"] == "ima2 doctor"
    assert data["overrides"] == {"generatedDir": False, "configDir": True}


async def test_open_generated_dir_without_a_desktop(api: Api) -> None:
    if os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"):
        pytest.skip("this machine has a desktop session; the success path is in test_library_crash")
    response = await api.http.post("/api/storage/open-generated-dir")
    body = nested_error(response, 500, "OPEN_GENERATED_DIR_FAILED")
    assert body["ok"] is False
