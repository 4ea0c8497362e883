"""The in-flight registry: listing, cancel (with the GENERATION_CANCELED event), admission limits."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx

from ima2_common import limits
from tests.sse import collect

HANG = {"upstream": "openai", "path": "/responses", "mode": "hang", "count": 0}


def rid() -> str:
    return f"req_inflight_{uuid.uuid4().hex[:10]}"


async def start_async(client: httpx.AsyncClient, request_id: str) -> httpx.Response:
    return await client.post(
        "/api/generate",
        json={"prompt": "slow one", "provider": "api", "async": True, "requestId": request_id},
    )


async def wait_listed(client: httpx.AsyncClient, request_id: str, phase: str = "streaming") -> dict[str, Any]:
    for _ in range(100):
        jobs: list[dict[str, Any]] = (await client.get("/api/inflight")).json()["jobs"]
        job = next((j for j in jobs if j["requestId"] == request_id), None)
        if job and job["phase"] == phase:
            return job
        await asyncio.sleep(0.05)
    raise AssertionError(f"{request_id} never reached {phase}")


async def test_running_job_is_listed_and_cancel_emits_error(
    client: httpx.AsyncClient, sandbox: httpx.AsyncClient
) -> None:
    await sandbox.post("/_sandbox/faults", json=HANG)
    request_id = rid()
    async with client.stream("GET", "/api/events") as events:
        assert (await start_async(client, request_id)).status_code == 202
        job = await wait_listed(client, request_id)
        assert job["kind"] == "classic" and job["meta"]["provider"] == "api" and "prompt" not in job
        canceled = await client.delete(f"/api/inflight/{request_id}")
        assert canceled.json() == {"requestId": request_id, "active": True, "aborted": True}
        frames = await collect(events, lambda f: f.event == "error" and f.data["jobId"] == request_id)
    error = frames[-1].data
    assert error["code"] == "GENERATION_CANCELED" and error["status"] == 499
    assert request_id not in {j["requestId"] for j in (await client.get("/api/inflight")).json()["jobs"]}
    terminal = (await client.get("/api/inflight", params={"includeTerminal": "1"})).json()["terminalJobs"]
    snapshot = next(j for j in terminal if j["requestId"] == request_id)
    assert snapshot["status"] == "canceled" and snapshot["errorCode"] == "GENERATION_CANCELED"


async def test_cancel_ends_a_blocking_request_with_499(
    client: httpx.AsyncClient, sandbox: httpx.AsyncClient
) -> None:
    await sandbox.post("/_sandbox/faults", json=HANG)
    request_id = rid()
    pending = asyncio.create_task(
        client.post("/api/generate", json={"prompt": "p", "provider": "api", "requestId": request_id})
    )
    await wait_listed(client, request_id)
    await client.delete(f"/api/inflight/{request_id}")
    response = await pending
    assert response.status_code == 499 and response.json()["code"] == "GENERATION_CANCELED"


async def test_cancel_of_unknown_job(client: httpx.AsyncClient) -> None:
    response = await client.delete("/api/inflight/req_never_started")
    assert response.json() == {"requestId": "req_never_started", "active": False, "aborted": False}


async def test_duplicate_request_id_and_job_limit(
    client: httpx.AsyncClient, sandbox: httpx.AsyncClient
) -> None:
    await sandbox.post("/_sandbox/faults", json=HANG)
    ids = [rid() for _ in range(limits.MAX_PARALLEL_JOBS)]
    try:
        first = await start_async(client, ids[0])
        assert first.status_code == 202
        duplicate = await start_async(client, ids[0])
        assert duplicate.status_code == 409 and duplicate.json()["code"] == "REQUEST_ID_IN_USE"
        accepted = await asyncio.gather(*(start_async(client, i) for i in ids[1:]))
        assert [r.status_code for r in accepted] == [202] * (len(ids) - 1)
        over = await start_async(client, rid())
        assert over.status_code == 429 and over.json()["code"] == "TOO_MANY_JOBS"
        assert over.headers["retry-after"] == "5"
    finally:
        await asyncio.gather(*(client.delete(f"/api/inflight/{i}") for i in ids))
