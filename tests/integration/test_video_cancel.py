"""Cancel mid-poll stops the polling and keeps nothing, even when the result lands during the
cancel; a killed svc-video ends its jobs with JOB_TRACKING_TIMEOUT within the lease time, shows
as down in /api/health and /api/capabilities, and works again once `ima2 up` restarts it."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Iterator

import httpx
import pytest

from tests.image_support import EventWatch, files_of_request, history_rows, inflight_ids, sse_post, wait_until
from tests.stackctl import RunningStack, start_stack
from tests.video_support import add_fault, terminal_job, unique, video_body, video_calls


async def _polls(sandbox: httpx.AsyncClient, xai_id: str) -> int:
    return len(await video_calls(sandbox, f"/videos/{xai_id}"))


async def _streaming(client: httpx.AsyncClient, request_id: str) -> bool:
    jobs = (await client.get("/api/inflight", params={"kind": "video"})).json()["jobs"]
    return any(job["requestId"] == request_id and job["phase"] == "streaming" for job in jobs)


async def test_cancel_mid_poll_stops_polling(
    client: httpx.AsyncClient, sandbox: httpx.AsyncClient, stack: RunningStack
) -> None:
    await add_fault(sandbox, upstream="xai", path="/videos/generations", mode="video-stalled")
    body = video_body(prompt=unique("cancel me"))
    async with EventWatch(client) as watch:
        stream = asyncio.create_task(sse_post(client, "/api/video/generate", body, timeout=60))

        async def submitted() -> str | None:
            found = [f for f in watch.seen(body["requestId"]) if f.event == "submitted"]
            return found[0].data["xaiVideoRequestId"] if found else None

        xai_id = await wait_until(submitted)
        await wait_until(lambda: _polls(sandbox, xai_id))  # polling is under way
        canceled = await client.delete(f"/api/inflight/{body['requestId']}")
        assert canceled.json() == {"requestId": body["requestId"], "active": True, "aborted": True}
        at_cancel = await _polls(sandbox, xai_id)
        result = await stream
        bus = await watch.job(body["requestId"])
    for last in (result.last, bus[-1]):
        assert last.event == "error" and (last.data["code"], last.data["status"]) == (
            "GENERATION_CANCELED",
            499,
        )
    assert body["requestId"] not in await inflight_ids(client)
    # another job runs start to end (many poll intervals): the canceled one was not polled again
    after = await sse_post(client, "/api/video/generate", video_body(prompt=unique("after cancel")))
    assert after.last.event == "done"
    assert await _polls(sandbox, xai_id) <= at_cancel + 1  # at most the poll that was in flight
    assert files_of_request(stack, body["requestId"]) == []


async def test_a_result_landing_during_the_cancel_is_not_kept(
    client: httpx.AsyncClient, sandbox: httpx.AsyncClient, stack: RunningStack
) -> None:
    await add_fault(sandbox, upstream="xai", path="/files/vids/", delay=2)
    body = video_body(prompt=unique("late result"), **{"async": True})
    async with EventWatch(client) as watch:
        assert (await client.post("/api/video/generate", json=body)).status_code == 202

        async def downloading() -> bool:
            calls = await video_calls(sandbox, "/files/vids/")
            ids = {
                f.data["xaiVideoRequestId"] for f in watch.seen(body["requestId"]) if f.event == "submitted"
            }
            return any(any(i in c["path"] for i in ids) for c in calls)

        await wait_until(downloading)  # the finished clip is on its way down
        canceled = await client.delete(f"/api/inflight/{body['requestId']}")
        assert canceled.status_code == 200
        frames = await watch.job(body["requestId"])
    assert frames[-1].event == "error" and frames[-1].data["code"] == "GENERATION_CANCELED"
    assert "done" not in [f.event for f in frames]
    # the download finishes after the cancel: still nothing on disk or in history
    after = await sse_post(client, "/api/video/generate", video_body(prompt=unique("after late")))
    assert after.last.event == "done"
    assert files_of_request(stack, body["requestId"]) == []
    assert await history_rows(client, requestId=body["requestId"]) == []


@pytest.fixture
def video_fault_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    running = start_stack(
        tmp_path_factory.mktemp("video-faults"),
        extra_env={
            "IMA2_JOB_LEASE_SECONDS": "2",
            "IMA2_RESTART_DELAY_SECONDS": "3",
            "IMA2_VIDEO_POLL_INTERVAL_SECONDS": "0.1",
        },
    )
    yield running
    running.stop()


async def _video_state(client: httpx.AsyncClient) -> tuple[str, bool]:
    health = (await client.get("/api/health")).json()
    capabilities = (await client.get("/api/capabilities")).json()
    return health["services"]["video"]["status"], capabilities["video"]["available"]


async def test_killed_svc_video_ends_its_jobs(video_fault_stack: RunningStack) -> None:
    stack = video_fault_stack
    async with (
        httpx.AsyncClient(base_url=stack.url, timeout=60) as client,
        httpx.AsyncClient(base_url=stack.sandbox_url, timeout=10) as sandbox,
    ):
        assert await _video_state(client) == ("up", True)
        await add_fault(sandbox, upstream="xai", path="/videos/generations", mode="video-stalled", count=2)
        async_body = video_body(prompt=unique("dies async"), **{"async": True})
        sse_body = video_body(prompt=unique("dies sse"))
        async with EventWatch(client) as watch:
            assert (await client.post("/api/video/generate", json=async_body)).status_code == 202
            stream = asyncio.create_task(sse_post(client, "/api/video/generate", sse_body, timeout=60))
            for request_id in (async_body["requestId"], sse_body["requestId"]):
                await wait_until(lambda rid=request_id: _streaming(client, rid))

            os.kill(stack.child_pids()["svc-video"], signal.SIGKILL)
            # while it is down, health and capabilities say so
            await wait_until(lambda: _is(client, ("down", False)), timeout=10, interval=0.05)
            bus = await watch.job(async_body["requestId"], timeout=30)
            result = await asyncio.wait_for(stream, 30)
        for last in (bus[-1], result.last):
            assert last.event == "error" and last.data["code"] == "JOB_TRACKING_TIMEOUT"
            assert last.data["status"] == 504
        ids = {async_body["requestId"], sse_body["requestId"]}
        assert not ids & await inflight_ids(client)
        for request_id in ids:
            assert (await terminal_job(client, request_id))["errorCode"] == "JOB_TRACKING_TIMEOUT"

        # `ima2 up` restarts it and video works again
        await wait_until(lambda: _is(client, ("up", True)), timeout=30)
        again = await sse_post(client, "/api/video/generate", video_body(prompt=unique("after restart")))
        assert again.last.event == "done", again.last.data


async def _is(client: httpx.AsyncClient, wanted: tuple[str, bool]) -> bool:
    try:
        return await _video_state(client) == wanted
    except (httpx.HTTPError, ValueError, KeyError):
        return False
