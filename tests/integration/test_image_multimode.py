"""POST /api/generate/multimode: SSE on the POST (or async 202), image events carrying saved
GenerateItems, done with complete/partial status, validation errors as SSE error events."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest

from tests.image_support import EventWatch, decode_image, history_rows, rid, sse_post, stored, upstream_calls
from tests.stackctl import RunningStack, start_stack

SEQUENCE_ID = re.compile(r"^seq_[0-9a-z]+_[0-9a-f]{8}$")
ITEM_KEYS = {
    "image",
    "filename",
    "url",
    "revisedPrompt",
    "createdAt",
    "requestId",
    "provider",
    "model",
    "sequenceId",
    "sequenceIndex",
    "sequenceTotalRequested",
    "sequenceTotalReturned",
    "sequenceStatus",
}


async def test_sequence_over_sse(
    client: httpx.AsyncClient, sandbox: httpx.AsyncClient, stack: RunningStack
) -> None:
    await sandbox.delete("/_sandbox/requests")
    request_id = rid()
    async with EventWatch(client) as watch:
        result = await sse_post(
            client,
            "/api/generate/multimode",
            {
                "prompt": "a story in three panels",
                "maxImages": 3,
                "provider": "api",
                "quality": "low",
                "size": "1024x1536",
                "requestId": request_id,
                "sessionId": "s_multi",
            },
        )
        bus = await watch.job(request_id)
    assert result.status == 200 and result.headers["content-type"].startswith("text/event-stream")
    phase = result.frames[0]
    assert phase.event == "phase" and phase.data["phase"] == "streaming" and phase.data["maxImages"] == 3
    sequence_id = phase.data["sequenceId"]
    assert SEQUENCE_ID.match(sequence_id)
    assert result.events("partial"), [f.event for f in result.frames]
    images = result.events("image")
    assert len(images) == 3
    for frame in images:
        item = frame.data
        assert set(item) >= ITEM_KEYS and item["sequenceId"] == sequence_id
        assert item["sequenceTotalRequested"] == 3 and item["requestId"] == request_id
        assert decode_image(item["image"]).size == (1024, 1536)
    assert sorted(f.data["sequenceIndex"] for f in images) == [0, 1, 2]
    done = result.last
    assert (
        done.event == "done" and done.data["status"] == "complete" and done.data["sequenceId"] == sequence_id
    )
    assert done.data["returned"] == 3 and len(done.data["images"]) == 3
    assert all("image" not in item and item["sequenceTotalReturned"] == 3 for item in done.data["images"])
    assert [(f.id, f.event) for f in result.frames if f.event] == [(f.id, f.event) for f in bus]

    for frame in images:
        kept = stored(stack, frame.data["filename"])
        assert "_multimode_" in frame.data["filename"]
        assert kept.sidecar["kind"] == "multimode" and kept.sidecar["sequenceId"] == sequence_id
        assert kept.sidecar["sequenceIndex"] == frame.data["sequenceIndex"]
        assert kept.xmp["kind"] == "multimode" and kept.xmp["sessionId"] == "s_multi"
    rows = await history_rows(client, requestId=request_id)
    assert len(rows) == 3 and {row["sessionId"] for row in rows} == {"s_multi"}

    [call] = await upstream_calls(sandbox, "api", "/responses")
    assert call["json"]["tool_choice"] == "required"
    developer = call["json"]["input"][0]
    assert developer["role"] == "developer" and "up to 3 separate" in developer["content"]


async def test_async_multimode(client: httpx.AsyncClient) -> None:
    request_id = rid()
    async with EventWatch(client) as watch:
        accepted = await client.post(
            "/api/generate/multimode",
            json={
                "prompt": "two",
                "maxImages": 2,
                "provider": "oauth",
                "async": True,
                "requestId": request_id,
            },
        )
        assert accepted.status_code == 202 and accepted.json() == {"requestId": request_id}
        mine = await watch.job(request_id)
    assert [f.event for f in mine].count("image") == 2 and mine[-1].data["status"] == "complete"


@pytest.mark.parametrize(
    ("fields", "code", "status"),
    [
        ({"prompt": ""}, "PROMPT_REQUIRED", 400),
        ({"maxImages": 9}, "INVALID_COUNT", 400),
        ({"maxImages": "4"}, "INVALID_COUNT", 400),
        ({"moderation": "none"}, "INVALID_MODERATION", 400),
        ({"model": "gpt-1"}, "INVALID_IMAGE_MODEL", 400),
        ({"provider": "grok", "model": "gpt-5.4"}, "INVALID_GROK_IMAGE_MODEL", 400),
        ({"references": {}}, "REF_NOT_ARRAY", 400),
    ],
)
async def test_validation_errors_are_sse_error_events(
    client: httpx.AsyncClient, fields: dict[str, object], code: str, status: int
) -> None:
    request_id = rid()
    body = {"prompt": "p", "provider": "api", "requestId": request_id, **fields}
    result = await sse_post(client, "/api/generate/multimode", body)
    assert result.status == 200 and result.headers["content-type"].startswith("text/event-stream")
    [error] = result.frames
    assert error.event == "error" and error.id is None
    assert error.data["code"] == code and error.data["status"] == status
    assert error.data["requestId"] == request_id and error.data["error"]
    # async callers read no stream: the flat JSON envelope instead
    answer = await client.post("/api/generate/multimode", json={**body, "async": True})
    assert answer.status_code == status and answer.json()["code"] == code


async def test_upstream_error_ends_the_stream_with_error(
    client: httpx.AsyncClient, sandbox: httpx.AsyncClient
) -> None:
    await sandbox.post(
        "/_sandbox/faults", json={"upstream": "openai", "path": "/responses", "mode": "safety", "count": 2}
    )
    result = await sse_post(
        client, "/api/generate/multimode", {"prompt": "p", "provider": "api", "maxImages": 2}
    )
    assert result.frames[0].event == "phase" and result.last.event == "error"
    assert result.last.data["code"] == "SAFETY_REFUSAL" and result.last.data["status"] == 422


@pytest.fixture(scope="module")
def short_sequence_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    running = start_stack(
        tmp_path_factory.mktemp("multimode-timeout"), extra_env={"IMA2_MULTIMODE_TIMEOUT_SECONDS": "6"}
    )
    yield running
    running.stop()


async def test_timeout_keeps_saved_images_as_partial(short_sequence_stack: RunningStack) -> None:
    stack = short_sequence_stack
    async with (
        httpx.AsyncClient(base_url=stack.url, timeout=60) as client,
        httpx.AsyncClient(base_url=stack.sandbox_url, timeout=10) as sandbox,
    ):
        # events 0.5 s apart: the first image is complete after ~4.5 s, the second after ~8 s
        await sandbox.post(
            "/_sandbox/faults",
            json={"upstream": "openai", "path": "/responses", "mode": "slow-stream", "delay": 0.5},
        )
        request_id = rid()
        body = {
            "prompt": "slow sequence",
            "maxImages": 3,
            "provider": "api",
            "webSearchEnabled": False,
            "requestId": request_id,
        }
        result = await sse_post(client, "/api/generate/multimode", body)
        images = result.events("image")
        done = result.last
        assert done.event == "done", result.last
        assert done.data["status"] == "partial" and done.data["errorCode"] == "GENERATION_TIMEOUT"
        assert 1 <= len(images) < 3 and done.data["returned"] == len(images)
        kept = {item["filename"] for item in done.data["images"]}
        assert kept == {frame.data["filename"] for frame in images}
        for filename in kept:
            assert (stack.home / "generated" / filename).exists()
        assert {row["filename"] for row in await history_rows(client, requestId=request_id)} == kept
        assert request_id not in {j["requestId"] for j in (await client.get("/api/inflight")).json()["jobs"]}


async def test_timeout_with_nothing_saved_is_an_error(short_sequence_stack: RunningStack) -> None:
    stack = short_sequence_stack
    async with (
        httpx.AsyncClient(base_url=stack.url, timeout=60) as client,
        httpx.AsyncClient(base_url=stack.sandbox_url, timeout=10) as sandbox,
    ):
        await sandbox.post(
            "/_sandbox/faults", json={"upstream": "openai", "path": "/responses", "mode": "hang"}
        )
        try:
            request_id = rid()
            body = {"prompt": "stuck", "maxImages": 2, "provider": "api", "requestId": request_id}
            result = await sse_post(client, "/api/generate/multimode", body)
        finally:
            await sandbox.delete("/_sandbox/faults")
        assert result.frames[0].event == "phase" and result.last.event == "error"
        assert result.last.data["code"] == "GENERATION_TIMEOUT" and result.last.data["status"] == 504
        assert await history_rows(client, requestId=request_id) == []
