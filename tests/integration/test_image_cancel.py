"""Cancel aborts the upstream call, and a result that arrives after the cancel is never kept:
no file of a canceled job is in history or on disk, whenever the cancel lands."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from tests.image_support import (
    EventWatch,
    b64,
    files_of_request,
    history_rows,
    inflight_ids,
    png_bytes,
    rid,
    sse_post,
    wait_until,
)
from tests.stackctl import RunningStack


async def wait_running(client: httpx.AsyncClient, request_id: str) -> None:
    async def running() -> bool:
        jobs = (await client.get("/api/inflight")).json()["jobs"]
        return any(job["requestId"] == request_id and job["phase"] == "streaming" for job in jobs)

    await wait_until(running)


async def upstream_answered(sandbox: httpx.AsyncClient, path: str) -> bool:
    requests = (await sandbox.get("/_sandbox/requests", params={"path": path})).json()["requests"]
    return bool(requests) and all(r.get("delayElapsed") for r in requests)


async def upstream_seen(sandbox: httpx.AsyncClient, path: str) -> int:
    return len((await sandbox.get("/_sandbox/requests", params={"path": path})).json()["requests"])


async def test_cancel_aborts_the_upstream_and_keeps_nothing(
    client: httpx.AsyncClient, sandbox: httpx.AsyncClient, stack: RunningStack
) -> None:
    """The upstream answers 3 s late; the job is canceled while waiting: nothing is saved, ever."""
    await sandbox.delete("/_sandbox/requests")
    await sandbox.post(
        "/_sandbox/faults", json={"upstream": "openai", "path": "/responses", "delay": 3, "count": 0}
    )
    request_id = rid()
    async with EventWatch(client) as watch:
        accepted = await client.post(
            "/api/node/generate",
            json={"prompt": "late", "provider": "api", "async": True, "requestId": request_id},
        )
        assert accepted.status_code == 202
        await wait_running(client, request_id)
        await wait_until(lambda: upstream_seen(sandbox, "/responses"))  # the call is in flight upstream
        canceled = await client.delete(f"/api/inflight/{request_id}")
        assert canceled.json() == {"requestId": request_id, "active": True, "aborted": True}
        mine = await watch.job(request_id)
    assert mine[-1].event == "error" and mine[-1].data["code"] == "GENERATION_CANCELED"
    assert mine[-1].data["status"] == 499
    assert "done" not in [f.event for f in mine]
    # past the moment the upstream would have answered: still nothing kept, and no retry was sent
    await wait_until(lambda: upstream_answered(sandbox, "/responses"), timeout=15)
    assert files_of_request(stack, request_id) == []
    assert await history_rows(client, requestId=request_id) == []
    assert await upstream_seen(sandbox, "/responses") == 1
    assert request_id not in await inflight_ids(client)


async def test_cancel_of_an_sse_job_ends_its_stream(
    client: httpx.AsyncClient, sandbox: httpx.AsyncClient, stack: RunningStack
) -> None:
    await sandbox.post("/_sandbox/faults", json={"upstream": "openai", "path": "/responses", "mode": "hang"})
    request_id = rid()
    body = {"prompt": "p", "provider": "api", "requestId": request_id, "maxImages": 2}
    stream = asyncio.create_task(sse_post(client, "/api/generate/multimode", body))
    await wait_running(client, request_id)
    await client.delete(f"/api/inflight/{request_id}")
    result = await stream
    assert result.last.event == "error" and result.last.data["code"] == "GENERATION_CANCELED"
    assert files_of_request(stack, request_id) == []


async def test_no_canceled_job_leaves_a_file_whenever_the_cancel_lands(
    client: httpx.AsyncClient, sandbox: httpx.AsyncClient, stack: RunningStack
) -> None:
    """Sequences whose images arrive and are saved one after another, canceled at staggered
    moments (before, between and during saves): a job that ends canceled keeps no file; a
    job that finished keeps all of its files."""
    await sandbox.post(
        "/_sandbox/faults",
        json={"upstream": "openai", "path": "/responses", "mode": "slow-stream", "delay": 0.04, "count": 0},
    )
    ids = [rid("req_cancelrace") for _ in range(10)]
    body: dict[str, Any] = {"prompt": "race", "provider": "api", "maxImages": 3, "webSearchEnabled": False}
    async with EventWatch(client) as watch:
        for request_id in ids:
            accepted = await client.post(
                "/api/generate/multimode", json={**body, "async": True, "requestId": request_id}
            )
            assert accepted.status_code == 202

        async def cancel_later(index: int, request_id: str) -> None:
            await asyncio.sleep(0.15 * index)
            await client.delete(f"/api/inflight/{request_id}")

        await asyncio.gather(*(cancel_later(i, request_id) for i, request_id in enumerate(ids)))
        outcomes = {request_id: await watch.job(request_id) for request_id in ids}
    canceled = [r for r, frames in outcomes.items() if frames[-1].data.get("code") == "GENERATION_CANCELED"]
    finished = [r for r, frames in outcomes.items() if frames[-1].event == "done"]
    assert canceled and len(canceled) + len(finished) == len(ids)
    for request_id in canceled:
        assert files_of_request(stack, request_id) == [], request_id
        assert await history_rows(client, requestId=request_id) == []
    for request_id in finished:
        done = outcomes[request_id][-1].data
        assert len(files_of_request(stack, request_id)) == done["returned"] == 3


async def test_cancel_of_an_edit_while_its_upstream_hangs(
    client: httpx.AsyncClient, sandbox: httpx.AsyncClient, stack: RunningStack
) -> None:
    await sandbox.post("/_sandbox/faults", json={"upstream": "openai", "path": "/responses", "mode": "hang"})
    request_id = rid()
    pending = asyncio.create_task(
        client.post(
            "/api/edit",
            json={"prompt": "p", "image": b64(png_bytes(16, 16)), "provider": "api", "requestId": request_id},
        )
    )
    await wait_running(client, request_id)
    await client.delete(f"/api/inflight/{request_id}")
    response = await pending
    assert response.status_code == 499 and response.json()["code"] == "GENERATION_CANCELED"
    assert files_of_request(stack, request_id) == []
