"""First-page `ListHistory` latency over gRPC at 1k / 10k / 100k stored items, against a directory scan.

For each size: write N small media files with realistic sidecars into a temp IMA2_HOME,
bulk-insert N index rows through the store API (`upsert_many`), start svc-library in-process
on a free port (startup reconcile on, thumbnail backfill off) and time `ListHistory(limit=50)`
through a real channel. The baseline does what the reference does per rebuild: list the
folder, stat each media file, read its sidecar, sort by (createdAt, filename) descending and
take the first page.

    uv run python bench/history_bench.py [--sizes 1000 10000 100000] [--calls 300] [--scan-max 100000]
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

from ima2_common.grpc_client import ServiceClient
from ima2_common.net import free_port
from ima2_common.settings import Settings
from ima2_library import server
from ima2_library.db.sqlite_database import SqliteDatabase
from ima2_library.history.history_common import HistoryRecord
from ima2_library.history.history_sqlite import HistorySqliteStore
from ima2_proto.v1 import library_pb2, library_pb2_grpc

TINY_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d4944415478da63f8cfc0f01f0005000201a5dd2a8a0000000049454e44ae426082"
)
BASE_MS = 1_750_000_000_000
PAGE = 50


def sidecar_for(i: int, filename: str) -> dict:
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
                has_thumb=False,
            )
        )
    return records


def scan_first_page(generated: Path) -> tuple[list[dict], int]:
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


async def bench_size(n: int, calls: int, scan: bool) -> dict:
    with tempfile.TemporaryDirectory(prefix=f"ima2-bench-{n}-") as tmp:
        home = Path(tmp) / "home"
        settings = Settings(home=home, library_addr=f"127.0.0.1:{free_port()}")
        t0 = time.perf_counter()
        records = await asyncio.to_thread(populate_files, settings.generated_path, n)
        write_s = time.perf_counter() - t0

        store = HistorySqliteStore(SqliteDatabase(settings.sqlite_path))
        await store.start()
        t0 = time.perf_counter()
        await store.upsert_many(records, batch_size=5000)
        insert_s = time.perf_counter() - t0
        await store.close()

        t0 = time.perf_counter()
        running = await server.start(settings, reconcile=True, backfill=False)
        startup_s = time.perf_counter() - t0
        client = ServiceClient("library", settings.library_addr, library_pb2_grpc.LibraryServiceStub)
        result: dict = {"n": n, "write_s": write_s, "insert_s": insert_s, "startup_s": startup_s}
        try:
            request = library_pb2.ListHistoryRequest(limit=PAGE)
            for _ in range(20):
                await client.call("ListHistory", request)
            samples = []
            for _ in range(calls):
                t = time.perf_counter()
                reply = await client.call("ListHistory", request)
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
                    await client.call("ListHistory", req)
                    times.append((time.perf_counter() - t) * 1000)
                result[f"{key}_p50"] = statistics.median(times)
        finally:
            await client.close()
            await running.stop(grace=1.0)

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
    args = parser.parse_args()
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs; client and server share one process")
    print(
        f"first page = ListHistory(limit={PAGE}) over gRPC; {args.calls} timed calls after 20 warm-up calls\n"
    )
    header = (
        f"{'items':>8} | {'grpc p50':>9} {'grpc p99':>9} | {'deep p50':>9} {'sess p50':>9} | "
        f"{'scan p50':>10} | {'files s':>7} {'insert s':>8} {'start s':>7}"
    )
    print(header)
    print("-" * len(header))
    for n in args.sizes:
        r = await bench_size(n, args.calls, n <= args.scan_max)
        scan = f"{r['scan_p50']:>8.1f}ms" if "scan_p50" in r else f"{'-':>10}"
        print(
            f"{n:>8} | {r['p50']:>7.2f}ms {r['p99']:>7.2f}ms | {r['deep_p50']:>7.2f}ms {r['session_p50']:>7.2f}ms | "
            f"{scan} | {r['write_s']:>7.1f} {r['insert_s']:>8.2f} {r['startup_s']:>7.2f}",
            flush=True,
        )
    print(
        "\ngrpc = svc-library index (SQLite); deep = a cursor page from the middle; sess = first page of one session;"
        "\nscan = reference-style rebuild (readdir + stat + sidecar read + sort), uncached;"
        "\nfiles s = writing the files+sidecars; insert s = bulk upsert_many; start s = open + reconcile + serve."
    )


if __name__ == "__main__":
    asyncio.run(main())
