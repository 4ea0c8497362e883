"""/api/events fan-out: N listeners, events at a fixed rate; delivery, order and first→last spread.

`--jobs N` then runs the case of N async generations whose `done` events (with their images)
reach every listener: every POST must get an answer (202, or 429/503 with Retry-After), never a
dropped connection, and every listener must see every `done`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import statistics
import time
import uuid

import httpx
import nats
from _stack import bench_stack

from ima2_common import events


async def listen(
    port: int, expected: int, got: dict[int, float], ready: asyncio.Event, counter: list[int], total: int
) -> None:
    """A lean SSE client (raw socket, id lines only) so the client side costs little CPU."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"GET /api/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n")
    await writer.drain()
    await reader.readuntil(b"\r\n\r\n")
    counter[0] += 1
    if counter[0] == total:
        ready.set()
    buffer = b""
    while len(got) < expected:
        chunk = await reader.read(65536)
        if not chunk:
            break
        now = time.monotonic()
        buffer += chunk
        *lines, buffer = buffer.split(b"\n")
        for line in lines:
            if line.startswith(b"id: "):
                got[int(line[4:])] = now
    writer.close()


async def run(listeners: int, rate: float, count: int) -> None:
    stack = bench_stack(IMA2_SSE_PING_SECONDS="30")
    try:
        arrivals: list[dict[int, float]] = [{} for _ in range(listeners)]
        ready, counter = asyncio.Event(), [0]
        port = stack.info["port"]
        tasks = [
            asyncio.create_task(listen(port, count, arrivals[i], ready, counter, listeners))
            for i in range(listeners)
        ]
        await asyncio.wait_for(ready.wait(), 60)
        await asyncio.sleep(1)
        nc = await nats.connect(stack.nats_url)
        js = nc.jetstream()
        sent: dict[int, float] = {}
        for index in range(count):
            payload = {"requestId": "bench", "jobId": "bench", "phase": "streaming", "i": index}
            started = time.monotonic()
            ack = await js.publish(
                events.event_subject("bench", "bench"),
                json.dumps(payload).encode(),
                headers={events.HEADER_EVENT: "phase"},
            )
            sent[ack.seq] = started
            await asyncio.sleep(max(0.0, 1 / rate - (time.monotonic() - started)))
        await asyncio.wait(tasks, timeout=30)
        await nc.close()
        delivered = sum(len(a) for a in arrivals)
        in_order = all(list(a) == sorted(a) for a in arrivals)
        spreads, latencies = [], []
        for seq, at in sent.items():
            times = [a[seq] for a in arrivals if seq in a]
            if times:
                spreads.append((max(times) - min(times)) * 1000)
                latencies.append((max(times) - at) * 1000)
        spreads.sort()
        latencies.sort()
        p = lambda xs, q: xs[min(len(xs) - 1, int(len(xs) * q))]  # noqa: E731
        print(f"listeners={listeners} rate={rate}/s events={count} deliveries/s={listeners * rate:.0f}")
        print(
            f"delivered={delivered}/{listeners * count} dropped={listeners * count - delivered} in_order={in_order}"
        )
        print(
            f"spread first→last ms: p50={statistics.median(spreads):.1f} p99={p(spreads, 0.99):.1f} (target p99 < 100)"
        )
        print(
            f"publish→last listener ms: p50={statistics.median(latencies):.1f} p99={p(latencies, 0.99):.1f}"
        )
    finally:
        stack.stop()


async def count_done(
    port: int, wanted: int, seen: list[int], ready: asyncio.Event, counter: list[int], progress: asyncio.Event
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"GET /api/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n")
    await writer.drain()
    await reader.readuntil(b"\r\n\r\n")
    counter[0] += 1
    if counter[0] == len(seen):
        ready.set()
    index = counter[0] - 1
    tail = b""
    while seen[index] < wanted:
        chunk = await reader.read(1 << 20)
        if not chunk:
            break
        window = tail + chunk
        seen[index] += window.count(b"event: done\n")
        tail = window[-12:]
        progress.set()
    writer.close()


async def run_jobs(listeners: int, jobs: int) -> None:
    stack = bench_stack(IMA2_SSE_PING_SECONDS="30", IMA2_LOG_LEVEL="WARNING")
    try:
        seen, ready, counter, progress = [0] * listeners, asyncio.Event(), [0], asyncio.Event()
        port = stack.info["port"]
        readers = [
            asyncio.create_task(count_done(port, jobs, seen, ready, counter, progress))
            for _ in range(listeners)
        ]
        await asyncio.wait_for(ready.wait(), 60)
        outcomes: dict[str, int] = {}
        limits = httpx.Limits(max_connections=jobs, max_keepalive_connections=jobs)
        async with httpx.AsyncClient(base_url=stack.url, timeout=120, limits=limits) as client:

            async def post() -> None:
                body = {"prompt": "fan-out", "provider": "api", "quality": "low", "async": True}
                try:
                    response = await client.post(
                        "/api/generate", json={**body, "requestId": uuid.uuid4().hex}
                    )
                    key = str(response.status_code)
                    if response.status_code in (429, 503) and "retry-after" not in response.headers:
                        key += " without Retry-After"
                except httpx.HTTPError as exc:
                    key = f"dropped ({type(exc).__name__})"
                outcomes[key] = outcomes.get(key, 0) + 1

            started = time.monotonic()
            await asyncio.gather(*(post() for _ in range(jobs)))
            accepted = outcomes.get("202", 0)
            deadline = time.monotonic() + 120
            while min(seen) < accepted and time.monotonic() < deadline:
                progress.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(progress.wait(), deadline - time.monotonic())
        elapsed = time.monotonic() - started
        for reader in readers:
            reader.cancel()
        complete = sum(1 for count in seen if count >= accepted)
        print(
            f"{jobs} async generations with {listeners} listeners: answers {dict(sorted(outcomes.items()))}"
        )
        print(
            f"listeners that saw every accepted job's done: {complete}/{listeners} "
            f"(all done in {elapsed:.1f} s)"
        )
    finally:
        stack.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--listeners", type=int, default=512)
    parser.add_argument("--rate", type=float, default=50)
    parser.add_argument("--count", type=int, default=500)
    parser.add_argument("--jobs", type=int, default=0, help="then N async generations fanned out")
    args = parser.parse_args()
    if args.count:
        asyncio.run(run(args.listeners, args.rate, args.count))
    if args.jobs:
        asyncio.run(run_jobs(args.listeners, args.jobs))
