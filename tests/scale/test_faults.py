"""Faults on the scaled stack: an svc-image replica killed mid-job, a NATS node killed under load,
PostgreSQL restarted, and upstreams that hang, rate-limit, fail or drop the connection."""

from __future__ import annotations

import asyncio
import os
import signal
from typing import Any

import httpx
import pytest

from ima2_common.inflight import SLOTS_KEY
from tests.image_support import EventWatch, history_rows, inflight_ids, rid, sse_post, wait_until
from tests.scale.conftest import LEASE_SECONDS, UPSTREAM_TIMEOUT_SECONDS, Scaled
from tests.scale.support import HANG, Registry, cancel_all, idle, node_body, start_async
from tests.sse import Frame, LiveEvents

pytestmark = pytest.mark.scale
TERMINAL = ("done", "error")
# The reaper of every surviving replica checks leases a few times per lease; its ending then reaches
# both gateways. A job of a dead replica must end within this deadline.
LEASE_DEADLINE = LEASE_SECONDS * 3


def replica_with_pid(scaled: Scaled, part: str, pid: int) -> str:
    scaled.reload()
    return next(str(r["name"]) for r in scaled.replicas(part) if r["pid"] == pid)


def pid_of(scaled: Scaled, part: str, name: str) -> int:
    scaled.reload()
    return next(int(str(r["pid"])) for r in scaled.replicas(part) if r["name"] == name)


def endings(watch: EventWatch, request_id: str) -> list[Frame]:
    return [f for f in watch.seen(request_id) if f.event in TERMINAL]


async def owners(registry: Registry, ids: list[str]) -> dict[str, int] | None:
    pids = await asyncio.gather(*(registry.owner_pid(request_id) for request_id in ids))
    if None in pids:
        return None
    return {request_id: pid for request_id, pid in zip(ids, pids, strict=True) if pid is not None}


async def test_killed_image_replica_ends_only_its_own_jobs(
    scaled: Scaled, gateways: list[httpx.AsyncClient], sandbox: httpx.AsyncClient
) -> None:
    one, two = gateways
    await sandbox.post("/_sandbox/faults", json=HANG)
    ids = [rid("req_kill") for _ in range(6)]
    async with Registry(scaled) as registry, EventWatch(one) as watch_one, EventWatch(two) as watch_two:
        for index, request_id in enumerate(ids):
            assert (await start_async(gateways[index % 2], request_id)).status_code == 202
        owned = await wait_until(lambda: owners(registry, ids))
        victim = owned[ids[0]]
        victim_ids = [r for r in ids if owned[r] == victim]
        survivors = [r for r in ids if owned[r] != victim]
        assert survivors, "round_robin put every job on one replica"
        name = replica_with_pid(scaled, "svc-image", victim)

        os.kill(victim, signal.SIGKILL)
        for request_id in victim_ids:
            for watch in (watch_one, watch_two):
                frames = await watch.job(request_id, timeout=LEASE_DEADLINE)
                assert frames[-1].event == "error" and frames[-1].data["code"] == "JOB_TRACKING_TIMEOUT"
            assert await registry.record(request_id) is None
        # The other replicas' jobs are untouched and still listed.
        assert not any(endings(watch_one, r) for r in survivors)
        assert set(survivors) <= await inflight_ids(two)

        # Other replicas keep serving while the launcher brings the killed one back.
        await sandbox.post("/_sandbox/reset")
        for index in range(6):  # round_robin skips the dead replica: not one call fails
            served = await gateways[index % 2].post("/api/node/generate", json=node_body(rid("req_kill")))
            assert served.status_code == 200, served.text
        await cancel_all(one)
        for request_id in survivors:
            await watch_one.job(request_id, timeout=30)
            await watch_two.job(request_id, timeout=30)
        # No job ended twice, on either gateway; nothing is left in the registry.
        for request_id in ids:
            assert len(endings(watch_one, request_id)) == 1, request_id
            assert len(endings(watch_two, request_id)) == 1, request_id
            assert await registry.record(request_id) is None
        await wait_until(lambda: idle(one))
        slots = await registry.jobs.get(SLOTS_KEY)
        assert not set(ids) & set(__import__("json").loads(slots.value or b"{}"))

        # The launcher restarted it (new pid, listed up) and it takes work again.
        new_pid = await wait_until(lambda: _restarted(scaled, name, victim), timeout=60)
        await wait_until(lambda: _all_up(one), timeout=60)
        await sandbox.post("/_sandbox/faults", json=HANG)
        assert await wait_until(lambda: _lands_on(one, registry, new_pid), timeout=60)
        await cancel_all(one)
        await wait_until(lambda: idle(one))


async def _restarted(scaled: Scaled, name: str, old_pid: int) -> int | None:
    pid = pid_of(scaled, "svc-image", name)
    return pid if pid != old_pid else None


async def _all_up(client: httpx.AsyncClient) -> bool:
    health = (await client.get("/api/health")).json()
    return all(r["status"] == "up" for s in health["services"].values() for r in s["replicas"])


async def _lands_on(client: httpx.AsyncClient, registry: Registry, pid: int) -> bool:
    """Start a held job; true once one lands on the given replica (round_robin reached it)."""
    request_id = rid("req_back")
    assert (await start_async(client, request_id)).status_code == 202
    owner = await wait_until(lambda: registry.owner_pid(request_id))
    await client.delete(f"/api/inflight/{request_id}")
    return bool(owner == pid)


async def test_nats_node_killed_under_load(scaled: Scaled, gateways: list[httpx.AsyncClient]) -> None:
    one, two = gateways
    received: list[list[Frame]] = [[], []]
    jobs = [rid("req_nats") for _ in range(12)]
    results: dict[str, int] = {}
    failures: dict[str, str] = {}

    async def listen(live: LiveEvents, into: list[Frame]) -> None:
        assert live.frames is not None
        async for frame in live.frames:
            if frame.event:
                into.append(frame)

    async def worker(client: httpx.AsyncClient, mine: list[str], killed: asyncio.Event) -> None:
        for index, request_id in enumerate(mine):
            if index == 2:
                await killed.wait()
            response = await client.post("/api/node/generate", json=node_body(request_id), timeout=90)
            results[request_id] = response.status_code
            if response.status_code != 200:
                failures[request_id] = response.text

    async with Registry(scaled) as registry, LiveEvents(one) as live_one, LiveEvents(two) as live_two:
        readers = [
            asyncio.create_task(listen(live, into))
            for live, into in zip((live_one, live_two), received, strict=True)
        ]
        killed = asyncio.Event()
        workers = [
            asyncio.create_task(worker(one, jobs[0::2], killed)),
            asyncio.create_task(worker(two, jobs[1::2], killed)),
        ]
        await wait_until(lambda: _count(results, 2))
        leader = (await registry.js.stream_info("IMA2_EVENTS")).cluster.leader  # type: ignore[union-attr]
        name = "nats" if leader == "ima2-1" else f"nats-{str(leader).rsplit('-', 1)[1]}"
        old_pid = pid_of(scaled, "nats", name)
        os.kill(old_pid, signal.SIGKILL)
        killed.set()
        await asyncio.wait_for(asyncio.gather(*workers), 180)

        async def both_saw_every_ending() -> bool:
            return all(
                {f.data.get("jobId") for f in into if f.event in TERMINAL} >= set(jobs) for into in received
            )

        await wait_until(both_saw_every_ending, timeout=60)
        for reader in readers:
            reader.cancel()
        assert not failures, failures
        ids_one = [f.id for f in received[0] if f.id is not None]
        ids_two = [f.id for f in received[1] if f.id is not None]
        common_start = max(ids_one[0], ids_two[0])
        trimmed_one = [i for i in ids_one if i >= common_start]
        trimmed_two = [i for i in ids_two if i >= common_start]
        for ids in (trimmed_one, trimmed_two):
            assert len(ids) == len(set(ids)), "a duplicate event id"
            assert ids == list(range(ids[0], ids[0] + len(ids))), "a gap in event ids"
        shortest = min(len(trimmed_one), len(trimmed_two))
        assert trimmed_one[:shortest] == trimmed_two[:shortest]
        # KV state intact: nothing of these jobs left behind, and the node comes back.
        for request_id in jobs:
            assert await registry.record(request_id) is None
        assert not set(jobs) & await inflight_ids(one)
        await wait_until(lambda: _node_back(scaled, name, old_pid), timeout=60)


def _count(results: dict[str, int], at_least: int) -> Any:
    async def check() -> bool:
        return len(results) >= at_least

    return check()


async def _node_back(scaled: Scaled, name: str, old_pid: int) -> bool:
    return pid_of(scaled, "nats", name) != old_pid


async def test_postgresql_restart(scaled: Scaled, gateways: list[httpx.AsyncClient]) -> None:
    one, two = gateways
    before = rid("req_pg")
    assert (await one.post("/api/node/generate", json=node_body(before))).status_code == 200
    scaled.pg.stop()
    try:
        down = await two.get("/api/history", params={"limit": 5})
        assert down.status_code == 503, down.text
        body = down.json()
        code = body["error"]["code"] if isinstance(body.get("error"), dict) else body["code"]
        message = body["error"]["message"] if isinstance(body.get("error"), dict) else body["error"]
        assert code == "SERVICE_UNAVAILABLE" and "PostgreSQL" in message, body
    finally:
        scaled.pg.start()

    async def recovered() -> bool:
        response = await two.get("/api/history", params={"limit": 500})
        return response.status_code == 200 and any(
            row.get("requestId") == before for row in response.json()["items"]
        )

    await wait_until(recovered, timeout=60)
    after = rid("req_pg")
    assert (await two.post("/api/node/generate", json=node_body(after))).status_code == 200
    rows = await history_rows(one)
    assert {before, after} <= {row.get("requestId") for row in rows}


@pytest.mark.parametrize(
    ("fault", "code"),
    [
        ({"mode": "hang"}, "RESPONSES_IMAGE_TIMEOUT"),
        ({"status": 429}, "RATE_LIMITED"),
        ({"status": 502}, "UPSTREAM_5XX"),
        ({"mode": "drop"}, "NETWORK_FAILED"),
    ],
)
async def test_upstream_faults_end_with_their_codes(
    gateways: list[httpx.AsyncClient], sandbox: httpx.AsyncClient, fault: dict[str, Any], code: str
) -> None:
    await sandbox.post(
        "/_sandbox/faults", json={"upstream": "openai", "path": "/responses", "count": 0, **fault}
    )
    request_id = rid("req_up")
    result = await sse_post(
        gateways[1], "/api/generate/multimode", node_body(request_id), timeout=UPSTREAM_TIMEOUT_SECONDS * 3
    )
    assert result.last.event == "error", result.frames
    assert result.last.data["code"] == code, result.last.data
    assert request_id not in await inflight_ids(gateways[0])
