"""CPU per generation summed over the stack's processes, sequential latency, and 24-client throughput.

The workload is the one the original ima2-gen was measured with: provider `api`, quality low,
1024x1024 (~64 KB PNGs from the sandbox's Responses emulator). CPU is read from /proc for every
process of the stack except the sandbox (the upstream stand-in) and the benchmark itself:
launcher, NATS, gateway and the four services. Pass --profile DIR to also write a py-spy
profile of each Python process during the sequential run (needs `py-spy` on PATH).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import subprocess
import time
from pathlib import Path

import httpx
from _stack import bench_stack

BODY = {"prompt": "a lighthouse at dusk", "provider": "api", "quality": "low", "size": "1024x1024"}
TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(") ", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime + stime
    return total / TICKS


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))]


async def generate(client: httpx.AsyncClient) -> float:
    started = time.perf_counter()
    response = await client.post("/api/generate", json=BODY)
    if response.status_code != 200:
        raise RuntimeError(f"generate failed: {response.status_code} {response.text[:200]}")
    return (time.perf_counter() - started) * 1000


async def sequential(
    client: httpx.AsyncClient, parts: dict[str, int], count: int
) -> tuple[list[float], dict[str, float]]:
    before = {name: cpu_seconds([pid]) for name, pid in parts.items()}
    latencies = [await generate(client) for _ in range(count)]
    per_part = {name: (cpu_seconds([pid]) - before[name]) / count * 1000 for name, pid in parts.items()}
    return latencies, per_part


async def concurrent(
    client: httpx.AsyncClient, pids: list[int], clients: int, seconds: float
) -> tuple[float, float, int]:
    done = 0
    deadline = time.perf_counter() + seconds

    async def worker() -> None:
        nonlocal done
        while time.perf_counter() < deadline:
            await generate(client)
            done += 1

    before, started = cpu_seconds(pids), time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(clients)))
    elapsed = time.perf_counter() - started
    return done / elapsed, (cpu_seconds(pids) - before) / max(done, 1) * 1000, done


def start_profiles(pids: dict[str, int], folder: Path, seconds: float) -> list[subprocess.Popen[bytes]]:
    spy = shutil.which("py-spy")
    if spy is None:
        raise SystemExit("--profile needs py-spy on PATH (uv tool install py-spy)")
    folder.mkdir(parents=True, exist_ok=True)
    return [
        subprocess.Popen(
            [
                spy,
                "record",
                "-p",
                str(pid),
                "-d",
                str(int(seconds)),
                "-r",
                "200",
                "-f",
                "speedscope",
                "-o",
                str(folder / f"{name}.speedscope.json"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for name, pid in pids.items()
        if name != "nats"
    ]


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sequential", type=int, default=300)
    parser.add_argument("--clients", type=int, default=24)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--profile", type=Path, default=None)
    args = parser.parse_args()
    stack = bench_stack(IMA2_LOG_LEVEL="WARNING")
    try:
        parts = {name: pid for name, pid in stack.child_pids().items() if name != "sandbox"}
        parts["launcher"] = stack.proc.pid
        pids = list(parts.values())
        limits = httpx.Limits(max_connections=args.clients + 4, max_keepalive_connections=args.clients + 4)
        async with httpx.AsyncClient(base_url=stack.url, timeout=60, limits=limits) as client:
            for _ in range(20):
                await generate(client)  # warm every connection, cache and import
            profiles = start_profiles(parts, args.profile, 20) if args.profile else []
            latencies, per_part = await sequential(client, parts, args.sequential)
            for proc in profiles:
                proc.wait()
            rate, cpu_conc, done = await concurrent(client, pids, args.clients, args.seconds)
        print(f"workload: POST /api/generate {BODY['provider']} {BODY['quality']} {BODY['size']}")
        print(
            f"sequential ({args.sequential}): p50 {statistics.median(latencies):.1f} ms  "
            f"p99 {pct(latencies, 0.99):.1f} ms  CPU/generation {sum(per_part.values()):.1f} ms"
        )
        print(
            "  CPU/generation by part: " + ", ".join(f"{k} {v:.1f} ms" for k, v in sorted(per_part.items()))
        )
        print(
            f"{args.clients} clients for {args.seconds:.0f} s: {rate:.1f} generations/s ({done} done)  "
            f"CPU/generation {cpu_conc:.1f} ms"
        )
    finally:
        stack.stop()


if __name__ == "__main__":
    asyncio.run(main())
