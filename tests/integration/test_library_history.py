"""History, favourites, trash/restore/permanent delete, imports, thumbnails, metadata and node reads
through the gateway, on SQLite and on PostgreSQL."""

from __future__ import annotations

import base64
import io
import os
import time
import uuid
from typing import Any

import httpx
from PIL import Image

from tests.integration.library_stacks import (  # noqa: F401
    Api,
    api_fixture,
    import_image,
    nested_error,
    pg_stack_fixture,
    png_bytes,
    save_media,
)


def uid() -> str:
    return uuid.uuid4().hex[:12]


async def history(api: Api, headers: dict[str, str] | None = None, **params: Any) -> dict[str, Any]:
    response = await api.http.get("/api/history", params=params, headers=headers or {})
    assert response.status_code == 200, response.text
    return response.json()


async def test_history_filters_pages_and_groups(api: Api) -> None:
    title = f"grouping {uid()}"
    sid = (await api.http.post("/api/sessions", json={"title": title})).json()["session"]["id"]
    base = int(time.time() * 1000)  # newer than anything stored before this test
    request_id = f"req_{uid()}"
    names = []
    for i in range(5):
        meta = {
            "createdAt": base + i,
            "sessionId": sid,
            "requestId": request_id if i == 2 else f"req_{uid()}",
        }
        names.append(await save_media(api, meta))
    loose = await save_media(api, {"createdAt": base + 5, "requestId": f"req_{uid()}"})
    newest_first = names[::-1]

    page = await history(api, sessionId=sid, limit=2)
    assert [i["filename"] for i in page["items"]] == newest_first[:2] and page["total"] == 5
    assert page["nextCursor"] == {"before": base + 3, "beforeFilename": names[3]}
    seen = [i["filename"] for i in page["items"]]
    while page["nextCursor"]:
        page = await history(api, sessionId=sid, limit=2, **page["nextCursor"])
        seen += [i["filename"] for i in page["items"]]
    assert seen == newest_first
    item = (await history(api, requestId=request_id))["items"]
    assert [i["filename"] for i in item] == [names[2]] and item[0]["sessionId"] == sid
    assert item[0]["url"] == f"/generated/{names[2]}" and item[0]["thumb"].endswith(".thumb.jpg")
    recent = await history(api, since=base + 2)
    assert [i["filename"] for i in recent["items"]] == [loose, names[4], names[3]] and recent["total"] == 3

    grouped = await history(api, groupBy="session", since=base - 1)
    assert grouped["total"] == 6 and grouped["nextCursor"] is None
    assert [i["filename"] for i in grouped["loose"]] == [loose]
    group = next(g for g in grouped["sessions"] if g["sessionId"] == sid)
    assert group["title"] == title and group["label"] == title and group["lastUsedAt"] == base + 4
    assert [i["filename"] for i in group["items"]] == newest_first
    nested_error(await api.http.get("/api/history", params={"before": "yesterday"}), 400, "INVALID_REQUEST")


async def test_history_search_by_prompt(api: Api) -> None:
    word = f"zq{uid()}"  # a word no other test stores
    base = int(time.time() * 1000)
    lighthouse = await save_media(api, {"createdAt": base, "prompt": f"A {word} lighthouse at dusk"})
    harbour = await save_media(
        api, {"createdAt": base + 1, "prompt": f"{word.upper()} harbour, Lighthouses far"}
    )
    user_only = await save_media(api, {"createdAt": base + 2, "userPrompt": f"été {word} meadow"})
    await save_media(api, {"createdAt": base + 3, "prompt": "a lighthouse without the marker word"})
    await save_media(api, {"createdAt": base + 4, "prompt": "{not json", "userPrompt": 7})

    found = await history(api, q=word)
    assert [i["filename"] for i in found["items"]] == [user_only, harbour, lighthouse]
    assert found["total"] == 3
    # Every word must match, as a word prefix, case-insensitively, in any order, in any script.
    both = await history(api, q=f"lightho {word}")
    assert [i["filename"] for i in both["items"]] == [harbour, lighthouse] and both["total"] == 2
    assert [i["filename"] for i in (await history(api, q=f"ét {word}"))["items"]] == [user_only]
    assert (await history(api, q=f"{word} submarine"))["total"] == 0
    # Query syntax of either engine is plain text here: quotes, operators and stars match nothing special.
    assert [i["filename"] for i in (await history(api, q=f'"{word}" * -(:* & |'))["items"]] == [
        user_only,
        harbour,
        lighthouse,
    ]
    # Cursor pages over the matches; deleted rows leave the results; restored rows come back.
    page = await history(api, q=word, limit=2)
    assert [i["filename"] for i in page["items"]] == [user_only, harbour] and page["total"] == 3
    rest = await history(api, q=word, limit=2, **page["nextCursor"])
    assert [i["filename"] for i in rest["items"]] == [lighthouse] and rest["nextCursor"] is None
    deleted = (await api.http.delete(f"/api/history/{harbour}")).json()
    assert [i["filename"] for i in (await history(api, q=word))["items"]] == [user_only, lighthouse]
    restored = await api.http.post(f"/api/history/{harbour}/restore", json={"trashId": deleted["trashId"]})
    assert restored.status_code == 200, restored.text
    assert (await history(api, q=word))["total"] == 3
    grouped = await history(api, q=word, groupBy="session")
    assert sorted(i["filename"] for i in grouped["loose"]) == sorted([user_only, harbour, lighthouse])


async def test_favorites_are_per_browser(api: Api) -> None:
    item = await import_image(api)
    name = item["filename"]
    mine, theirs = {"X-Ima2-Browser-Id": f"b-{uid()}"}, {"X-Ima2-Browser-Id": f"b-{uid()}"}
    toggle = await api.http.post("/api/history/favorite", json={"filename": name}, headers=mine)
    assert toggle.json() == {"isFavorite": True}
    first = (await history(api, headers=mine, limit=50))["items"]
    assert next(i for i in first if i["filename"] == name)["isFavorite"] is True
    assert (
        next(i for i in (await history(api, headers=theirs, limit=50))["items"] if i["filename"] == name)[
            "isFavorite"
        ]
        is False
    )
    favorites = await history(api, headers=mine, favoritesOnly="1")
    assert [i["filename"] for i in favorites["items"]] == [name] and favorites["total"] == 1
    assert (await history(api, headers=theirs, favoritesOnly="true"))["total"] == 0
    assert (await history(api, favoritesOnly="1"))["items"] == []
    assert (await api.http.post("/api/history/favorite", json={"filename": name}, headers=mine)).json() == {
        "isFavorite": False
    }
    assert (await history(api, headers=mine, favoritesOnly="1"))["total"] == 0

    nested_error(
        await api.http.post("/api/history/favorite", json={"filename": name}), 400, "BROWSER_ID_REQUIRED"
    )
    nested_error(await api.http.post("/api/history/favorite", json={}, headers=mine), 400, "INVALID_FILENAME")
    nested_error(
        await api.http.post("/api/history/favorite", json={"filename": f"missing-{uid()}.png"}, headers=mine),
        404,
        "ASSET_NOT_FOUND",
    )


async def test_delete_restore_and_permanent_delete(api: Api) -> None:
    item = await import_image(api)
    name = item["filename"]
    sid = (await api.http.post("/api/sessions", json={"title": "uses the file"})).json()["session"]["id"]
    nodes = [
        {"id": "a", "data": {"imageUrl": f"/generated/{name}", "status": "done"}},
        {"id": "b", "data": {"imageUrl": f"http://localhost:3333/generated/{name}?v=1"}},
        {"id": "c", "data": {"imageUrl": "/generated/other.png"}},
    ]
    assert (
        await api.http.put(
            f"/api/sessions/{sid}/graph", json={"nodes": nodes, "edges": []}, headers={"If-Match": "0"}
        )
    ).status_code == 200

    deleted = await api.http.delete(f"/api/history/{name}")
    body = deleted.json()
    assert deleted.status_code == 200 and body["ok"] is True and body["filename"] == name
    assert (
        body["trash"] == "internal" and body["undoableInApp"] is True and body["trashId"].endswith(f"_{name}")
    )
    assert body["sessionsTouched"] == 1 and body["nodesTouched"] == 2
    session = (await api.http.get(f"/api/sessions/{sid}")).json()["session"]
    assert session["graphVersion"] == 2
    marked = {n["id"]: n["data"] for n in session["nodes"]}
    assert marked["a"]["status"] == "asset-missing" and marked["a"]["imageUrl"] is None
    assert marked["b"]["status"] == "asset-missing" and marked["c"]["imageUrl"] == "/generated/other.png"
    assert name not in {i["filename"] for i in (await history(api, limit=50))["items"]}
    assert (await api.http.get(f"/generated/{name}")).status_code == 404
    assert not (api.generated / name).exists() and not (api.generated / f"{name}.json").exists()

    nested_error(await api.http.delete(f"/api/history/{name}"), 404, "ASSET_NOT_FOUND")
    nested_error(await api.http.delete(f"/api/history/{name}/permanent"), 404, "ASSET_NOT_FOUND")
    nested_error(await api.http.post(f"/api/history/{name}/restore", json={}), 400, "TRASH_ID_REQUIRED")
    nested_error(
        await api.http.post(f"/api/history/{name}/restore", json={"trashId": "1_nothing.png"}),
        404,
        "TRASH_NOT_FOUND",
    )
    nested_error(
        await api.http.post(f"/api/history/{name}/restore", json={"trashId": "../../etc/passwd"}),
        404,
        "TRASH_NOT_FOUND",
    )
    nested_error(
        await api.http.post(f"/api/history/other-{name}/restore", json={"trashId": body["trashId"]}),
        404,
        "TRASH_NOT_FOUND",
    )

    restored = await api.http.post(f"/api/history/{name}/restore", json={"trashId": body["trashId"]})
    assert restored.status_code == 200 and restored.json()["ok"] is True
    assert restored.json()["item"]["filename"] == name and restored.json()["item"]["kind"] == "imported"
    assert name in {i["filename"] for i in (await history(api, limit=50))["items"]}
    served = await api.http.get(f"/generated/{name}")
    assert served.status_code == 200 and Image.open(io.BytesIO(served.content)).size == (48, 32)
    assert (await api.http.get(restored.json()["item"]["thumb"])).status_code == 200
    nested_error(
        await api.http.post(f"/api/history/{name}/restore", json={"trashId": body["trashId"]}),
        404,
        "TRASH_NOT_FOUND",
    )

    gone = await api.http.delete(f"/api/history/{name}/permanent")
    assert gone.json() == {"ok": True, "filename": name, "sessionsTouched": 0, "nodesTouched": 0}
    stem = name.rsplit(".", 1)[0]
    assert not any(p.name.startswith(stem) for p in api.generated.iterdir())
    assert name not in {i["filename"] for i in (await history(api, limit=50))["items"]}


async def test_restore_never_overwrites(api: Api) -> None:
    node = f"n_{uuid.uuid4().hex[:10]}"
    name = await save_media(api, {"sessionId": "s_x"}, kind="node", filename=node)
    trash_id = (await api.http.delete(f"/api/history/{name}")).json()["trashId"]
    again = await save_media(api, {"prompt": "second"}, kind="node", filename=node)
    assert again == name
    nested_error(
        await api.http.post(f"/api/history/{name}/restore", json={"trashId": trash_id}), 409, "ASSET_EXISTS"
    )
    node_read = (await api.http.get(f"/api/node/{node}")).json()
    assert node_read["meta"]["prompt"] == "second"


async def test_filenames_stay_inside_the_generated_dir(api: Api, tmp_path: Any) -> None:
    outside = tmp_path / "secret.png"
    outside.write_bytes(png_bytes())
    link = api.generated / f"link-{uid()}.png"
    os.symlink(outside, link)
    folder = api.generated / f"dir-{uid()}.png"
    folder.mkdir()
    try:
        nested_error(await api.http.delete(f"/api/history/{link.name}"), 400, "INVALID_FILENAME")
        nested_error(await api.http.delete(f"/api/history/{link.name}/permanent"), 400, "INVALID_FILENAME")
        nested_error(await api.http.delete(f"/api/history/{folder.name}"), 404, "ASSET_NOT_FOUND")
        nested_error(await api.http.delete("/api/history/.env.png"), 400, "INVALID_FILENAME")
        nested_error(await api.http.delete(f"/api/history/{'a' * 300}.png"), 400, "INVALID_FILENAME")
        item = await import_image(api)
        nested_error(await api.http.delete(f"/api/history/{item['filename']}.json"), 404, "ASSET_NOT_FOUND")
        assert outside.exists() and link.is_symlink() and folder.is_dir()
    finally:
        link.unlink()
        folder.rmdir()


async def test_import_local(api: Api) -> None:
    jpeg = io.BytesIO()
    Image.new("RGB", (20, 10), (200, 10, 10)).save(jpeg, "JPEG")
    item = await import_image(api, jpeg.getvalue(), **{"X-Ima2-Original-Filename": "holiday%20photo.jpg"})
    assert item["filename"].startswith("imported-") and item["filename"].endswith(".jpeg")
    assert item["kind"] == "imported" and item["originalFilename"] == "holiday photo.jpg"
    assert item["image"] == item["url"] and item["mime"] == "image/jpeg"
    assert (api.generated / f"{item['filename']}.json").exists()
    nested_error(
        await api.http.post("/api/history/import-local", content=b"", headers={"content-type": "image/png"}),
        400,
        "EMPTY_IMPORT",
    )
    nested_error(
        await api.http.post(
            "/api/history/import-local", content=b"GIF89a....", headers={"content-type": "image/png"}
        ),
        400,
        "IMPORT_BAD_FORMAT",
    )


async def test_backfill_thumbnails(api: Api) -> None:
    item = await import_image(api)
    thumb = api.generated / item["thumb"].rsplit("/", 1)[1]
    thumb.unlink()
    response = await api.http.post("/api/history/backfill-thumbnails")
    body = response.json()
    assert response.status_code == 200 and body["ok"] is True
    assert body["created"] >= 1 and body["total"] >= body["created"] + body["skipped"]
    assert thumb.exists() and Image.open(thumb).width <= 320


async def test_metadata_read(api: Api) -> None:
    item = await import_image(api)
    data = (api.generated / item["filename"]).read_bytes()
    url = "data:image/png;base64," + base64.b64encode(data).decode()
    found = (await api.http.post("/api/metadata/read", json={"dataUrl": url})).json()
    assert found["ok"] is True and found["source"] == "xmp" and found["warnings"] == []
    assert found["metadata"]["kind"] == "imported" and found["metadata"]["schema"] == "ima2.generation.v1"
    plain = "data:image/png;base64," + base64.b64encode(png_bytes()).decode()
    assert (await api.http.post("/api/metadata/read", json={"dataUrl": plain})).json() == {
        "ok": True,
        "metadata": None,
        "source": None,
        "code": "IMAGE_METADATA_NOT_FOUND",
        "warnings": [],
    }

    def keys_error(response: httpx.Response, status: int, code: str) -> None:
        assert response.status_code == status, response.text
        body = response.json()
        assert body["ok"] is False and body["code"] == code and isinstance(body["error"], str)

    keys_error(await api.http.post("/api/metadata/read", json={}), 400, "IMAGE_METADATA_INVALID")
    keys_error(
        await api.http.post("/api/metadata/read", json={"dataUrl": "data:image/png;base64,@@@"}),
        400,
        "IMAGE_METADATA_INVALID",
    )
    keys_error(
        await api.http.post("/api/metadata/read", json={"dataUrl": "data:image/gif;base64,R0lGOD"}),
        400,
        "IMAGE_METADATA_UNSUPPORTED_FORMAT",
    )
    big = "data:image/png;base64," + "A" * (12 * 1024 * 1024 + 8)
    keys_error(
        await api.http.post("/api/metadata/read", json={"dataUrl": big}), 413, "IMAGE_METADATA_TOO_LARGE"
    )


async def test_node_metadata_read(api: Api) -> None:
    node = f"n_{uuid.uuid4().hex[:10]}"
    name = await save_media(
        api,
        {"prompt": "node prompt", "sessionId": "s_node", "clientNodeId": "c1"},
        kind="node",
        filename=node,
    )
    response = await api.http.get(f"/api/node/{node}")
    assert response.status_code == 200
    body = response.json()
    assert body["nodeId"] == node and body["url"] == f"/generated/{name}"
    assert body["meta"]["prompt"] == "node prompt" and body["meta"]["clientNodeId"] == "c1"
    nested_error(await api.http.get("/api/node/n_0000000000"), 404, "NODE_NOT_FOUND")
    (api.generated / name).unlink()  # a vanished file is not a node any more
    nested_error(await api.http.get(f"/api/node/{node}"), 404, "NODE_NOT_FOUND")
