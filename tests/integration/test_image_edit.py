"""POST /api/edit end to end: the edited image, its stored file and metadata, what reached the upstream."""

from __future__ import annotations

import httpx

from tests.image_support import (
    EventWatch,
    b64,
    data_url,
    decode_image,
    history_rows,
    png_bytes,
    rid,
    stored,
    upstream_calls,
)
from tests.stackctl import RunningStack


async def test_edit_returns_the_saved_image_with_metadata(
    client: httpx.AsyncClient, sandbox: httpx.AsyncClient, stack: RunningStack
) -> None:
    await sandbox.delete("/_sandbox/requests")
    source = png_bytes(64, 48, "RGB", (10, 120, 200, 255))
    ref = png_bytes(8, 8)
    request_id = rid()
    response = await client.post(
        "/api/edit",
        json={
            "prompt": "make the sky orange",
            "image": data_url(source),
            "references": [b64(ref)],
            "provider": "api",
            "quality": "low",
            "size": "1024x1024",
            "requestId": request_id,
            "sessionId": "s_edit_session",
        },
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["requestId"] == request_id and body["provider"] == "api" and body["refsCount"] == 1
    assert body["url"] == f"/generated/{body['filename']}"
    assert decode_image(body["image"]).size == (1024, 1024)
    assert body["filename"].endswith(".png") and "_multimode_" not in body["filename"]

    kept = stored(stack, body["filename"])
    assert kept.sidecar["kind"] == "edit" and kept.sidecar["requestId"] == request_id
    assert kept.sidecar["prompt"] == "make the sky orange" and kept.sidecar["sessionId"] == "s_edit_session"
    assert kept.xmp["kind"] == "edit" and kept.xmp["sessionId"] == "s_edit_session"
    assert kept.xmp["refsCount"] == 1 and kept.xmp["requestId"] == request_id
    rows = await history_rows(client, requestId=request_id)
    assert [row["filename"] for row in rows] == [body["filename"]]
    assert rows[0]["sessionId"] == "s_edit_session"

    calls = await upstream_calls(sandbox, "api", "/responses")
    assert len(calls) == 1
    content = calls[0]["json"]["input"][-1]["content"]
    images = [part for part in content if part["type"] == "input_image"]
    assert len(images) == 2  # the edited image first, then the reference
    assert images[0]["image_url"].startswith("data:image/png;base64,") or images[0]["image_url"].startswith(
        "<b64:"
    )
    texts = [part["text"] for part in content if part["type"] == "input_text"]
    assert any("make the sky orange" in text and text.startswith("Edit this image") for text in texts)


async def test_masked_edit_sends_the_mask_as_guidance(
    client: httpx.AsyncClient, sandbox: httpx.AsyncClient, stack: RunningStack
) -> None:
    await sandbox.delete("/_sandbox/requests")
    source = png_bytes(32, 32, "RGB")
    mask = png_bytes(32, 32, "RGBA", (0, 0, 0, 0))
    response = await client.post(
        "/api/edit",
        json={"prompt": "a hat", "image": b64(source), "mask": data_url(mask), "provider": "api"},
    )
    assert response.status_code == 200, response.text
    assert stored(stack, response.json()["filename"]).sidecar["maskUsed"] is True
    content = (await upstream_calls(sandbox, "api", "/responses"))[0]["json"]["input"][-1]["content"]
    assert [p["type"] for p in content].count("input_image") == 2  # image + mask
    assert any("mask" in p.get("text", "") for p in content if p["type"] == "input_text")


async def test_edit_over_oauth_and_async_mode_publishes_events(
    client: httpx.AsyncClient, sandbox: httpx.AsyncClient, stack: RunningStack
) -> None:
    await sandbox.delete("/_sandbox/requests")
    request_id = rid()
    async with EventWatch(client) as watch:
        accepted = await client.post(
            "/api/edit",
            json={
                "prompt": "oauth edit",
                "image": b64(png_bytes(16, 16)),
                "provider": "oauth",
                "async": True,
                "requestId": request_id,
            },
        )
        assert accepted.status_code == 202 and accepted.json()["requestId"] == request_id
        mine = await watch.job(request_id)
    assert mine[0].event == "phase" and mine[-1].event == "done", [f.event for f in mine]
    done = mine[-1].data
    assert done["provider"] == "oauth" and stored(stack, done["filename"]).sidecar["kind"] == "edit"
    assert await upstream_calls(sandbox, "oauth", "/responses")
