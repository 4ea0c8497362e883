"""A bounded mixed load against a single-replica stack and a scaled one, then a replica killed halfway.

Workload (for `--duration` seconds per run, `--users` concurrent virtual users spread over every
gateway, as a balancer would): async node generations (202, then their `done`/`error` on
/api/events), history pages, node-graph saves; plus `--listeners` /api/events listeners (lean raw
sockets) spread over the gateways. Printed per run: requests per second, p50/p99 and errors per
route, async jobs started/ended and the time from 202 to their ending.

Stacks (all against the sandbox, on loopback):
- single: one of each part (SQLite);
- scaled: the tests/scale topology (2 gateways, 3 svc-image, 2 svc-video, 2 svc-library on a private
  PostgreSQL, 2 svc-auth, 3 NATS nodes);
- scaled, kill: the same load with one svc-image replica killed (SIGKILL) halfway; prints how many
  jobs failed, with which code, and how long after the kill they ended (the lease is
  `--lease` seconds).

The load tool is this script (asyncio + httpx, no extra dependency): each user runs one request at a
time and picks its next action by weight, so the offered load is closed-loop and bounded.

    uv run python bench/load.py                    # ~3 x 30 s plus stack start-ups
    uv run python bench/load.py --duration 15 --listeners 100 --users 12
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import signal
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.scale.private_pg import PrivatePostgres
from tests.stackctl import RunningStack, start_stack

SCALED = {"gateway": 2, "svc-image": 3, "svc-video": 2, "svc-library": 2, "svc-auth": 2, "nats": 3}
WEIGHTS = {"generate": 4, "history": 4, "graph": 2}
TERMINAL = (b"event: done", b"event: error")


@dataclass
class Figures:
    latencies: dict[str, list[float]] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)
    started: dict[str, float] = field(default_factory=dict)  # accepted async job id -> time it was sent
    ended: dict[str, tuple[float, str]] = field(default_factory=dict)  # job id -> (time, code)
    events_received: int = 0
    listeners_connected: int = 0
    changed: asyncio.Event = field(default_factory=asyncio.Event)  # a listener connected or a job ended

    async def wait_change(self, timeout: float) -> None:
        self.changed.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.changed.wait(), timeout)

    def record(self, route: str, seconds: float, ok: bool) -> None:
        self.latencies.setdefault(route, []).append(seconds)
        if not ok:
            self.errors[route] = self.errors.get(route, 0) + 1


def pct(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


# -- listeners -----------------------------------------------------------------------------------
async def listener(host: str, port: int, figures: Figures, record_jobs: bool, stop: asyncio.Event) -> None:
    """A lean SSE client: counts frames; one listener per run also notes each job's ending."""
    try:
        reader, writer = await asyncio.open_connection(host, port)
    except OSError:
        return
    writer.write(b"GET /api/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n")
    await writer.drain()
    figures.listeners_connected += 1
    figures.changed.set()
    buffer = b""
    try:
        while not stop.is_set():
            chunk = await reader.read(65536)
            if not chunk:
                break
            buffer += chunk
            while b"\n\n" in buffer:
                frame, buffer = buffer.split(b"\n\n", 1)
                if b"\ndata:" not in frame and not frame.startswith(b"data:"):
                    continue
                figures.events_received += 1
                if record_jobs and any(tag in frame for tag in TERMINAL):
                    data = frame.split(b"data:", 1)[1].split(b"\n", 1)[0]
                    with contextlib.suppress(ValueError):
                        payload = json.loads(data)
                        job = str(payload.get("jobId", ""))
                        if job.startswith("req_load_") and job not in figures.ended:
                            # may arrive before the 202 did: matched with `started` when reported
                            figures.ended[job] = (time.monotonic(), str(payload.get("code") or "done"))
                            figures.changed.set()
    finally:
        writer.close()


# -- users ---------------------------------------------------------------------------------------
async def user(clients: list[httpx.AsyncClient], figures: Figures, deadline: float, seed: int) -> None:
    rng = random.Random(seed)
    actions = [name for name, weight in WEIGHTS.items() for _ in range(weight)]
    session_id = ""
    version = 0
    turn = seed
    while time.monotonic() < deadline:
        client = clients[turn % len(clients)]
        turn += 1
        action = rng.choice(actions)
        began = time.monotonic()
        try:
            if action == "generate":
                job = f"req_load_{uuid.uuid4().hex[:12]}"
                figures.started[job] = began
                response = await client.post(
                    "/api/node/generate",
                    json={"prompt": "load", "provider": "api", "async": True, "requestId": job},
                )
                ok = response.status_code == 202
                if not ok:
                    del figures.started[job]
            elif action == "history":
                response = await client.get("/api/history", params={"limit": 50})
                ok = response.status_code == 200
            else:
                if not session_id:
                    created = await client.post("/api/sessions", json={"title": "load"})
                    session_id = created.json()["session"]["id"]
                nodes = [{"id": f"n{i}", "x": i, "y": version, "data": {"prompt": f"p{i}"}} for i in range(8)]
                response = await client.put(
                    f"/api/sessions/{session_id}/graph",
                    json={"nodes": nodes, "edges": []},
                    headers={"If-Match": f'"{version}"'},
                )
                ok = response.status_code == 200
                if ok:
                    version = int(response.json()["graphVersion"])
                elif response.status_code == 409:  # another gateway's save raced it: reload the version
                    version = int(
                        (await client.get(f"/api/sessions/{session_id}")).json()["session"]["graphVersion"]
                    )
        except (httpx.HTTPError, KeyError, ValueError):
            ok = False
        figures.record(action, time.monotonic() - began, ok)


# -- one run -------------------------------------------------------------------------------------
def gateway_urls(stack: RunningStack) -> list[str]:
    return [url.replace("localhost", "127.0.0.1") for url in stack.info.get("gateways") or [stack.url]]


async def run_load(
    stack: RunningStack, args: argparse.Namespace, kill_at: float | None = None
) -> dict[str, Any]:
    urls = gateway_urls(stack)
    figures = Figures()
    stop = asyncio.Event()
    ports = [int(url.rsplit(":", 1)[1]) for url in urls]
    listeners = [
        asyncio.create_task(listener("127.0.0.1", ports[i % len(ports)], figures, i == 0, stop))
        for i in range(args.listeners)
    ]
    connect_by = time.monotonic() + 30
    while figures.listeners_connected < args.listeners and time.monotonic() < connect_by:
        await figures.wait_change(1.0)
    limits = httpx.Limits(max_connections=args.users * 2)
    clients = [httpx.AsyncClient(base_url=url, timeout=60, limits=limits) for url in urls]
    began = time.monotonic()
    deadline = began + args.duration
    killed: dict[str, Any] = {}

    async def killer() -> None:
        assert kill_at is not None
        await asyncio.sleep(kill_at)
        stack.info = json.loads((stack.home / "server.json").read_text())
        victim = stack.info["stack"]["replicas"]["svc-image"][-1]
        running = {job for job in figures.started if job not in figures.ended}
        killed.update(name=victim["name"], at=time.monotonic(), running=len(running))
        os.kill(int(victim["pid"]), signal.SIGKILL)

    tasks = [asyncio.create_task(user(clients, figures, deadline, seed)) for seed in range(args.users)]
    if kill_at is not None:
        tasks.append(asyncio.create_task(killer()))
    await asyncio.gather(*tasks)
    elapsed = time.monotonic() - began
    # Let the jobs already accepted end (bounded: a lease or an upstream answer away).
    settle = time.monotonic() + args.lease * 4 + 10
    while time.monotonic() < settle and not set(figures.started) <= set(figures.ended):
        await figures.wait_change(max(0.0, settle - time.monotonic()))
    stop.set()
    for task in listeners:
        task.cancel()
    for client in clients:
        await client.aclose()
    return {"figures": figures, "elapsed": elapsed, "killed": killed}


def report(title: str, result: dict[str, Any]) -> None:
    figures: Figures = result["figures"]
    elapsed: float = result["elapsed"]
    total = sum(len(v) for v in figures.latencies.values())
    print(
        f"\n== {title}: {total / elapsed:.1f} req/s over {elapsed:.0f}s, {figures.listeners_connected} listeners"
    )
    print(f"   {'route':<10} {'count':>6} {'rps':>7} {'p50 ms':>8} {'p99 ms':>8} {'errors':>6}")
    for route, values in sorted(figures.latencies.items()):
        print(
            f"   {route:<10} {len(values):>6} {len(values) / elapsed:>7.1f} {pct(values, 0.5) * 1000:>8.1f} "
            f"{pct(values, 0.99) * 1000:>8.1f} {figures.errors.get(route, 0):>6}"
        )
    ended = {job: figures.ended[job] for job in figures.started if job in figures.ended}
    durations = [ended[job][0] - figures.started[job] for job in ended]
    codes: dict[str, int] = {}
    for _, code in ended.values():
        codes[code] = codes.get(code, 0) + 1
    print(
        f"   async jobs: {len(figures.started)} accepted, {len(ended)} ended {codes}; "
        f"POST->end p50 {pct(durations, 0.5) * 1000:.0f} ms p99 {pct(durations, 0.99) * 1000:.0f} ms; "
        f"events received by all listeners: {figures.events_received}"
    )
    killed = result.get("killed") or {}
    if killed:
        failed = [(t, code) for t, code in ended.values() if code != "done"]
        after = [t - killed["at"] for t, code in failed if t >= killed["at"]]
        print(
            f"   killed {killed['name']} with {killed['running']} jobs running: {len(failed)} jobs failed "
            f"({sorted({c for _, c in failed})}); they ended {pct(after, 0.5):.1f}s (p50) / "
            f"{max(after, default=0.0):.1f}s (max) after the kill; lease {result['lease']:.0f}s"
        )


def start(home_prefix: str, env: dict[str, str], args_list: list[str]) -> RunningStack:
    return start_stack(
        Path(tempfile.mkdtemp(prefix=home_prefix)), extra_env=env, extra_args=args_list, ready_timeout=180
    )


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--duration", type=float, default=30.0, help="seconds of load per run")
    parser.add_argument("--users", type=int, default=16, help="concurrent virtual users")
    parser.add_argument("--listeners", type=int, default=200, help="/api/events listeners")
    parser.add_argument("--lease", type=float, default=5.0, help="IMA2_JOB_LEASE_SECONDS of the stacks")
    parser.add_argument("--skip-single", action="store_true")
    parser.add_argument("--skip-kill", action="store_true")
    args = parser.parse_args()
    env = {
        "IMA2_JOB_LEASE_SECONDS": str(args.lease),
        "IMA2_MAX_PARALLEL": "64",
        "IMA2_SSE_MAX_LISTENERS": str(args.listeners + 50),
        "IMA2_RESTART_DELAY_SECONDS": "1",
    }
    results: list[tuple[str, dict[str, Any]]] = []
    if not args.skip_single:
        single = start("ima2-load-single-", env, [])
        try:
            results.append(("single (1 of each)", await run_load(single, args)))
        finally:
            single.stop()
    pg = PrivatePostgres()
    if not pg.available:
        raise SystemExit("the scaled stack needs initdb and pg_ctl (a private PostgreSQL)")
    pg.init()
    scale_args = [arg for part, count in SCALED.items() for arg in ("--scale", f"{part}={count}")]
    try:
        scaled = start("ima2-load-scaled-", {**env, "IMA2_DATABASE_URL": pg.url}, scale_args)
        try:
            results.append(
                ("scaled " + ", ".join(f"{p}={n}" for p, n in SCALED.items()), await run_load(scaled, args))
            )
            if not args.skip_kill:
                killed = await run_load(scaled, args, kill_at=args.duration / 2)
                killed["lease"] = args.lease
                results.append(("scaled, one svc-image replica killed halfway", killed))
        finally:
            scaled.stop()
    finally:
        pg.destroy()
    print(
        f"\nload: {args.users} users, {args.listeners} listeners, {args.duration:.0f}s per run, weights {WEIGHTS}"
    )
    print(f"machine: {os.cpu_count()} CPUs (shared: other load on the machine shows in these figures)")
    for title, result in results:
        report(title, result)


if __name__ == "__main__":
    asyncio.run(main())
