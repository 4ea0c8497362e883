"""Admission holds across gateway replicas (the registry lives in JetStream KV): REQUEST_ID_IN_USE
and TOO_MANY_JOBS (limit IMA2_MAX_PARALLEL, here 2) on every image route, in each route's envelope."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest

from tests.image_support import b64, inflight_ids, png_bytes, rid, spawn_gateway, sse_post, wait_until
from tests.stackctl import RunningStack, start_stack

LIMIT = 2
IMAGE = b64(png_bytes(16, 16))
HANG = {"upstream": "openai", "path": "/responses", "mode": "hang", "count": 0}


@pytest.fixture(scope="module")
def small_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    running = start_stack(tmp_path_factory.mktemp("admission"), extra_env={"IMA2_MAX_PARALLEL": str(LIMIT)})
    yield running
    running.stop()


@pytest.fixture(scope="module")
def other_gateway(small_stack: RunningStack) -> Iterator[str]:
    proc, url = spawn_gateway(small_stack)
    yield url
    proc.terminate()
    proc.wait(10)


@pytest.fixture
async def gateways(small_stack: RunningStack, other_gateway: str) -> AsyncIterator[list[httpx.AsyncClient]]:
    async with (
        httpx.AsyncClient(base_url=small_stack.url, timeout=30) as one,
        httpx.AsyncClient(base_url=other_gateway, timeout=30) as two,
        httpx.AsyncClient(base_url=small_stack.sandbox_url, timeout=10) as sandbox,
    ):
        await sandbox.post("/_sandbox/reset")
        await sandbox.post("/_sandbox/faults", json=HANG)
        yield [one, two]
        for request_id in await inflight_ids(one):
            await one.delete(f"/api/inflight/{request_id}")
        await sandbox.post("/_sandbox/reset")
        await wait_until(lambda: _idle(one))


async def _idle(client: httpx.AsyncClient) -> bool:
    return not await inflight_ids(client)


def bodies(request_id: str, **extra: Any) -> dict[str, tuple[str, dict[str, Any]]]:
    common = {"prompt": "p", "provider": "api", "requestId": request_id, **extra}
    return {
        "generate": ("/api/generate", common),
        "edit": ("/api/edit", {**common, "image": IMAGE}),
        "node": ("/api/node/generate", common),
        "multimode": ("/api/generate/multimode", common),
    }


async def start_async(client: httpx.AsyncClient, route: str, request_id: str) -> httpx.Response:
    path, body = bodies(request_id, **{"async": True})[route]
    return await client.post(path, json=body)


def code_of(response: httpx.Response) -> str:
    body = response.json()
    return str(body["error"]["code"] if isinstance(body.get("error"), dict) else body["code"])


async def test_request_id_in_use_across_gateways(gateways: list[httpx.AsyncClient]) -> None:
    one, two = gateways
    request_id = rid()
    assert (await start_async(one, "node", request_id)).status_code == 202
    for route, (path, body) in bodies(request_id).items():
        for extra in ({"async": True}, {}):
            if route == "multimode" and not extra:
                result = await sse_post(two, path, body)
                [frame] = result.frames
                assert frame.event == "error" and frame.data["code"] == "REQUEST_ID_IN_USE"
                assert frame.data["status"] == 409
                continue
            response = await two.post(path, json={**body, **extra})
            assert response.status_code == 409, (route, response.text)
            assert code_of(response) == "REQUEST_ID_IN_USE"
            if route == "node":
                assert response.json()["status"] == 409
    assert await inflight_ids(two) == {request_id}


async def test_too_many_jobs_across_gateways(gateways: list[httpx.AsyncClient]) -> None:
    one, two = gateways
    running = [rid(), rid()]
    assert (await start_async(one, "edit", running[0])).status_code == 202
    assert (await start_async(two, "multimode", running[1])).status_code == 202
    for client in (one, two):
        for route, (path, body) in bodies(rid()).items():
            if route == "multimode":
                result = await sse_post(client, path, body)
                assert result.headers["retry-after"] == "5"
                [frame] = result.frames
                assert frame.data["code"] == "TOO_MANY_JOBS" and frame.data["status"] == 429
            response = await client.post(path, json={**body, "async": True})
            assert response.status_code == 429, (route, response.text)
            assert code_of(response) == "TOO_MANY_JOBS" and response.headers["retry-after"] == "5"
    assert await inflight_ids(one) == set(running) == await inflight_ids(two)
    await two.delete(f"/api/inflight/{running[0]}")  # canceled through the other gateway
    await wait_until(lambda: _slot_free(one))
    assert (await start_async(two, "node", rid())).status_code == 202


async def _slot_free(client: httpx.AsyncClient) -> bool:
    return len(await inflight_ids(client)) < LIMIT


async def test_one_request_id_races_across_gateways(gateways: list[httpx.AsyncClient]) -> None:
    request_id = rid()
    responses = await asyncio.gather(
        *(start_async(gateways[i % 2], ("node", "edit", "multimode")[i % 3], request_id) for i in range(6))
    )
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [202] + [409] * 5, [r.text for r in responses]
