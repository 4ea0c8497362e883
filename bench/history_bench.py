"""First-page history latency at 1k / 10k / 100k stored items, against a directory scan.

For each size: write N small media files with realistic sidecars into a temp IMA2_HOME and
bulk-insert N index rows through the store API (`upsert_many`). Then:

- grpc: start svc-library in-process on a free port (startup reconcile on, thumbnail backfill
  off) and time `ListHistory(limit=50)` through a real channel;
- http: start the whole stack (`ima2 up --sandbox`) on the same IMA2_HOME and time
  `GET /api/history?limit=50` through the gateway (keep-alive client, one request at a time);
- scan: what the reference does per rebuild: list the folder, stat each media file, read its
  sidecar, sort by (createdAt, filename) descending and take the first page.

With `--database-url postgresql://…` the index lives in PostgreSQL instead (a fresh database
is created on that server for each size and dropped afterwards).

    uv run python bench/history_bench.py [--sizes 1000 10000 100000] [--calls 300] [--scan-max 100000]
        [--no-http] [--database-url postgresql://root@127.0.0.1:5432/test]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import psycopg

from ima2_common.grpc_client import ServiceClient
from ima2_common.net import free_port
from ima2_common.settings import Settings
from ima2_library import server
from ima2_library.db.factory import create_database
from ima2_library.history.history_common import HistoryRecord
from ima2_library.history.history_store import HistorySqlStore
from ima2_proto.v1 import library_pb2, library_pb2_grpc

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.stackctl import start_stack

TINY_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d4944415478da63f8cfc0f01f0005000201a5dd2a8a0000000049454e44ae426082"
)
TINY_JPEG = bytes.fromhex(
    "ffd8ffe000104a46494600010100000100010000ffdb004300080606070605080707070909080a0c140d0c0b0b0c1912130f"
    "141d1a1f1e1d1a1c1c20242e2720222c231c1c2837292c30313434341f27393d38323c2e333432ffc0000b080001000101"
    "011100ffc4001f0000010501010101010100000000000000000102030405060708090a0bffc400b5100002010303020403"
    "050504040000017d01020300041105122131410613516107227114328191a1082342b1c11552d1f02433627282090a1617"
    "18191a25262728292a3435363738393a434445464748494a535455565758595a636465666768696a737475767778797a83"
    "8485868788898a92939495969798999aa2a3a4a5a6a7a8a9aab2b3b4b5b6b7b8b9bac2c3c4c5c6c7c8c9cad2d3d4d5d6d7"
    "d8d9dae1e2e3e4e5e6e7e8e9eaf1f2f3f4f5f6f7f8f9faffda0008010100003f00fbd3ffd9"
)
BASE_MS = 1_750_000_000_000
PAGE = 50


def sidecar_for(i: int, filename: str) -> dict[str, Any]:
    created = BASE_MS + (i // 3) * 1000  # runs of three share a createdAt
    return {
        "kind": "classic",
        "requestId": f"req_{i:08d}",
        "sessionId": f"s_{i % 200:04d}",
        "clientNodeId": None,
        "nodeId": None,
        "parentNodeId": None,
        "prompt": f"a watercolor painting of a lighthouse at dusk, variation {i}, soft light, wide shot",
        "userPrompt": f"a watercolor painting of a lighthouse at dusk, variation {i}",
        "revisedPrompt": "A watercolor painting of a lighthouse on a rocky shore at dusk with soft warm light.",
        "quality": "medium",
        "size": "1024x1024",
        "format": "png",
        "moderation": "low",
        "model": "gpt-image-1",
        "provider": "oauth",
        "usage": {"input_tokens": 812, "output_tokens": 4160, "total_tokens": 4972},
        "webSearchCalls": 0,
        "refsCount": i % 3,
        "elapsed": 12.4,
        "filename": filename,
        "mime": "image/png",
        "mediaType": "image",
        "createdAt": created,
    }


def populate_files(generated: Path, n: int) -> list[HistoryRecord]:
    generated.mkdir(parents=True, exist_ok=True)
    records = []
    for i in range(n):
        meta = sidecar_for(i, "")
        filename = f"{meta['createdAt']}_{i:08x}_0.png"
        meta["filename"] = filename
        (generated / filename).write_bytes(TINY_PNG)
        # A thumbnail too, so the stack's startup backfill has nothing to render while we measure.
        (generated / filename.replace(".png", ".thumb.jpg")).write_bytes(TINY_JPEG)
        (generated / f"{filename}.json").write_text(json.dumps(meta))
        records.append(
            HistoryRecord(
                filename=filename,
                created_at=meta["createdAt"],
                kind="classic",
                media_type="image",
                mime="image/png",
                size_bytes=len(TINY_PNG),
                session_id=meta["sessionId"],
                request_id=meta["requestId"],
                metadata=meta,
                has_thumb=True,
            )
        )
    return records


def scan_first_page(generated: Path) -> tuple[list[dict[str, Any]], int]:
    """The reference's listing: readdir, stat, read sidecar, sort, slice."""
    rows = []
    for entry in os.scandir(generated):
        name = entry.name
        if not entry.is_file() or not name.lower().endswith((".png", ".jpg", ".jpeg", ".webp")):
            continue
        if name.endswith(".thumb.jpg"):
            continue
        st = os.stat(entry.path)
        try:
            with open(entry.path + ".json", "rb") as handle:
                meta = json.loads(handle.read())
        except (OSError, ValueError):
            meta = {}
        rows.append({**meta, "filename": name, "createdAt": meta.get("createdAt") or st.st_mtime * 1000})
    rows.sort(key=lambda row: (row["createdAt"], row["filename"]), reverse=True)
    return rows[:PAGE], len(rows)


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def fresh_database(admin_url: str) -> tuple[str, str]:
    name = f"ima2_bench_{os.getpid()}_{int(time.time())}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    return name, admin_url.partition("?")[0].rsplit("/", 1)[0] + "/" + name


def drop_database(admin_url: str, name: str) -> None:
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def http_latency(home: Path, database_url: str, n: int, calls: int) -> dict[str, Any]:
    """GET /api/history first page through the gateway of a whole stack on this IMA2_HOME."""
    env = {"IMA2_DATABASE_URL": database_url} if database_url else {}
    t0 = time.perf_counter()
    stack = start_stack(home, extra_env=env)
    up_s = time.perf_counter() - t0
    try:
        with httpx.Client(base_url=stack.url, timeout=30) as http:
            for _ in range(20):
                http.get("/api/history", params={"limit": PAGE})
            samples = []
            for _ in range(calls):
                t = time.perf_counter()
                response = http.get("/api/history", params={"limit": PAGE})
                samples.append((time.perf_counter() - t) * 1000)
            body = response.json()
            assert body["total"] == n and len(body["items"]) == PAGE, (
                body.get("total"),
                len(body.get("items", [])),
            )
    finally:
        stack.stop()
    return {"http_p50": statistics.median(samples), "http_p99": percentile(samples, 0.99), "up_s": up_s}


async def bench_size(n: int, calls: int, scan: bool, http: bool, admin_url: str) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix=f"ima2-bench-{n}-") as tmp:
        home = Path(tmp) / "home"
        database, url = fresh_database(admin_url) if admin_url else ("", "")
        try:
            return await _bench_home(home, url, n, calls, scan, http)
        finally:
            if database:
                drop_database(admin_url, database)


async def _bench_home(
    home: Path, database_url: str, n: int, calls: int, scan: bool, http: bool
) -> dict[str, Any]:
    settings = Settings(home=home, library_addr=f"127.0.0.1:{free_port()}", database_url=database_url)
    t0 = time.perf_counter()
    records = await asyncio.to_thread(populate_files, settings.generated_path, n)
    write_s = time.perf_counter() - t0

    database = create_database(settings)
    await database.start()
    store = HistorySqlStore(database)
    t0 = time.perf_counter()
    await store.upsert_many(records, batch_size=5000)
    insert_s = time.perf_counter() - t0
    await database.close()

    t0 = time.perf_counter()
    running = await server.start(settings, reconcile=True, backfill=False)
    startup_s = time.perf_counter() - t0
    client = ServiceClient("library", settings.library_addr, library_pb2_grpc.LibraryServiceStub)
    result: dict[str, Any] = {"n": n, "write_s": write_s, "insert_s": insert_s, "startup_s": startup_s}
    try:
        request = library_pb2.ListHistoryRequest(limit=PAGE)
        for _ in range(20):
            await client.unary(client.stub.ListHistory, request)
        samples = []
        for _ in range(calls):
            t = time.perf_counter()
            reply = await client.unary(client.stub.ListHistory, request)
            samples.append((time.perf_counter() - t) * 1000)
        assert reply.total == n and len(reply.items) == PAGE, (reply.total, len(reply.items))
        result |= {"p50": statistics.median(samples), "p99": percentile(samples, 0.99)}

        # A page deep in the middle, and a session-filtered first page.
        middle = records[n // 2]
        deep = library_pb2.ListHistoryRequest(
            limit=PAGE, before=middle.created_at, before_filename=middle.filename
        )
        session = library_pb2.ListHistoryRequest(limit=PAGE, session_id="s_0007")
        for key, req in (("deep", deep), ("session", session)):
            times = []
            for _ in range(max(50, calls // 3)):
                t = time.perf_counter()
                await client.unary(client.stub.ListHistory, req)
                times.append((time.perf_counter() - t) * 1000)
            result[f"{key}_p50"] = statistics.median(times)
    finally:
        await client.close()
        await running.stop(grace=1.0)

    if http:
        result |= await asyncio.to_thread(http_latency, home, database_url, n, calls)

    if scan:
        iterations = 5 if n <= 10_000 else 3
        scan_times = []
        for _ in range(iterations):
            t = time.perf_counter()
            page, total = scan_first_page(settings.generated_path)
            scan_times.append((time.perf_counter() - t) * 1000)
        assert total == n and len(page) == PAGE
        result |= {"scan_p50": statistics.median(scan_times), "scan_runs": iterations}
    return result


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10_000, 100_000])
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument(
        "--scan-max", type=int, default=100_000, help="largest size that also runs the scan baseline"
    )
    parser.add_argument("--no-http", action="store_true", help="skip the whole-stack HTTP measurement")
    parser.add_argument("--database-url", default="", help="index in PostgreSQL (a server admin DSN)")
    args = parser.parse_args()
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs; clients and servers share the machine")
    backend = "PostgreSQL" if args.database_url else "SQLite"
    print(f"index: {backend}; first page = limit {PAGE}; {args.calls} timed calls after 20 warm-up calls\n")
    header = (
        f"{'items':>8} | {'http p50':>9} {'http p99':>9} | {'grpc p50':>9} {'grpc p99':>9} | "
        f"{'deep p50':>9} {'sess p50':>9} | {'scan p50':>10} | {'files s':>7} {'insert s':>8} {'start s':>7}"
    )
    print(header)
    print("-" * len(header))
    for n in args.sizes:
        r = await bench_size(n, args.calls, n <= args.scan_max, not args.no_http, args.database_url)
        scan = f"{r['scan_p50']:>8.1f}ms" if "scan_p50" in r else f"{'-':>10}"
        http = f"{r['http_p50']:>7.2f}ms {r['http_p99']:>7.2f}ms" if "http_p50" in r else f"{'-':>9} {'-':>9}"
        print(
            f"{n:>8} | {http} | {r['p50']:>7.2f}ms {r['p99']:>7.2f}ms | "
            f"{r['deep_p50']:>7.2f}ms {r['session_p50']:>7.2f}ms | "
            f"{scan} | {r['write_s']:>7.1f} {r['insert_s']:>8.2f} {r['startup_s']:>7.2f}",
            flush=True,
        )
    print(
        "\nhttp = GET /api/history through the gateway of a whole `ima2 up` stack (client on the same machine);"
        "\ngrpc = ListHistory on svc-library in-process; deep = a cursor page from the middle; sess = one session;"
        "\nscan = reference-style rebuild (readdir + stat + sidecar read + sort), uncached;"
        "\nfiles s = writing the files+sidecars; insert s = bulk upsert_many; start s = open + reconcile + serve."
    )


if __name__ == "__main__":
    asyncio.run(main())
