"""GET /api/events: ids, replay, replay-gap, image omission, pings, capacity, slow clients, replicas."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import nats
import pytest

from ima2_common import events, limits
from ima2_common.net import free_port
from tests.sse import Frame, LiveEvents, collect, frames
from tests.stackctl import RunningStack


async def publish(stack: RunningStack, count: int, size: int = 10, kind: str = "test") -> list[int]:
    """Publish events straight onto the stream, as a service would."""
    nc = await nats.connect(stack.nats_url)
    js = nc.jetstream()
    request_id = f"req_pub_{uuid.uuid4().hex[:8]}"
    seqs = []
    for index in range(count):
        payload = {
            "requestId": request_id,
            "jobId": request_id,
            "phase": "streaming",
            "i": index,
            "pad": "x" * size,
        }
        ack = await js.publish(
            events.event_subject(kind, request_id),
            json.dumps(payload).encode(),
            headers={events.HEADER_EVENT: "phase"},
        )
        seqs.append(ack.seq)
    await nc.close()
    return seqs


async def read_frames(client: httpx.AsyncClient, count: int, **kwargs: Any) -> list[Frame]:
    got: list[Frame] = []
    async with client.stream("GET", "/api/events", **kwargs) as response:
        async for frame in frames(response):
            if frame.event:
                got.append(frame)
            if len(got) >= count:
                break
    return got


async def test_replay_by_header_and_by_query(client: httpx.AsyncClient, stack: RunningStack) -> None:
    seqs = await publish(stack, 5)
    by_header = await read_frames(client, 3, headers={"Last-Event-ID": str(seqs[1])})
    assert [f.id for f in by_header] == seqs[2:]
    by_query = await read_frames(client, 4, params={"lastEventId": seqs[0]})
    assert [f.id for f in by_query] == seqs[1:]
    assert all(f.data["jobId"] == f.data["requestId"] for f in by_query)
    both = await read_frames(client, 1, headers={"Last-Event-ID": f"{seqs[3]}, 1"}, params={"lastEventId": 0})
    assert [f.id for f in both] == seqs[4:]


async def test_no_cursor_means_no_history(client: httpx.AsyncClient, stack: RunningStack) -> None:
    await publish(stack, 2)
    async with LiveEvents(client) as live:
        fresh = await publish(stack, 1)
        got = await live.collect(lambda f: bool(f.event), timeout=10)
    assert [f.id for f in got if f.event] == fresh


async def test_events_published_right_after_connecting_are_delivered(
    client: httpx.AsyncClient, stack: RunningStack
) -> None:
    # `retry:` arrives only once the server knows where the stream stands: whatever is published
    # after it reaches the client, none is skipped as "already seen".
    for _ in range(20):
        async with LiveEvents(client) as live:
            fresh = await publish(stack, 1)
            got = await live.collect(lambda f: bool(f.event), timeout=10)
        assert [f.id for f in got if f.event] == fresh


async def test_replay_gap_when_cursor_is_ahead_or_too_old(
    client: httpx.AsyncClient, stack: RunningStack
) -> None:
    seqs = await publish(stack, 1)
    ahead = await read_frames(client, 1, headers={"Last-Event-ID": str(seqs[0] + 1000)})
    assert ahead[0].event == "replay-gap" and ahead[0].id is None
    assert ahead[0].data["lastEventId"] == seqs[0] + 1000
    await publish(stack, limits.SSE_REPLAY_EVENTS + 10, size=1)
    old = await read_frames(client, 2, headers={"Last-Event-ID": "1"})
    assert old[0].event == "replay-gap"
    oldest = old[0].data["oldestAvailableId"]
    assert oldest > 2 and old[1].id == oldest


async def test_replay_omits_large_images_but_live_keeps_them(
    client: httpx.AsyncClient, stack: RunningStack
) -> None:
    before = (await client.get("/api/health")).json()["nats"]["lastEventId"]
    request_id = f"req_img_{uuid.uuid4().hex[:8]}"
    async with client.stream("GET", "/api/events") as live:
        response = await client.post(
            "/api/generate", json={"prompt": "p", "provider": "api", "async": True, "requestId": request_id}
        )
        assert response.status_code == 202
        live_frames = await collect(live, lambda f: f.event == "done" and f.data["jobId"] == request_id)
    done_live = live_frames[-1]
    assert done_live.data["image"].startswith("data:image/png;base64,")
    replayed = await read_frames(
        client, len([f for f in live_frames if f.event]), headers={"Last-Event-ID": str(before)}
    )
    done_replay = next(f for f in replayed if f.id == done_live.id)
    assert "image" not in done_replay.data and done_replay.data["_imageOmitted"] is True
    assert done_replay.data["filename"] == done_live.data["filename"]


async def test_idle_stream_gets_pings(client: httpx.AsyncClient) -> None:
    async with client.stream("GET", "/api/events") as response:
        got = await collect(response, lambda f: f.comment == "ping", timeout=5)
    assert got[-1].comment == "ping"
    assert response.headers["cache-control"] == "no-cache, no-transform"
    assert response.headers["x-accel-buffering"] == "no"


async def test_capacity_is_512_listeners(stack: RunningStack) -> None:
    limits_ = httpx.Limits(max_connections=limits.SSE_MAX_LISTENERS + 10)
    async with httpx.AsyncClient(base_url=stack.url, limits=limits_, timeout=30) as http:
        streams = []
        try:
            for _ in range(limits.SSE_MAX_LISTENERS):
                request = http.build_request("GET", "/api/events")
                response = await http.send(request, stream=True)
                assert response.status_code == 200
                streams.append(response)
            refused = await http.get("/api/events")
            assert refused.status_code == 503
            assert refused.json()["error"]["code"] == "SSE_CAPACITY"
        finally:
            await asyncio.gather(*(s.aclose() for s in streams))
        for _ in range(50):
            probe = await http.send(http.build_request("GET", "/api/events"), stream=True)
            status = probe.status_code
            await probe.aclose()
            if status == 200:
                break
            await asyncio.sleep(0.1)
        assert status == 200


async def test_slow_client_does_not_stall_others(client: httpx.AsyncClient, stack: RunningStack) -> None:
    slow = socket.socket()
    slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    slow.connect(("127.0.0.1", stack.info["port"]))
    slow.sendall(b"GET /api/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n")
    try:
        async with LiveEvents(client) as fast:
            reader = asyncio.create_task(
                fast.collect(lambda f: f.event and f.data.get("i") == 399, timeout=60)
            )
            seqs = await publish(stack, 400, size=20_000)
            got = [f.id for f in await reader if f.event]
        assert got == seqs
        slow.setblocking(False)
        received = b""
        loop = asyncio.get_running_loop()
        last = f"id: {seqs[-1]}\n".encode()
        deadline = loop.time() + 30
        while last not in received:
            assert loop.time() < deadline, "the slow client never caught up"
            chunk = await asyncio.wait_for(loop.sock_recv(slow, 65536), 10)
            assert chunk
            received += chunk
        ids = [
            int(line[4:])
            for line in received.decode(errors="replace").splitlines()
            if line.startswith("id: ")
        ]
        assert ids == sorted(ids) and len(ids) == len(set(ids)) and set(seqs) <= set(ids)
    finally:
        slow.close()


@pytest.fixture
def second_gateway(stack: RunningStack) -> Iterator[str]:
    port = free_port()
    env = {
        **os.environ,
        "IMA2_HOME": str(stack.home),
        "IMA2_PORT": str(port),
        "IMA2_NATS_URL": stack.nats_url,
        "IMA2_SANDBOX": "1",
    }
    for name, address in stack.info["stack"]["services"].items():
        env[f"IMA2_{name.upper()}_ADDR"] = address
    proc = subprocess.Popen(
        [sys.executable, "-m", "ima2_gateway"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                if httpx.get(f"{url}/api/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.05)
        yield url
    finally:
        proc.terminate()
        proc.wait(10)


async def test_two_gateways_serve_the_same_ids_and_replay(
    client: httpx.AsyncClient, stack: RunningStack, second_gateway: str
) -> None:
    seqs = await publish(stack, 6)
    async with httpx.AsyncClient(base_url=second_gateway, timeout=20) as other:
        one = await read_frames(client, 5, headers={"Last-Event-ID": str(seqs[0])})
        two = await read_frames(other, 5, headers={"Last-Event-ID": str(seqs[0])})
        assert [(f.id, f.event, f.data) for f in one] == [(f.id, f.event, f.data) for f in two]
        async with LiveEvents(client) as a, LiveEvents(other) as b:
            wait_a = asyncio.create_task(a.collect(lambda f: bool(f.event), timeout=10))
            wait_b = asyncio.create_task(b.collect(lambda f: bool(f.event), timeout=10))
            live = await publish(stack, 1)
            assert [f.id for f in await wait_a if f.event] == live == [f.id for f in await wait_b if f.event]
