"""/api/events fan-out: N listeners, events at a fixed rate; delivery, order and first→last spread."""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time

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

        def p(xs: list[float], q: float) -> float:
            return xs[min(len(xs) - 1, int(len(xs) * q))]

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


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--listeners", type=int, default=512)
    parser.add_argument("--rate", type=float, default=50)
    parser.add_argument("--count", type=int, default=500)
    args = parser.parse_args()
    asyncio.run(run(args.listeners, args.rate, args.count))
