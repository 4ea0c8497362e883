"""Two gateways behave as one: replicas listed, same event ids and replay, admission, cancel and
history across gateways, on the scaled stack."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from tests.image_support import EventWatch, history_rows, inflight_ids, rid, wait_until
from tests.scale.conftest import MAX_PARALLEL, SCALE, Scaled
from tests.scale.support import HANG, Registry, cancel_all, code_of, idle, node_body, start_async
from tests.sse import LiveEvents

pytestmark = pytest.mark.scale


async def test_every_replica_is_listed_and_replicated(
    scaled: Scaled, gateways: list[httpx.AsyncClient]
) -> None:
    info = scaled.stack.info
    assert len(info["gateways"]) == SCALE["gateway"]
    said = (scaled.stack.home / "launcher.out").read_text()
    assert "replicas: gateway x2, nats x3, svc-auth x2, svc-library x2, svc-image x3, svc-video x2" in said, (
        said
    )
    for part, count in SCALE.items():
        replicas = info["stack"]["replicas"][part]
        assert len(replicas) == count, part
        assert len({r["address"] for r in replicas}) == count
        assert all(r["pid"] for r in replicas)
    for client in gateways:
        health = (await client.get("/api/health")).json()
        assert health["ok"] is True
        assert health["nats"]["status"] == "up" and health["nats"]["servers"] == SCALE["nats"]
        assert health["nats"]["connectedTo"] in {
            s.removeprefix("nats://") for s in info["stack"]["natsServers"]
        }
        for name, state in health["services"].items():
            assert [r["status"] for r in state["replicas"]] == ["up"] * SCALE[f"svc-{name}"], name
    async with Registry(scaled) as registry:
        for stream in await registry.js.streams_info():
            assert stream.config.num_replicas == 3, stream.config.name
            assert stream.cluster is not None and len(stream.cluster.replicas or []) == 2


async def test_same_event_ids_and_replay_from_either_gateway(gateways: list[httpx.AsyncClient]) -> None:
    one, two = gateways
    request_id = rid("req_scale")
    async with EventWatch(one) as watch_one, EventWatch(two) as watch_two:
        done = await one.post("/api/node/generate", json=node_body(request_id))
        assert done.status_code == 200, done.text
        seen_one = await watch_one.job(request_id)
        seen_two = await watch_two.job(request_id)
    ids = [f.id for f in seen_one]
    assert ids == [f.id for f in seen_two] and seen_one[-1].event == "done"
    assert [f.data for f in seen_one] == [f.data for f in seen_two]
    # Replay from the other gateway: everything after the first event, the same ids.
    first = ids[0]
    assert first is not None
    async with LiveEvents(two, headers={"Last-Event-ID": str(first)}) as live:
        replayed = await live.collect(lambda f: f.event == "done" and f.data.get("jobId") == request_id)
    mine = [f.id for f in replayed if f.event and f.data.get("jobId") == request_id]
    assert mine == ids[1:]


async def test_admission_holds_across_gateways(
    gateways: list[httpx.AsyncClient], sandbox: httpx.AsyncClient
) -> None:
    one, two = gateways
    await sandbox.post("/_sandbox/faults", json=HANG)
    held = [rid("req_adm") for _ in range(MAX_PARALLEL)]
    try:
        for index, request_id in enumerate(held):
            response = await start_async(gateways[index % 2], request_id)
            assert response.status_code == 202, response.text
        # The same id through the other gateway, and any id once every slot is taken.
        again = await two.post("/api/node/generate", json=node_body(held[0], **{"async": True}))
        assert again.status_code == 409 and code_of(again) == "REQUEST_ID_IN_USE"
        for client in gateways:
            full = await start_async(client, rid("req_adm"))
            assert full.status_code == 429 and code_of(full) == "TOO_MANY_JOBS"
        assert set(held) <= await inflight_ids(two)
    finally:
        await cancel_all(one)
        await wait_until(lambda: idle(two))


async def test_cancel_through_the_other_gateway(
    scaled: Scaled, gateways: list[httpx.AsyncClient], sandbox: httpx.AsyncClient
) -> None:
    one, two = gateways
    await sandbox.post("/_sandbox/faults", json=HANG)
    ids = [rid("req_cancel") for _ in range(SCALE["svc-image"])]
    async with Registry(scaled) as registry, EventWatch(one) as watch:
        for request_id in ids:
            assert (await start_async(one, request_id)).status_code == 202
        owners = await wait_until(lambda: _owners(registry, ids))  # round_robin spread them over the replicas
        assert len(set(owners)) == SCALE["svc-image"]
        for request_id in ids:
            canceled = await two.delete(f"/api/inflight/{request_id}")
            assert canceled.json() == {"requestId": request_id, "active": True, "aborted": True}
        for request_id in ids:
            frames = await watch.job(request_id, timeout=30)
            assert frames[-1].event == "error" and frames[-1].data["code"] == "GENERATION_CANCELED"
    await wait_until(lambda: idle(one))


async def _owners(registry: Registry, ids: list[str]) -> list[int] | None:
    pids = await asyncio.gather(*(registry.owner_pid(request_id) for request_id in ids))
    return None if None in pids else [p for p in pids if p is not None]


async def test_history_written_through_one_gateway_is_read_through_the_other(
    gateways: list[httpx.AsyncClient],
) -> None:
    one, two = gateways
    request_id = rid("req_hist")
    done = await one.post("/api/node/generate", json=node_body(request_id))
    assert done.status_code == 200, done.text
    rows = await history_rows(two)
    assert any(row.get("requestId") == request_id for row in rows), [r.get("requestId") for r in rows[:3]]


async def test_a_sessions_agent_items_take_turns_across_replicas(
    scaled: Scaled, gateways: list[httpx.AsyncClient], sandbox: httpx.AsyncClient
) -> None:
    one, two = gateways
    made = await one.post("/api/agent/sessions", json={"generationSettings": {"provider": "api"}})
    sid = made.json()["session"]["id"]
    await sandbox.post("/_sandbox/faults", json=HANG)
    try:
        items = []
        for n in range(SCALE["svc-image"]):
            queued = await gateways[n % 2].post(
                f"/api/agent/sessions/{sid}/queue", json={"prompt": f"/generate moon {n}"}
            )
            assert queued.status_code == 202, queued.text
            items.append(queued.json()["queueItem"])
        async with Registry(scaled) as registry:
            owners = await wait_until(lambda: _owners(registry, [i["requestId"] for i in items]))
        assert len(set(owners)) > 1  # on different replicas, yet one at a time
        await wait_until(lambda: _statuses(two, sid, ["running", "queued", "queued"]))
        assert (await one.post(f"/api/agent/queue/{items[0]['id']}/cancel")).status_code == 200
        await wait_until(lambda: _statuses(two, sid, ["canceled", "running", "queued"]))
    finally:
        await cancel_all(one)
        await wait_until(lambda: idle(two))
        await one.delete(f"/api/agent/sessions/{sid}")


async def _statuses(client: httpx.AsyncClient, session_id: str, expected: list[str]) -> bool:
    queue = (await client.get(f"/api/agent/sessions/{session_id}/queue")).json()["queue"]
    return [item["status"] for item in reversed(queue)] == expected
