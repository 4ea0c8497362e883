"""The blocking video routes: frame, analyze, edit, native extension; and the library's handling of
videos (thumbnail backfill)."""

from __future__ import annotations

import base64
import io
from typing import Any

import httpx
import pytest
from PIL import Image

from ima2_common import catalog
from tests.image_support import files_of_request, history_rows
from tests.stackctl import RunningStack
from tests.video_support import (
    SIZES_480P,
    add_fault,
    generate_done,
    stored_video,
    unique,
    vid,
    video_body,
    video_calls,
)


@pytest.fixture
async def clip(client: httpx.AsyncClient) -> dict[str, Any]:
    """A fresh 3-second 9:16 clip."""
    return await generate_done(client, video_body(prompt=unique("clip"), duration=3, aspectRatio="9:16"))


async def test_frame_as_png(client: httpx.AsyncClient, clip: dict[str, Any], stack: RunningStack) -> None:
    for params in (
        {"file": clip["filename"]},
        {"file": clip["filename"], "position": "last"},
        {"file": clip["filename"], "position": "1.5"},
        {"file": str(stack.home / "generated" / clip["filename"]), "position": "0"},
    ):
        response = await client.get("/api/video/frame", params=params)
        assert response.status_code == 200 and response.headers["content-type"] == "image/png", params
        with Image.open(io.BytesIO(response.content)) as frame:
            assert frame.format == "PNG" and frame.size == SIZES_480P["9:16"]


@pytest.mark.parametrize(
    ("params", "status", "code"),
    [
        ({}, 400, "INVALID_VIDEO_SOURCE"),
        ({"file": "../ima2.db"}, 400, "INVALID_VIDEO_SOURCE"),
        ({"file": "/etc/passwd"}, 400, "INVALID_VIDEO_SOURCE"),
        ({"file": "https://example.com/a.mp4"}, 400, "INVALID_VIDEO_SOURCE"),
        ({"file": "1700000000000_00000000_0.png"}, 400, "INVALID_VIDEO_SOURCE"),
        ({"file": "1700000000000_00000000.mp4"}, 404, "ASSET_NOT_FOUND"),
    ],
)
async def test_frame_errors(
    params: dict[str, str], status: int, code: str, client: httpx.AsyncClient
) -> None:
    response = await client.get("/api/video/frame", params=params)
    assert response.status_code == status and response.json()["code"] == code


async def test_frame_position_errors(client: httpx.AsyncClient, clip: dict[str, Any]) -> None:
    bad = await client.get("/api/video/frame", params={"file": clip["filename"], "position": "-1"})
    assert bad.status_code == 400 and bad.json()["code"] == "INVALID_REQUEST"
    beyond = await client.get("/api/video/frame", params={"file": clip["filename"], "position": "600"})
    assert beyond.status_code == 500 and beyond.json()["code"] == "GROK_VIDEO_FRAME_FAILED"


@pytest.mark.parametrize("provider", catalog.VIDEO_PROVIDERS)
async def test_analyze_sends_first_and_last_frames(
    provider: str, client: httpx.AsyncClient, sandbox: httpx.AsyncClient, clip: dict[str, Any]
) -> None:
    await sandbox.delete("/_sandbox/requests")
    response = await client.post(
        "/api/video/analyze", json={"videoUrl": clip["filename"], "provider": provider}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["method"] == "first-last-frame" and body["model"] == "grok-4.3" and body["analysis"]
    [call] = await video_calls(sandbox, "/responses")
    assert call["upstream"] == ("progrok" if provider == "grok" else "xai")
    content = call["json"]["input"][0]["content"]
    assert [part["type"] for part in content] == ["input_image", "input_image", "input_text"]
    assert all(part["image_url"].startswith(("data:image/png;base64,", "<b64:")) for part in content[:2])
    assert "tools" not in call["json"]


@pytest.mark.parametrize(
    "video_url",
    ["https://example.com/clip.mp4", "data:video/mp4;base64,AAAA", "../x.mp4", "1700000000000_00000000.png"],
)
async def test_analyze_rejects_remote_and_inline_inputs(video_url: str, client: httpx.AsyncClient) -> None:
    response = await client.post("/api/video/analyze", json={"videoUrl": video_url})
    assert response.status_code == 400 and response.json()["code"] == "INVALID_VIDEO_SOURCE"


@pytest.mark.parametrize("provider", catalog.VIDEO_PROVIDERS)
async def test_edit_is_blocking_and_saves(
    provider: str,
    client: httpx.AsyncClient,
    sandbox: httpx.AsyncClient,
    clip: dict[str, Any],
    stack: RunningStack,
) -> None:
    request_id = vid()
    prompt = unique("make it sunset")
    body = {"prompt": prompt, "videoUrl": clip["filename"], "requestId": request_id, "provider": provider}
    response = await client.post("/api/video/edit", json=body)
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["sourceUrl"] == clip["filename"] and result["model"] == "grok-imagine-video"
    assert result["url"] == f"/generated/{result['filename']}" and result["xaiVideoRequestId"]
    saved = stored_video(stack, result["filename"])
    assert (
        abs(saved.probe.duration - 3) < 0.3 and (saved.probe.width, saved.probe.height) == SIZES_480P["9:16"]
    )
    assert (
        saved.sidecar["video"]["operation"] == "edit"
        and saved.sidecar["video"]["sourceVideo"] == clip["filename"]
    )
    assert saved.sidecar["requestId"] == request_id
    [edit] = [c for c in await video_calls(sandbox, "/videos/edits") if c["json"]["prompt"] == prompt]
    assert edit["json"]["model"] == "grok-imagine-video" and edit["json"]["video"]["url"].startswith("<b64:")
    assert set(edit["json"]) == {"model", "prompt", "video"}
    assert edit["upstream"] == ("progrok" if provider == "grok" else "xai")
    [row] = [r for r in await history_rows(client) if r["filename"] == result["filename"]]
    assert row["mediaType"] == "video"


@pytest.mark.parametrize("provider", catalog.VIDEO_PROVIDERS)
async def test_extend_adds_duration(
    provider: str,
    client: httpx.AsyncClient,
    sandbox: httpx.AsyncClient,
    clip: dict[str, Any],
    stack: RunningStack,
) -> None:
    body = {
        "prompt": unique("camera pulls back"),
        "videoUrl": clip["filename"],
        "duration": 2,
        "provider": provider,
    }
    response = await client.post("/api/video/extend", json=body)
    assert response.status_code == 200, response.text
    result = response.json()
    saved = stored_video(stack, result["filename"])
    assert result["duration"] == 5 and abs(saved.probe.duration - 5) < 0.3
    assert saved.sidecar["video"]["operation"] == "extend" and saved.sidecar["video"]["addedDuration"] == 2
    [call] = [
        c for c in await video_calls(sandbox, "/videos/extensions") if c["json"]["prompt"] == body["prompt"]
    ]
    assert call["json"]["duration"] == 2 and "resolution" not in call["json"]


async def test_edit_of_an_inline_video(
    client: httpx.AsyncClient, clip: dict[str, Any], stack: RunningStack
) -> None:
    data = (stack.home / "generated" / clip["filename"]).read_bytes()
    inline = "data:video/mp4;base64," + base64.b64encode(data).decode()
    response = await client.post("/api/video/edit", json={"prompt": "inline edit", "videoUrl": inline})
    assert response.status_code == 200, response.text
    assert stored_video(stack, response.json()["filename"]).probe.duration > 0


@pytest.mark.parametrize(
    ("video_url", "sent"),
    [
        ("https://vidgen.example.com/clip.mp4", {"url": "https://vidgen.example.com/clip.mp4"}),
        ("file_0123abcd", {"file_id": "file_0123abcd"}),
    ],
)
async def test_edit_of_remote_and_file_id_videos(
    video_url: str,
    sent: dict[str, str],
    client: httpx.AsyncClient,
    sandbox: httpx.AsyncClient,
    stack: RunningStack,
) -> None:
    prompt = unique("remote edit")
    response = await client.post("/api/video/edit", json={"prompt": prompt, "videoUrl": video_url})
    assert response.status_code == 200, response.text
    assert response.json()["sourceUrl"] == video_url
    [call] = [c for c in await video_calls(sandbox, "/videos/edits") if c["json"]["prompt"] == prompt]
    assert call["json"]["video"] == sent
    assert stored_video(stack, response.json()["filename"]).sidecar["video"]["sourceVideo"] is None


@pytest.mark.parametrize(
    ("route", "fields", "code"),
    [
        ("edit", {"prompt": ""}, "PROMPT_REQUIRED"),
        ("edit", {"videoUrl": ""}, "INVALID_VIDEO_SOURCE"),
        ("edit", {"videoUrl": "http://example.com/a.mp4"}, "INVALID_VIDEO_SOURCE"),
        ("edit", {"videoUrl": "../../x.mp4"}, "INVALID_VIDEO_SOURCE"),
        ("edit", {"model": "grok-imagine-video-1.5-preview"}, "INVALID_GROK_VIDEO_MODEL"),
        ("edit", {"provider": "agy"}, "AGY_VIDEO_UNSUPPORTED"),
        ("extend", {"duration": 1}, "INVALID_VIDEO_DURATION"),
        ("extend", {"duration": 11}, "INVALID_VIDEO_DURATION"),
        ("extend", {"model": "grok-imagine-video-1.5-preview"}, "INVALID_GROK_VIDEO_MODEL"),
        ("extend", {"provider": "oauth"}, "VIDEO_PROVIDER_UNSUPPORTED"),
    ],
)
async def test_edit_and_extend_validation(
    route: str, fields: dict[str, Any], code: str, client: httpx.AsyncClient
) -> None:
    body = {"prompt": "p", "videoUrl": "1700000000000_00000000.mp4", "duration": 4, **fields}
    response = await client.post(f"/api/video/{route}", json=body)
    assert response.status_code == 400 and response.json()["code"] == code


async def test_edit_upstream_failure_saves_nothing(
    client: httpx.AsyncClient, sandbox: httpx.AsyncClient, clip: dict[str, Any], stack: RunningStack
) -> None:
    await add_fault(
        sandbox, upstream="xai", path="/videos/edits", mode="video-failed", reason="invalid_argument"
    )
    request_id = vid()
    body = {"prompt": "blocked", "videoUrl": clip["filename"], "requestId": request_id}
    response = await client.post("/api/video/edit", json=body)
    assert response.status_code == 400 and response.json()["code"] == "GROK_VIDEO_REQUEST_FAILED"
    assert files_of_request(stack, request_id) == []
    missing = await client.post(
        "/api/video/edit", json={**body, "requestId": vid(), "videoUrl": "1700000000000_00000000.mp4"}
    )
    assert missing.status_code == 404 and missing.json()["code"] == "ASSET_NOT_FOUND"


async def test_backfill_covers_videos(
    client: httpx.AsyncClient, clip: dict[str, Any], stack: RunningStack
) -> None:
    thumb = stack.home / "generated" / f"{clip['filename']}.thumb.jpg"
    thumb.unlink()
    response = await client.post("/api/history/backfill-thumbnails")
    assert response.status_code == 200 and response.json()["created"] >= 1
    with Image.open(thumb) as image:
        assert image.format == "JPEG" and image.width == 320
