"""Faults: svc-image dies mid-job (its jobs end with JOB_TRACKING_TIMEOUT, on /api/events, on a
per-request SSE stream and as a blocking answer, and leave /api/inflight); NATS restarts (new jobs
run and /api/events delivers again). Each on its own stack."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Iterator

import httpx
import pytest

from tests.image_support import EventWatch, inflight_ids, rid, sse_post, wait_until
from tests.stackctl import RunningStack, pid_alive, start_stack

HANG = {"upstream": "openai", "path": "/responses", "mode": "hang", "count": 0}


@pytest.fixture
def fault_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    running = start_stack(
        tmp_path_factory.mktemp("faults"),
        extra_env={"IMA2_JOB_LEASE_SECONDS": "2", "IMA2_RESTART_DELAY_SECONDS": "1"},
    )
    yield running
    running.stop()


async def healthy(client: httpx.AsyncClient) -> bool:
    try:
        return bool((await client.get("/api/health")).json().get("ok"))
    except (httpx.HTTPError, ValueError):
        return False


async def test_jobs_of_a_dead_service_end_with_an_error(fault_stack: RunningStack) -> None:
    stack = fault_stack
    async with (
        httpx.AsyncClient(base_url=stack.url, timeout=90) as client,
        httpx.AsyncClient(base_url=stack.sandbox_url, timeout=10) as sandbox,
    ):
        await sandbox.post("/_sandbox/faults", json=HANG)
        async_id, sse_id, json_id = rid(), rid(), rid()
        async with EventWatch(client) as watch:
            accepted = await client.post(
                "/api/node/generate",
                json={"prompt": "p", "provider": "api", "async": True, "requestId": async_id},
            )
            assert accepted.status_code == 202
            sse = asyncio.create_task(
                sse_post(
                    client,
                    "/api/generate/multimode",
                    {"prompt": "p", "provider": "api", "requestId": sse_id},
                    90,
                )
            )
            blocking = asyncio.create_task(
                client.post("/api/generate", json={"prompt": "p", "provider": "api", "requestId": json_id})
            )
            ids = {async_id, sse_id, json_id}
            await wait_until(lambda: _all_listed(client, ids))

            os.kill(stack.child_pids()["svc-image"], signal.SIGKILL)

            bus = await watch.job(async_id, timeout=45)
            assert bus[-1].event == "error" and bus[-1].data["code"] == "JOB_TRACKING_TIMEOUT"
            assert bus[-1].data["status"] == 504
            result = await asyncio.wait_for(sse, 45)
            assert result.last.event == "error" and result.last.data["code"] == "JOB_TRACKING_TIMEOUT"
            response = await asyncio.wait_for(blocking, 45)
            assert response.status_code == 504 and response.json()["code"] == "JOB_TRACKING_TIMEOUT"
        assert not ids & await inflight_ids(client)
        terminal = (await client.get("/api/inflight", params={"includeTerminal": "1"})).json()["terminalJobs"]
        ended = {job["requestId"]: job for job in terminal if job["requestId"] in ids}
        assert set(ended) == ids and {job["errorCode"] for job in ended.values()} == {"JOB_TRACKING_TIMEOUT"}

        # `ima2 up` restarts the service; generation works again
        await sandbox.delete("/_sandbox/faults")
        await wait_until(lambda: healthy(client), timeout=30)
        response = await client.post("/api/node/generate", json={"prompt": "after", "provider": "api"})
        assert response.status_code == 200, response.text


async def _all_listed(client: httpx.AsyncClient, ids: set[str]) -> bool:
    jobs = (await client.get("/api/inflight")).json()["jobs"]
    return ids <= {job["requestId"] for job in jobs if job["phase"] == "streaming"}


async def test_generation_and_events_survive_a_nats_restart(fault_stack: RunningStack) -> None:
    stack = fault_stack
    async with httpx.AsyncClient(base_url=stack.url, timeout=60) as client:
        before = await client.post("/api/generate", json={"prompt": "before", "provider": "api"})
        assert before.status_code == 200
        nats_pid = stack.child_pids()["nats"]
        os.kill(nats_pid, signal.SIGKILL)
        await wait_until(lambda: _dead(nats_pid))
        await wait_until(lambda: healthy(client), timeout=45)

        async def generation_works() -> bool:
            response = await client.post("/api/generate", json={"prompt": "after", "provider": "api"})
            return response.status_code == 200

        await wait_until(generation_works, timeout=30, interval=0.5)
        request_id = rid()
        async with EventWatch(client) as watch:
            accepted = await client.post(
                "/api/generate/multimode",
                json={
                    "prompt": "after restart",
                    "provider": "api",
                    "maxImages": 2,
                    "async": True,
                    "requestId": request_id,
                },
            )
            assert accepted.status_code == 202
            mine = await watch.job(request_id, timeout=30)
        assert [f.event for f in mine].count("image") == 2 and mine[-1].event == "done"
        ids = [f.id for f in mine]
        numbers = [i for i in ids if isinstance(i, int)]
        assert numbers == ids and ids == sorted(numbers)


async def _dead(pid: int) -> bool:
    return not pid_alive(pid)
