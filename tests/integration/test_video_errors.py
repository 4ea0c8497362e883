"""Every video error code through the public API: validation (in the documented order, before
anything is admitted or sent upstream), continuation, admission, and each upstream failure the
sandbox can produce. A failed job saves nothing."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest

from ima2_common.errors import spec_for
from tests.image_support import files_of_request, sse_post
from tests.stackctl import RunningStack
from tests.video_support import (
    add_fault,
    assert_video_order,
    event_names,
    generate,
    png_data_url,
    sandbox_settings,
    terminal_job,
    unique,
    video_body,
    video_calls,
)

BAD_BODIES = [
    ({"provider": "api"}, "VIDEO_PROVIDER_UNSUPPORTED"),
    ({"provider": "gemini-api"}, "VIDEO_PROVIDER_UNSUPPORTED"),
    ({"provider": "agy"}, "AGY_VIDEO_UNSUPPORTED"),
    ({"prompt": "   "}, "PROMPT_REQUIRED"),
    ({"prompt": None}, "PROMPT_REQUIRED"),
    ({"model": "grok-imagine-image"}, "INVALID_GROK_VIDEO_MODEL"),
    ({"duration": 0}, "INVALID_VIDEO_DURATION"),
    ({"duration": 16}, "INVALID_VIDEO_DURATION"),
    ({"duration": 2.5}, "INVALID_VIDEO_DURATION"),
    ({"duration": True}, "INVALID_VIDEO_DURATION"),
    ({"resolution": "1080p"}, "INVALID_VIDEO_RESOLUTION"),
    ({"aspectRatio": "21:9"}, "INVALID_VIDEO_ASPECT_RATIO"),
    ({"continueFromVideo": "../secret.mp4"}, "INVALID_VIDEO_SOURCE"),
    ({"continueFromVideo": "1700000000000_abcdef01.png"}, "INVALID_VIDEO_SOURCE"),
    ({"sourceFilename": "/etc/passwd"}, "INVALID_VIDEO_SOURCE"),
    ({"referenceImages": [png_data_url()] * 8}, "GROK_VIDEO_REF_TOO_MANY"),
    (
        {
            "referenceImages": [png_data_url()] * 6,
            "referenceFilenames": ["a.png"],
            "sourceImage": png_data_url(),
        },
        "GROK_VIDEO_REF_TOO_MANY",
    ),
    ({"referenceImages": "not-a-list"}, "REF_NOT_ARRAY"),
    ({"requestId": "bad id!"}, "INVALID_REQUEST_ID"),
    ({"plannerModel": "gpt-5.4"}, "INVALID_PLANNER_MODEL"),
]
# (first failing field, second failing field) -> the first one's code: the documented order
ORDER = [
    ({"provider": "agy", "prompt": ""}, "AGY_VIDEO_UNSUPPORTED"),
    ({"prompt": "", "model": "nope"}, "PROMPT_REQUIRED"),
    ({"model": "nope", "duration": 99}, "INVALID_GROK_VIDEO_MODEL"),
    ({"duration": 99, "resolution": "4k"}, "INVALID_VIDEO_DURATION"),
    ({"resolution": "4k", "aspectRatio": "5:4"}, "INVALID_VIDEO_RESOLUTION"),
    ({"aspectRatio": "5:4", "continueFromVideo": "../x.mp4"}, "INVALID_VIDEO_ASPECT_RATIO"),
    ({"continueFromVideo": "../x.mp4", "referenceImages": [png_data_url()] * 9}, "INVALID_VIDEO_SOURCE"),
]


async def _error_frame(client: httpx.AsyncClient, body: dict[str, Any]) -> dict[str, Any]:
    result = await sse_post(client, "/api/video/generate", body)
    assert result.status == 200 and result.headers["content-type"].startswith("text/event-stream")
    assert event_names(result.frames) == ["error"], result.frames
    return result.last.data


@pytest.mark.parametrize(("fields", "code"), BAD_BODIES + ORDER)
async def test_validation_errors_are_sse_error_events(
    fields: dict[str, Any], code: str, client: httpx.AsyncClient, sandbox: httpx.AsyncClient
) -> None:
    marker = unique("bad input")
    body = {**video_body(prompt=marker), **fields}
    error = await _error_frame(client, body)
    assert error["code"] == code and error["status"] == spec_for(code).status == 400
    assert error["error"] and error["requestId"]
    if code == "PROMPT_REQUIRED":
        assert "ending frame" in error["guidance"] or "frame the clip should end on" in error["guidance"]
    assert not [c for c in await video_calls(sandbox, "/") if marker in json.dumps(c)]  # nothing reached xAI


@pytest.mark.parametrize(("fields", "code"), BAD_BODIES[:12])
async def test_validation_errors_in_async_mode_are_json(
    fields: dict[str, Any], code: str, client: httpx.AsyncClient
) -> None:
    body = {**video_body(), **fields, "async": True}
    response = await client.post("/api/video/generate", json=body)
    assert response.status_code == 400 and response.json()["code"] == code
    assert response.json()["error"]


async def test_continuation_frame_failures(client: httpx.AsyncClient, stack: RunningStack) -> None:
    missing = await _error_frame(client, video_body(continueFromVideo="1700000000000_00000000.mp4"))
    assert missing["code"] == "GROK_VIDEO_FRAME_FAILED" and missing["status"] == 500
    broken = "1700000000001_0badf00d.mp4"
    (stack.home / "generated" / broken).write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 200)
    try:
        error = await _error_frame(client, video_body(continueFromVideo=broken))
    finally:
        (stack.home / "generated" / broken).unlink()
    assert error["code"] == "GROK_VIDEO_FRAME_FAILED" and error["status"] == 500


async def test_missing_generated_image_is_not_found(client: httpx.AsyncClient) -> None:
    error = await _error_frame(client, video_body(sourceFilename="1700000000000_00000000_0.png"))
    assert error["code"] == "ASSET_NOT_FOUND" and error["status"] == 404


# Faults the sandbox takes on the submit, and the code each job ends with.
JOB_FAULTS = [
    ({"mode": "video-failed", "reason": "invalid_argument"}, "GROK_VIDEO_REQUEST_FAILED", 400),
    ({"mode": "video-failed", "reason": "permission_denied"}, "GROK_VIDEO_REQUEST_FAILED", 403),
    ({"mode": "video-failed", "reason": "failed_precondition"}, "GROK_VIDEO_REQUEST_FAILED", 412),
    ({"mode": "video-failed", "reason": "service_unavailable"}, "GROK_VIDEO_POLL_FAILED", 502),
    ({"mode": "video-failed", "reason": "internal_error"}, "GROK_VIDEO_FAILED", 502),
    ({"mode": "video-failed", "reason": "something_new"}, "GROK_VIDEO_FAILED", 502),
    ({"mode": "video-expired"}, "GROK_VIDEO_EXPIRED", 502),
    ({"mode": "safety"}, "GROK_VIDEO_MODERATION_BLOCKED", 502),
    ({"mode": "empty"}, "GROK_VIDEO_EMPTY_RESPONSE", 502),
    ({"mode": "video-not-mp4"}, "GROK_VIDEO_DOWNLOAD_FAILED", 502),
    ({"mode": "video-too-large"}, "GROK_VIDEO_DOWNLOAD_FAILED", 502),
    ({"status": 429}, "GROK_RATE_LIMITED", 429),
    ({"status": 401}, "GROK_AUTH_FAILED", 502),
    ({"status": 500}, "GROK_UPSTREAM_ERROR", 502),
    ({"status": 400}, "GROK_VIDEO_REQUEST_FAILED", 400),
    ({"status": 422}, "GROK_VIDEO_REQUEST_FAILED", 422),
]


@pytest.mark.parametrize(("fault", "code", "status"), JOB_FAULTS)
async def test_upstream_video_failures(
    fault: dict[str, Any],
    code: str,
    status: int,
    client: httpx.AsyncClient,
    sandbox: httpx.AsyncClient,
    stack: RunningStack,
) -> None:
    await add_fault(sandbox, upstream="xai", path="/videos/generations", **fault)
    body = video_body(prompt=unique("fails"))
    result = await sse_post(client, "/api/video/generate", body)
    names = event_names(result.frames)
    if "status" in fault:  # the submit itself was refused: no `submitted`
        assert names == ["planning", "error"]
    else:
        assert_video_order(names)
    error = result.last.data
    assert names[-1] == "error" and (error["code"], error["status"]) == (code, status), error
    assert error["requestId"] == body["requestId"] and error["error"]
    assert files_of_request(stack, body["requestId"]) == []
    job = await terminal_job(client, body["requestId"])
    assert (job["errorCode"], job["httpStatus"], job["status"]) == (code, status, "error")


@pytest.mark.parametrize(
    ("path", "mode", "code"),
    [
        ("/responses", "empty", "GROK_SEARCH_EMPTY_RESPONSE"),
        ("/chat/completions", "empty", "GROK_PLANNER_EMPTY_TOOL_CALL"),
    ],
)
async def test_planning_failures(
    path: str, mode: str, code: str, client: httpx.AsyncClient, sandbox: httpx.AsyncClient
) -> None:
    await add_fault(sandbox, upstream="xai", path=path, mode=mode)
    marker = unique("plan fails")
    result = await sse_post(client, "/api/video/generate", video_body(prompt=marker))
    assert event_names(result.frames) == ["planning", "error"]
    assert result.last.data["code"] == code and result.last.data["status"] == 502
    assert not [c for c in await video_calls(sandbox, "/videos/generations") if marker in json.dumps(c)]


async def test_download_not_found(client: httpx.AsyncClient, sandbox: httpx.AsyncClient) -> None:
    await add_fault(sandbox, upstream="xai", path="/files/vids/", status=404)
    last = await generate(client, video_body(prompt=unique("gone")))
    assert last.event == "error" and last.data["code"] == "GROK_VIDEO_DOWNLOAD_FAILED"


async def test_stalled_job_reports_stalled_then_times_out(
    client: httpx.AsyncClient, sandbox: httpx.AsyncClient, stack: RunningStack
) -> None:
    await add_fault(sandbox, upstream="xai", path="/videos/generations", mode="video-stalled")
    body = video_body(prompt=unique("stalls"))
    result = await sse_post(client, "/api/video/generate", body, timeout=60)
    progress = result.events("progress")
    assert progress and {f.data["progress"] for f in progress} == {0.37}
    assert not progress[0].data["stalled"] and progress[-1].data["stalled"]
    assert result.last.event == "error"
    assert (result.last.data["code"], result.last.data["status"]) == ("GROK_VIDEO_TIMEOUT", 504)
    assert files_of_request(stack, body["requestId"]) == []


async def test_transient_poll_errors_are_tolerated_then_fatal(
    client: httpx.AsyncClient, sandbox: httpx.AsyncClient
) -> None:
    await sandbox_settings(sandbox, videoPolls=4)
    try:
        # three 503s in a row: reported as stalled progress, then the job completes
        body = video_body(prompt=unique("flaky"))
        stream = asyncio.create_task(sse_post(client, "/api/video/generate", body))
        await _wait_submitted(sandbox, body["prompt"])
        await add_fault(sandbox, upstream="xai", path="/videos/", status=503, count=3)
        result = await stream
        assert result.last.event == "done"
        assert sum(1 for f in result.events("progress") if f.data["stalled"]) >= 3

        # six in a row: GROK_VIDEO_POLL_FAILED
        body = video_body(prompt=unique("down"))
        stream = asyncio.create_task(sse_post(client, "/api/video/generate", body))
        await _wait_submitted(sandbox, body["prompt"])
        await add_fault(sandbox, upstream="xai", path="/videos/", status=503, count=6)
        result = await stream
        assert result.last.event == "error" and result.last.data["code"] == "GROK_VIDEO_POLL_FAILED"

        # a 4xx poll is fatal at once
        body = video_body(prompt=unique("lost"))
        stream = asyncio.create_task(sse_post(client, "/api/video/generate", body))
        await _wait_submitted(sandbox, body["prompt"])
        await add_fault(sandbox, upstream="xai", path="/videos/", status=404, count=1)
        result = await stream
        assert result.last.event == "error" and result.last.data["code"] == "GROK_VIDEO_POLL_FAILED"
        assert result.last.data["upstreamCode"] == "http_404"
    finally:
        await sandbox_settings(sandbox, videoPolls=2)


async def _wait_submitted(sandbox: httpx.AsyncClient, marker: str) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 20
    while loop.time() < deadline:
        calls = await video_calls(sandbox, "/videos/generations")
        if any(marker in str(c["json"].get("prompt")) for c in calls):
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the job never submitted")


async def test_request_id_in_use(client: httpx.AsyncClient, sandbox: httpx.AsyncClient) -> None:
    await add_fault(sandbox, upstream="xai", path="/videos/generations", mode="video-stalled")
    body = video_body(prompt=unique("first"), **{"async": True})
    assert (await client.post("/api/video/generate", json=body)).status_code == 202
    try:
        again = await _error_frame(client, {**body, "async": False})
        assert again["code"] == "REQUEST_ID_IN_USE" and again["status"] == 409
        response = await client.post("/api/video/generate", json=body)
        assert response.status_code == 409 and response.json()["code"] == "REQUEST_ID_IN_USE"
    finally:
        await client.delete(f"/api/inflight/{body['requestId']}")
