"""The job runtime against a real NATS JetStream started by the test: admission, request-id reuse,
leases, cancel racing an ending, and several runtimes racing to end the same job."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import subprocess
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import nats
import pytest
from nats.aio.client import Client
from nats.js.api import ConsumerConfig, DeliverPolicy

from ima2_common import events
from ima2_common.errors import Ima2Error
from ima2_common.nats_server import nats_command, write_config
from ima2_common.nats_util import (
    ensure_events_stream,
    events_stream_config,
    jobs_bucket,
    previews_store,
    terminal_bucket,
)
from ima2_common.net import free_port
from ima2_jobs.registry import JobRegistry
from ima2_jobs.runner import Job, JobRunner

LEASE_SECONDS = 0.6


@pytest.fixture(scope="module")
def nats_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root: Path = tmp_path_factory.mktemp("nats")
    port = free_port()
    proc = subprocess.Popen(
        nats_command(write_config(root / "nats.conf", "127.0.0.1", port, root / "store")),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    yield f"nats://127.0.0.1:{port}"
    proc.terminate()
    proc.wait(timeout=10)


async def _connect(url: str) -> Client:
    for _ in range(100):
        with contextlib.suppress(Exception):
            return await nats.connect(url, connect_timeout=1, allow_reconnect=False)
        await asyncio.sleep(0.05)  # the server is still starting: retry the connection itself
    raise RuntimeError("nats did not come up")


class Runtime:
    """One service replica: its own connection, registry and runner."""

    def __init__(self, nc: Client, registry: JobRegistry, runner: JobRunner) -> None:
        self.nc, self.registry, self.runner = nc, registry, runner

    @classmethod
    async def start(cls, url: str, max_parallel: int = 4, lease: float = LEASE_SECONDS) -> Runtime:
        nc = await _connect(url)
        js = nc.jetstream()
        await ensure_events_stream(js)
        registry = JobRegistry(await jobs_bucket(js), await terminal_bucket(js), max_parallel, lease)
        runner = JobRunner("svc-test", nc, js, registry, await previews_store(js))
        await runner.start()
        return cls(nc, registry, runner)

    async def close(self) -> None:
        await self.runner.stop()
        await self.nc.drain()


@pytest.fixture
async def runtimes(nats_url: str) -> AsyncIterator[list[Runtime]]:
    started = [await Runtime.start(nats_url), await Runtime.start(nats_url)]
    yield started
    for runtime in started:
        await runtime.close()


async def job_events(
    nc: Client, kind: str, request_id: str, until_terminal: bool = False
) -> list[tuple[str, dict[str, Any]]]:
    """Every event the stream holds for one job, read from the start (waiting for its end if asked)."""
    js = nc.jetstream()
    info = await js.stream_info(events.EVENTS_STREAM)
    found: list[tuple[str, dict[str, Any]]] = []
    if info.state.messages == 0 and not until_terminal:
        return found
    sub = await js.subscribe(
        events.event_subject(kind, request_id),
        ordered_consumer=True,
        config=ConsumerConfig(deliver_policy=DeliverPolicy.ALL),
    )
    try:
        while True:
            try:
                msg = await sub.next_msg(timeout=10 if until_terminal else 1)
            except nats.errors.TimeoutError:
                return found
            found.append(((msg.headers or {})[events.HEADER_EVENT], json.loads(msg.data)))
            if msg.metadata.num_pending == 0 and (
                not until_terminal or found[-1][0] in events.TERMINAL_EVENTS
            ):
                return found
    finally:
        await sub.unsubscribe()


def unique(name: str) -> str:
    return f"{name}-{free_port()}"


async def test_admission_limit_and_request_id_reuse(nats_url: str) -> None:
    runtime = await Runtime.start(nats_url, max_parallel=2)
    try:
        first, second, third = unique("a"), unique("b"), unique("c")
        await runtime.registry.admit(first, "image", {}, "owner")
        with pytest.raises(Ima2Error) as reused:
            await runtime.registry.admit(first, "image", {}, "owner")
        assert reused.value.code == "REQUEST_ID_IN_USE" and reused.value.status == 409
        await runtime.registry.admit(second, "image", {}, "owner")
        with pytest.raises(Ima2Error) as full:
            await runtime.registry.admit(third, "image", {}, "owner")
        assert full.value.code == "TOO_MANY_JOBS" and full.value.extra["retryAfter"] > 0
        assert await runtime.registry.finish(first, "completed")
        assert not await runtime.registry.finish(first, "completed")
        await runtime.registry.admit(first, "image", {}, "owner")  # an ended id may be used again
        assert {job["requestId"] for job in await runtime.registry.active()} == {first, second}
        for request_id in (first, second):
            await runtime.registry.finish(request_id, "completed")
    finally:
        await runtime.close()


async def test_one_request_id_admitted_at_once_by_many_is_admitted_once(runtimes: list[Runtime]) -> None:
    for round_ in range(5):
        request_id = unique(f"same{round_}")
        tries = [runtime.registry.admit(request_id, "image", {}, "owner") for runtime in runtimes * 3]
        answers = await asyncio.gather(*tries, return_exceptions=True)
        refused = [a for a in answers if isinstance(a, Ima2Error)]
        assert len(answers) - len(refused) == 1
        assert {err.code for err in refused} == {"REQUEST_ID_IN_USE"}
        assert await runtimes[0].registry.finish(request_id, "completed")


async def test_every_ended_job_is_listed_while_others_list_at_once(runtimes: list[Runtime]) -> None:
    registry = runtimes[0].registry
    ended = [unique(f"listed{i}") for i in range(30)]
    for request_id in ended:
        await registry.admit(request_id, "image", {}, "owner")
        assert await registry.finish(request_id, "completed")
    for _ in range(20):
        listings = await asyncio.gather(*(runtime.registry.terminal() for runtime in runtimes * 5))
        for listing in listings:
            assert set(ended) <= {snapshot["requestId"] for snapshot in listing}


async def test_a_running_job_keeps_its_lease(runtimes: list[Runtime]) -> None:
    runtime = runtimes[0]
    request_id = unique("lease")
    release = asyncio.Event()

    async def work(job: Job) -> dict[str, Any]:
        await release.wait()
        return {"ok": True}

    stream = runtime.runner.run(request_id, "image", {}, work, async_mode=True)
    assert (await anext(stream)).event == events.ACCEPTED
    watcher = await runtime.registry.jobs.watch("slots")
    renewals: list[int] = []
    async for entry in watcher:
        slots = json.loads(entry.value or b"{}") if entry is not None and entry.value else {}
        if request_id in slots:
            renewals.append(slots[request_id])
        if len(renewals) >= 4:  # several lease periods have passed, each renewal moved the expiry
            break
    await watcher.stop()
    assert renewals == sorted(renewals) and renewals[-1] > renewals[0]
    assert await runtime.registry.is_active(request_id)
    assert [name for name, _ in await job_events(runtime.nc, "image", request_id)] == []
    release.set()
    assert [name for name, _ in await job_events(runtime.nc, "image", request_id, until_terminal=True)] == [
        events.DONE
    ]


async def _wait_terminal(runtime: Runtime, request_id: str) -> dict[str, Any]:
    watcher = await runtime.registry.terminal_kv.watch(f"job.{request_id.encode().hex()}")
    try:
        async for entry in watcher:
            if entry is not None and entry.value:
                snapshot: dict[str, Any] = json.loads(entry.value)
                return snapshot
    finally:
        await watcher.stop()
    raise AssertionError("no terminal snapshot")


async def test_expired_lease_is_ended_once_by_racing_runtimes(runtimes: list[Runtime]) -> None:
    request_id = unique("orphan")
    # Admitted by a replica that died at once: nobody renews the lease.
    await runtimes[0].registry.admit(request_id, "video", {}, "svc-gone@host:1")
    snapshot = await _wait_terminal(runtimes[0], request_id)  # both reapers are racing for it
    assert snapshot["errorCode"] == "JOB_TRACKING_TIMEOUT" and snapshot["status"] == "error"
    await asyncio.gather(*(runtime.runner.reap_expired() for runtime in runtimes))
    found = await job_events(runtimes[0].nc, "video", request_id, until_terminal=True)
    assert [(name, data["code"]) for name, data in found] == [(events.ERROR, "JOB_TRACKING_TIMEOUT")]
    assert not await runtimes[1].registry.is_active(request_id)


async def test_a_live_owner_keeps_a_job_whose_lease_ran_out(runtimes: list[Runtime]) -> None:
    owner, reaper = runtimes
    request_id = unique("stalled")
    release = asyncio.Event()

    async def work(job: Job) -> dict[str, Any]:
        await release.wait()
        return {"ok": True}

    stream = owner.runner.run(request_id, "image", {}, work, async_mode=True)
    assert (await anext(stream)).event == events.ACCEPTED
    # As if the owner's renewals had been lost while its NATS node failed over.
    await reaper.runner.reap_expired([request_id])
    assert await reaper.registry.is_active(request_id)
    release.set()
    found = await job_events(reaper.nc, "image", request_id, until_terminal=True)
    assert [name for name, _ in found] == [events.DONE]


async def test_cancel_of_an_orphaned_job_is_ended_by_one_replica(runtimes: list[Runtime]) -> None:
    request_id = unique("gone")
    await runtimes[0].registry.admit(request_id, "image", {}, "svc-gone@host:2")
    client = runtimes[0].nc
    with pytest.raises(nats.errors.TimeoutError):  # no replica owns it, so none answers
        await client.request(events.CANCEL_SUBJECT, request_id.encode(), timeout=0.5)
    replies = await asyncio.gather(
        *(client.request(events.ORPHAN_CANCEL_SUBJECT, request_id.encode(), timeout=5) for _ in range(3))
    )
    answers = [json.loads(reply.data)["active"] for reply in replies]
    assert sorted(answers) == [False, False, True]
    found = await job_events(client, "image", request_id)
    assert [(name, data["code"]) for name, data in found] == [(events.ERROR, "GENERATION_CANCELED")]
    snapshot = await runtimes[0].registry.terminal_snapshot(request_id)
    assert snapshot is not None and snapshot["errorCode"] == "GENERATION_CANCELED"


@pytest.mark.parametrize("round_", range(5))
async def test_cancel_racing_an_ending_gives_one_terminal_event(runtimes: list[Runtime], round_: int) -> None:
    runtime = runtimes[0]
    request_id = unique(f"race{round_}")
    started, finish = asyncio.Event(), asyncio.Event()

    async def work(job: Job) -> dict[str, Any]:
        started.set()
        await finish.wait()
        return {"images": []}

    stream = runtime.runner.run(request_id, "image", {}, work, async_mode=False)
    consumer = asyncio.create_task(_collect(stream))
    await started.wait()
    finish.set()
    try:
        reply = await runtimes[1].nc.request(events.CANCEL_SUBJECT, request_id.encode(), timeout=1)
        aborted = bool(json.loads(reply.data).get("aborted"))
    except nats.errors.TimeoutError:
        aborted = False  # the ending came first: the job was no longer running to answer
    streamed = await consumer
    published = await job_events(runtimes[1].nc, "image", request_id)
    terminal = [name for name, _ in published if name in events.TERMINAL_EVENTS]
    assert len(terminal) == 1
    assert streamed[-1] == terminal[0]
    snapshot = await runtime.registry.terminal_snapshot(request_id)
    assert snapshot is not None
    if aborted:
        # An acknowledged cancel wins over the ending it raced.
        assert terminal == [events.ERROR] and snapshot["errorCode"] == "GENERATION_CANCELED"


async def _collect(stream: AsyncIterator[Any]) -> list[str]:
    return [item.event async for item in stream]


async def test_a_result_that_cannot_be_published_ends_the_job_with_an_error(nats_url: str) -> None:
    """If the terminal event itself cannot be published, a small error event ends the job."""
    runtime = await Runtime.start(nats_url)
    js = runtime.nc.jetstream()
    config = events_stream_config()
    try:
        await js.update_stream(dataclasses.replace(config, max_msg_size=4096))
        request_id = unique("unpublishable")

        async def work(job: Job) -> dict[str, Any]:
            return {"summary": "x" * 8192}  # over the stream's message limit

        stream = runtime.runner.run(request_id, "image", {}, work, async_mode=False)
        streamed = [item async for item in stream]
        published = await job_events(runtime.nc, "image", request_id, until_terminal=True)
        assert [(name, data.get("code")) for name, data in published] == [
            (events.ERROR, "EVENTS_UNAVAILABLE")
        ]
        assert streamed[-1].event == events.DONE  # the caller holding the stream still got its result
    finally:
        await js.update_stream(config)
        await runtime.close()
