"""Destructive and environment-specific library tests, each on a dedicated stack.

- storage status with a legacy folder, opening the folder with a configured file manager;
- style-sheet extraction without an OpenAI key, the request body limit;
- SIGKILL of svc-library in the middle of a burst of saves: after the launcher restarts it, every
  acknowledged file is in history and nothing half-written is (on SQLite and on PostgreSQL).
"""

from __future__ import annotations

import asyncio
import io
import os
import signal
import stat
import time
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import httpx
import pytest
from PIL import Image

from tests.image_support import calls_under_test
from tests.integration.library_stacks import (
    STACK_ENV,
    create_database,
    database_url,
    drop_database,
    nested_error,
    pg_reachable,
    png_bytes,
)
from tests.stackctl import RunningStack, pid_alive, start_stack

BODY_LIMIT = 2 * 1024 * 1024


@pytest.fixture(scope="module")
def special(stack: RunningStack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    """No sandbox (so no OpenAI key), a small body limit, a legacy folder and a fake file manager."""
    root = tmp_path_factory.mktemp("library-special")
    legacy = root / "old-install" / "generated"
    (legacy / "nested").mkdir(parents=True)
    for name in ("a.png", "b.png", "nested/c.png"):
        (legacy / name).write_bytes(png_bytes())
    opener = root / "open-folder.sh"
    opener.write_text(f'#!/bin/sh\nprintf "%s" "$1" > "{root}/opened.txt"\n')
    opener.chmod(opener.stat().st_mode | stat.S_IXUSR)
    running = start_stack(
        root / "home",
        sandbox=False,
        extra_env={
            **STACK_ENV,
            "IMA2_OPENAI_BASE_URL": f"{stack.sandbox_url}/openai/v1",
            "IMA2_BODY_LIMIT_BYTES": str(BODY_LIMIT),
            "IMA2_OPEN_COMMAND": str(opener),
            "IMA2_LEGACY_GENERATED_DIRS": str(legacy),
        },
    )
    yield running
    running.stop()


async def test_storage_status_finds_a_legacy_folder(special: RunningStack) -> None:
    async with httpx.AsyncClient(base_url=special.url, timeout=30) as http:
        data = (await http.get("/api/storage/status")).json()["data"]
    assert (
        data["generatedCount"] == 0
        and data["state"] == "recoverable"
        and data["messageKind"] == "recoverable"
    )
    assert (
        data["legacySourcesFound"] == 1
        and data["legacyFilesFound"] == 3
        and data["legacyCandidatesScanned"] >= 1
    )


async def test_open_generated_dir_runs_the_configured_file_manager(special: RunningStack) -> None:
    async with httpx.AsyncClient(base_url=special.url, timeout=30) as http:
        assert (await http.post("/api/storage/open-generated-dir")).json() == {"ok": True}
    assert (special.home.parent / "opened.txt").read_text() == str(special.home / "generated")


async def test_extraction_without_a_key_fails_before_upstream(
    special: RunningStack, sandbox: httpx.AsyncClient
) -> None:
    await sandbox.delete("/_sandbox/requests")
    async with httpx.AsyncClient(base_url=special.url, timeout=30) as http:
        sid = (await http.post("/api/sessions", json={"title": "keyless"})).json()["session"]["id"]
        response = await http.post(f"/api/sessions/{sid}/style-sheet/extract", json={"prompt": "a fox"})
        nested_error(response, 401, "API_KEY_REQUIRED")
        assert (await http.get(f"/api/sessions/{sid}/style-sheet")).json() == {
            "styleSheet": None,
            "enabled": False,
        }
    assert await calls_under_test(sandbox) == []


async def test_oversized_bodies_are_refused(special: RunningStack) -> None:
    big = png_bytes((8, 8)) + b"\0" * (BODY_LIMIT + 1)
    async with httpx.AsyncClient(base_url=special.url, timeout=30) as http:
        response = await http.post(
            "/api/history/import-local", content=big, headers={"content-type": "image/png"}
        )
        nested_error(response, 413, "PAYLOAD_TOO_LARGE")
        assert (await http.get("/api/history")).json()["total"] == 0


# The crash test


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def crash_stack(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningStack]:
    env = dict(STACK_ENV)
    database = ""
    if request.param == "postgres":
        if not pg_reachable():
            pytest.skip("no PostgreSQL server reachable")
        database = create_database()
        env["IMA2_DATABASE_URL"] = database_url(database)
    running = start_stack(tmp_path_factory.mktemp(f"crash-{request.param}"), extra_env=env)
    try:
        yield running
    finally:
        running.stop()
        if database:
            drop_database(database)


def noisy_png() -> bytes:
    """A 512x512 image that does not compress to nothing, so each save takes real work."""
    out = io.BytesIO()
    Image.frombytes("RGB", (512, 512), os.urandom(512 * 512 * 3)).save(out, "PNG", compress_level=1)
    return out.getvalue()


async def wait_until(predicate: Callable[[], Awaitable[bool]], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if await predicate():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


async def all_history(http: httpx.AsyncClient) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    params: dict[str, Any] = {"limit": 500}
    while True:
        page = (await http.get("/api/history", params=params)).json()
        items += page["items"]
        if not page["nextCursor"]:
            return items
        params = {"limit": 500, **page["nextCursor"]}


async def test_kill_mid_burst_keeps_every_acknowledged_save(crash_stack: RunningStack) -> None:
    pid = crash_stack.info["stack"]["pids"]["svc-library"]
    acked: list[str] = []
    failures: list[int] = []
    done = asyncio.Event()

    async with httpx.AsyncClient(base_url=crash_stack.url, timeout=60) as http:

        async def worker() -> None:
            while not done.is_set():
                try:
                    response = await http.post(
                        "/api/history/import-local",
                        content=noisy_png(),
                        headers={"content-type": "image/png"},
                    )
                except httpx.HTTPError:
                    failures.append(0)
                    continue
                if response.status_code == 201:
                    acked.append(response.json()["item"]["filename"])
                else:
                    assert response.status_code in (500, 503), response.text
                    failures.append(response.status_code)
                    await asyncio.sleep(0.02)

        workers = [asyncio.create_task(worker()) for _ in range(6)]
        try:

            async def enough_acked() -> bool:
                return len(acked) >= 12

            await wait_until(enough_acked, 60, "acknowledged saves before the kill")
            os.kill(pid, signal.SIGKILL)

            async def refused() -> bool:
                return bool(failures)

            await wait_until(refused, 30, "saves refused while svc-library is down")
        finally:
            done.set()
            await asyncio.gather(*workers)
        assert not pid_alive(pid)

        async def serving() -> bool:
            try:
                return (await http.get("/api/history", params={"limit": 1})).status_code == 200
            except httpx.HTTPError:
                return False

        await wait_until(serving, 60, "svc-library to be restarted")
        items = await all_history(http)

    listed = {item["filename"] for item in items}
    missing = set(acked) - listed
    assert not missing, f"{len(missing)} acknowledged saves lost after the kill"
    generated = crash_stack.home / "generated"
    on_disk = {
        p.name
        for p in generated.iterdir()
        if p.is_file() and not p.name.startswith(".") and p.suffix == ".png"
    }
    on_disk = {name for name in on_disk if not name.endswith(".thumb.jpg")}
    assert listed == on_disk  # the index and the folder agree: nothing unlisted, nothing listed twice
    for item in items:  # nothing half-written is listed: every listed file decodes completely
        with Image.open(generated / item["filename"]) as image:
            image.load()
            assert image.size == (512, 512)
        assert not item["filename"].startswith(".")
    assert len(items) == len(listed) >= len(acked) and failures
