"""One generation end to end: gateway → svc-image → sandbox OpenAI → svc-library → disk, history, media."""

from __future__ import annotations

import asyncio
import base64
import io
import json
import uuid

import httpx
from PIL import Image

from ima2_common.media import strip_data_url
from tests.sse import collect
from tests.stackctl import RunningStack


def rid() -> str:
    return f"req_test_{uuid.uuid4().hex[:12]}"


async def generate(client: httpx.AsyncClient, **fields: object) -> httpx.Response:
    body = {"prompt": "a shiba in space", "provider": "api", "quality": "low", **fields}
    return await client.post("/api/generate", json=body)


async def test_blocking_generate_returns_the_saved_image(
    client: httpx.AsyncClient, sandbox: httpx.AsyncClient, stack: RunningStack
) -> None:
    await sandbox.delete("/_sandbox/requests")
    request_id = rid()
    response = await generate(client, size="1536x1024", requestId=request_id, format="png")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["requestId"] == request_id
    assert body["provider"] == "api" and body["size"] == "1536x1024" and body["quality"] == "low"
    assert isinstance(body["elapsed"], float) and isinstance(body["createdAt"], int)
    mime, payload = strip_data_url(body["image"])
    assert mime == "image/png"
    image = Image.open(io.BytesIO(base64.b64decode(payload)))
    assert image.size == (1536, 1024)
    folder = stack.home / "generated"
    stored = (folder / body["filename"]).read_bytes()
    assert Image.open(io.BytesIO(stored)).tobytes() == image.tobytes()
    assert b"ima2:GenerationMetadata" in stored  # generation metadata embedded as XMP
    sidecar = json.loads((folder / f"{body['filename']}.json").read_text())
    assert sidecar["prompt"] == "a shiba in space" and sidecar["requestId"] == request_id
    assert sidecar["provider"] == "api" and sidecar["kind"] == "classic"
    # the emulator draws and revises the subject, as a real model does, not our research request
    assert body["revisedPrompt"] == sidecar["revisedPrompt"] == "a shiba in space"
    assert (folder / body["filename"].replace(".png", ".thumb.jpg")).exists()

    upstream = (await sandbox.get("/_sandbox/requests", params={"upstream": "openai"})).json()["requests"]
    call = next(r for r in upstream if r["path"].endswith("/responses"))
    assert call["method"] == "POST"
    assert call["headers"]["authorization"].startswith("Bearer sk-san")
    tool = next(t for t in call["json"]["tools"] if t["type"] == "image_generation")
    assert tool["size"] == "1536x1024" and tool["quality"] == "low" and tool["moderation"] == "low"
    assert call["json"]["stream"] is True


async def test_history_lists_new_items_first_with_cursor_pages(client: httpx.AsyncClient) -> None:
    made = []
    for index in range(3):
        response = await generate(client, prompt=f"history item {index}")
        assert response.status_code == 200, response.text
        made.append(response.json()["filename"])
    first = (await client.get("/api/history", params={"limit": 2})).json()
    assert [item["filename"] for item in first["items"]] == made[::-1][:2]
    assert first["total"] >= 3 and first["nextCursor"]
    item = first["items"][0]
    assert item["url"] == f"/generated/{item['filename']}" and item["prompt"] == "history item 2"
    assert item["thumb"].endswith(".thumb.jpg")
    cursor = first["nextCursor"]
    second = (await client.get("/api/history", params={"limit": 2, **cursor})).json()
    assert second["items"][0]["filename"] == made[0]
    seen = {i["filename"] for i in first["items"]}
    assert not seen & {i["filename"] for i in second["items"]}


async def test_media_is_served_with_ranges_and_sidecars_are_private(client: httpx.AsyncClient) -> None:
    filename = (await generate(client)).json()["filename"]
    full = await client.get(f"/generated/{filename}")
    assert full.status_code == 200 and full.headers["content-type"] == "image/png"
    assert "immutable" in full.headers["cache-control"]
    part = await client.get(f"/generated/{filename}", headers={"Range": "bytes=0-99"})
    assert part.status_code == 206 and len(part.content) == 100 and part.content == full.content[:100]
    assert part.headers["content-range"].startswith("bytes 0-99/")
    etag = full.headers["etag"]
    assert (await client.get(f"/generated/{filename}", headers={"If-None-Match": etag})).status_code == 304
    assert (await client.get(f"/generated/{filename}.json")).status_code == 404
    thumb = await client.get(f"/generated/{filename.replace('.png', '.thumb.jpg')}")
    assert thumb.status_code == 200 and thumb.headers["content-type"] == "image/jpeg"


async def test_names_that_escape_the_folder_are_refused(
    client: httpx.AsyncClient, stack: RunningStack
) -> None:
    (stack.home / "secret.txt").write_text("outside")
    for raw in (
        "/generated/%2e%2e/secret.txt",
        "/generated/..%2fsecret.txt",
        "/generated/%2e%2e%2fserver.json",
        "/generated/.trash/x.png",
        "/generated/a%5c..%5csecret.txt",
        "/generated/%00.png",
    ):
        response = await client.get(httpx.URL(stack.url + raw))
        assert response.status_code in (400, 404), raw
        assert "outside" not in response.text
    link = stack.home / "generated" / "link.png"
    link.symlink_to(stack.home / "secret.txt")
    assert (await client.get("/generated/link.png")).status_code == 404


async def test_async_generate_streams_events_with_increasing_ids(
    client: httpx.AsyncClient, stack: RunningStack
) -> None:
    request_id = rid()
    async with client.stream("GET", "/api/events") as events:
        assert events.headers["content-type"].startswith("text/event-stream")
        accepted = await generate(client, requestId=request_id, **{"async": True})
        assert accepted.status_code == 202
        assert accepted.json()["requestId"] == request_id
        frames = await collect(
            events, lambda f: f.event in ("done", "error") and f.data["jobId"] == request_id
        )
    mine = [f for f in frames if f.data and f.data.get("jobId") == request_id]
    assert mine[0].event == "phase" and mine[-1].event == "done"
    assert all(f.data["requestId"] == request_id for f in mine)
    ids = [f.id for f in mine]
    numbers = [i for i in ids if isinstance(i, int)]
    assert numbers == ids and ids == sorted(numbers) and len(set(ids)) == len(ids)
    assert mine[-1].data["filename"].endswith(".png")
    assert "phase" in {f.event for f in mine}
    # The stream carried a reference; the gateway sends the spec's data URL of the stored file.
    done = mine[-1].data
    assert "mediaRef" not in done and done["image"].startswith("data:image/png;base64,")
    stored = (stack.home / "generated" / done["filename"]).read_bytes()
    assert base64.b64decode(strip_data_url(done["image"])[1]) == stored


async def image_calls(sandbox: httpx.AsyncClient) -> list[dict[str, object]]:
    requests = (await sandbox.get("/_sandbox/requests", params={"upstream": "openai"})).json()["requests"]
    return [r for r in requests if r["path"].endswith("/responses")]


async def test_n_greater_than_one_returns_every_image(
    client: httpx.AsyncClient, sandbox: httpx.AsyncClient
) -> None:
    await sandbox.delete("/_sandbox/requests")
    response = await generate(client, n=3)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["count"] == 3 and len(body["images"]) == 3
    assert len({image["filename"] for image in body["images"]}) == 3
    assert all(image["image"].startswith("data:image/png;base64,") for image in body["images"])
    assert len(await image_calls(sandbox)) == 3  # n independent upstream calls


async def test_parallel_generations_all_land(client: httpx.AsyncClient, sandbox: httpx.AsyncClient) -> None:
    await sandbox.delete("/_sandbox/requests")
    responses = await asyncio.gather(*(generate(client, prompt=f"parallel {i}") for i in range(6)))
    assert [r.status_code for r in responses] == [200] * 6
    prompts = [str(call["json"]) for call in await image_calls(sandbox)]
    assert len(prompts) == 6 and all(any(f"parallel {i}" in p for p in prompts) for i in range(6))
