"""Gateway + gRPC + NATS overhead per generation against a zero-latency sandbox, and sustained concurrency.

The sandbox still takes a few milliseconds to render an image, so each generation through the
gateway (POST /api/generate → svc-image → sandbox → svc-library → NATS → JSON) is paired with the
same upstream request sent straight to the sandbox (the exact body svc-image sent, read back from
the sandbox request log); the overhead is the difference. Pairs alternate so drift hits both sides.
SaveMedia (file + XMP + thumbnail + index) is part of every generation; its direct gRPC cost is
printed too so the pure transport share can be read off.

Then concurrency is ramped (1, 2, 4, ...) until TOO_MANY_JOBS or errors, printing throughput.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from typing import Any

import httpx
from _stack import bench_stack

from ima2_common.grpc_client import ServiceClient
from ima2_common.structs import dict_to_struct
from ima2_proto.v1 import library_pb2, library_pb2_grpc

BODY = {
    "prompt": "bench",
    "provider": "api",
    "quality": "low",
    "size": "256x256",
    "webSearchEnabled": False,
}


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))]


def summary(values: list[float]) -> str:
    return f"p50={statistics.median(values):7.2f}  p99={pct(values, 0.99):7.2f}  mean={statistics.fmean(values):7.2f}"


async def through_gateway(client: httpx.AsyncClient) -> float:
    started = time.perf_counter()
    response = await client.post("/api/generate", json=BODY)
    elapsed = (time.perf_counter() - started) * 1000
    if response.status_code != 200:
        raise RuntimeError(f"generate failed: {response.status_code} {response.text[:200]}")
    return elapsed


async def upstream_body(
    sandbox: httpx.AsyncClient, client: httpx.AsyncClient
) -> tuple[dict[str, Any], dict[str, str]]:
    """The exact Responses request svc-image sends for BODY (from the sandbox request log)."""
    await sandbox.delete("/_sandbox/requests")
    await through_gateway(client)
    calls = (await sandbox.get("/_sandbox/requests", params={"path": "/responses"})).json()["requests"]
    call = calls[-1]
    headers = {"Authorization": "Bearer sk-sandbox-ima2-local", "Accept": "text/event-stream"}
    return call["json"], headers


async def direct(sandbox: httpx.AsyncClient, body: dict[str, Any], headers: dict[str, str]) -> float:
    started = time.perf_counter()
    async with sandbox.stream("POST", "/openai/v1/responses", json=body, headers=headers) as response:
        async for _ in response.aiter_bytes():
            pass
    elapsed = (time.perf_counter() - started) * 1000
    if response.status_code != 200:
        raise RuntimeError(f"direct call failed: {response.status_code}")
    return elapsed


async def save_media_cost(library_addr: str, image: bytes, count: int) -> list[float]:
    client = ServiceClient("library", library_addr, library_pb2_grpc.LibraryServiceStub)
    times = []
    try:
        for index in range(count):
            request = library_pb2.SaveMediaRequest(
                data=image,
                mime="image/png",
                kind="classic",
                index=index,
                metadata=dict_to_struct(
                    {"prompt": "bench", "provider": "api", "requestId": f"bench_{index}"}
                ),
                request_id=f"bench_{index}",
            )
            started = time.perf_counter()
            await client.unary(client.stub.SaveMedia, request)
            times.append((time.perf_counter() - started) * 1000)
    finally:
        await client.close()
    return times


async def level_run(
    client: httpx.AsyncClient, level: int, per_worker: int
) -> tuple[list[float], int, int, float]:
    """`level` workers, each running `per_worker` generations back to back."""
    ok: list[float] = []
    refused = failed = 0

    async def worker() -> None:
        nonlocal refused, failed
        for _ in range(per_worker):
            started = time.perf_counter()
            response = await client.post("/api/generate", json=BODY)
            if response.status_code == 200:
                ok.append((time.perf_counter() - started) * 1000)
            elif response.status_code == 429 and response.json().get("code") == "TOO_MANY_JOBS":
                refused += 1
            else:
                failed += 1

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(level)))
    return ok, refused, failed, time.perf_counter() - started


async def ramp(client: httpx.AsyncClient, levels: list[int], per_worker: int) -> None:
    limit = (await client.get("/api/capabilities")).json()["limits"]["maxParallel"]
    print(f"\nconcurrency ramp (each worker runs generations back to back; IMA2_MAX_PARALLEL={limit}):")
    print(f"{'workers':>8} {'ok':>6} {'429':>5} {'other':>6} {'gen/s':>8} {'p50 ms':>8} {'p99 ms':>8}")
    sustained = 0
    for level in levels:
        ok, refused, failed, wall = await level_run(client, level, per_worker)
        p50 = statistics.median(ok) if ok else float("nan")
        p99 = pct(ok, 0.99) if ok else float("nan")
        print(
            f"{level:>8} {len(ok):>6} {refused:>5} {failed:>6} {len(ok) / wall:>8.1f} {p50:>8.1f} {p99:>8.1f}"
        )
        if refused or failed:
            break
        sustained = level
    print(f"sustained concurrent jobs without TOO_MANY_JOBS or errors: {sustained}")


async def run(count: int, levels: list[int], per_worker: int) -> None:
    stack = bench_stack(IMA2_LOG_LEVEL="WARNING")
    limits = httpx.Limits(max_connections=256, max_keepalive_connections=256)
    try:
        async with (
            httpx.AsyncClient(base_url=stack.url, timeout=60, limits=limits) as client,
            httpx.AsyncClient(base_url=stack.sandbox_url, timeout=60, limits=limits) as sandbox,
        ):
            body, headers = await upstream_body(sandbox, client)
            for _ in range(20):  # warm-up: connections, caches, JIT-less but lazy imports
                await through_gateway(client)
                await direct(sandbox, body, headers)
            gateway_ms, direct_ms, overhead_ms = [], [], []
            for _ in range(count):
                d = await direct(sandbox, body, headers)
                g = await through_gateway(client)
                direct_ms.append(d)
                gateway_ms.append(g)
                overhead_ms.append(g - d)
            sample = (await client.post("/api/generate", json=BODY)).json()["filename"]
            image = (await client.get(f"/generated/{sample}")).content
            save_ms = await save_media_cost(
                stack.info["stack"]["services"]["library"], image, min(count, 200)
            )
            print(
                f"generations: {count} pairs (size {BODY['size']}, quality {BODY['quality']}, provider api)"
            )
            print(f"direct to sandbox    ms: {summary(direct_ms)}")
            print(f"through the gateway  ms: {summary(gateway_ms)}")
            print(f"overhead (paired)    ms: {summary(overhead_ms)}   (target p50 < 5)")
            print(
                f"  of which SaveMedia ms: {summary(save_ms)}   (file + XMP + thumbnail + index, direct gRPC)"
            )
            await ramp(client, levels, per_worker)
    finally:
        stack.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=300, help="paired generations to time")
    parser.add_argument("--levels", default="1,2,4,8,12,16,20,24,28,32", help="concurrency levels to ramp")
    parser.add_argument("--per-worker", type=int, default=8, help="generations per worker at each level")
    args = parser.parse_args()
    asyncio.run(run(args.count, [int(x) for x in args.levels.split(",")], args.per_worker))
