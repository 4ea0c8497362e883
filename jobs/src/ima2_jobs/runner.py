"""Running generation jobs inside a service: admission, events, cancel, leases.

A job's events go to JetStream (the `/api/events` replay buffer and fan-out) and, when the
caller holds the gRPC stream, to that stream too (per-request SSE and blocking JSON).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import socket
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import nats.errors
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.object_store import ObjectStore

from ima2_common import events
from ima2_common.errors import Ima2Error
from ima2_common.job_events import (
    DoneEvent,
    ErrorEvent,
    JobEvent,
    MediaRef,
    PartialEvent,
    PhaseEvent,
)
from ima2_common.logging import job_id_var, log_fields, request_id_var
from ima2_jobs.registry import JobRegistry
from ima2_proto.v1 import common_pb2

log = logging.getLogger("ima2.jobs")
PUBLISH_TIMEOUT = 2.0
# A phase reaches the registry (what /api/inflight shows) once it has lasted this long: a job that
# ends sooner writes no phase at all, and a long phase shows up within a quarter of a second.
PHASE_RECORD_DELAY = 0.25
TERMINAL_PUBLISH_TRIES = 5
OWNER_PROBE_SECONDS = 1.5  # a dead owner's job ends this much after its lease


async def publish_event(js: JetStreamContext, kind: str, request_id: str, event: JobEvent) -> int:
    """Publish one event; returns its stream sequence (the SSE id), 0 when it could not be published.

    A terminal event is tried again (NATS may be restarting), and if it still cannot be published
    as it is, a small error event takes its place: a job never ends in silence.
    """
    event.requestId = event.requestId or request_id
    event.jobId = request_id
    data = event.to_json().encode()
    # The id lets JetStream drop a second copy when a publish is tried again after a failover.
    headers = {
        events.HEADER_EVENT: event.name,
        events.HEADER_REQUEST_ID: request_id,
        "Nats-Msg-Id": uuid.uuid4().hex,
    }
    subject = events.event_subject(kind, request_id)
    tries = TERMINAL_PUBLISH_TRIES if event.name in events.TERMINAL_EVENTS else 1
    for attempt in range(tries):
        try:
            ack = await js.publish(subject, data, headers=headers, timeout=PUBLISH_TIMEOUT)
            return ack.seq
        except Exception as exc:
            log.warning(
                "event publish failed",
                extra=log_fields(event=event.name, error=type(exc).__name__, attempt=attempt),
            )
            if attempt + 1 < tries:
                await asyncio.sleep(0.25 * 2**attempt)  # back off while NATS comes back
    if isinstance(event, DoneEvent):
        err = Ima2Error("EVENTS_UNAVAILABLE", "The result could not be delivered on the event stream.")
        return await publish_event(js, kind, request_id, ErrorEvent.of(err, jobSeq=event.jobSeq))
    return 0


class Job:
    def __init__(self, runner: JobRunner, request_id: str, kind: str, streaming: bool) -> None:
        self.runner = runner
        self.request_id = request_id
        self.kind = kind
        self.queue: asyncio.Queue[common_pb2.JobEvent] | None = asyncio.Queue() if streaming else None
        self.task: asyncio.Task[None] | None = None
        self.canceled = False
        self.ended = False
        self.record: dict[str, Any] | None = None  # this owner's copy of the registry record
        self.record_revision = 0  # the revision of it this owner last wrote; 0 once unknown
        self._seq = 0
        self._phase = ""
        self._phase_writer: asyncio.Task[None] | None = None

    async def emit(self, event: JobEvent, publish: bool = True) -> None:
        """Publish on NATS and hand to the caller's stream; `publish=False` only tells the caller."""
        if self.ended:
            return
        self._seq += 1
        event.jobSeq = self._seq
        event.requestId = event.requestId or self.request_id
        event.jobId = self.request_id
        if event.name in events.TERMINAL_EVENTS:
            self.ended = True
        seq = await publish_event(self.runner.js, self.kind, self.request_id, event) if publish else 0
        if self.queue is not None:
            await self.queue.put(
                common_pb2.JobEvent(event=event.name, payload_json=event.to_json(), stream_seq=seq)
            )

    async def partial(self, data: bytes, mime: str, index: int) -> None:
        """A partial preview: the bytes go to the short-lived object store, the event names them."""
        name = f"{self.request_id.encode().hex()}.{index}.{self._seq + 1}"
        try:
            await self.runner.previews.put(name, data)
        except Exception as exc:  # a preview is a nicety: the job goes on without it
            log.warning("preview not stored", extra=log_fields(error=type(exc).__name__))
            return
        await self.emit(PartialEvent(mediaRef=MediaRef(preview=name, mime=mime), index=index))

    async def set_phase(self, phase: str) -> None:
        """Record the job's phase in the registry (what /api/inflight shows), without an event.

        Written in the background after PHASE_RECORD_DELAY, and best effort: a registry that is
        briefly unreachable (a NATS node failing over) must not fail the generation itself."""
        self._phase = phase
        if self._phase_writer is None or self._phase_writer.done():
            self._phase_writer = asyncio.create_task(self._record_phase())

    async def _record_phase(self) -> None:
        await asyncio.sleep(PHASE_RECORD_DELAY)
        while not self.ended and self.record is not None and self.record_revision:
            if self._phase == self.record.get("phase"):
                return
            phase = self._phase
            try:
                self.record_revision = await self.runner.registry.set_phase(
                    self.request_id, phase, self.record, self.record_revision
                )
            except Exception as exc:
                self.record_revision = 0  # it may or may not have landed: no later write may undo an ending
                log.warning("job phase not recorded", extra=log_fields(phase=phase, error=type(exc).__name__))

    def stop_recording_phases(self) -> None:
        if self._phase_writer is not None:
            self._phase_writer.cancel()

    async def phase(self, phase: str, **extra: Any) -> None:
        await self.set_phase(phase)
        await self.emit(PhaseEvent(phase=phase, **extra))

    def raise_if_canceled(self) -> None:
        if self.canceled:
            raise asyncio.CancelledError


Work = Callable[[Job], Awaitable[dict[str, Any]]]


class JobRunner:
    def __init__(
        self, service: str, nc: Client, js: JetStreamContext, registry: JobRegistry, previews: ObjectStore
    ) -> None:
        self.service = service
        self.nc = nc
        self.js = js
        self.registry = registry
        self.previews = previews
        self.owner = f"{service}@{socket.gethostname()}:{os.getpid()}"
        self.jobs: dict[str, Job] = {}
        self._background: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        await self.nc.subscribe(events.CANCEL_SUBJECT, cb=self._on_cancel)
        await self.nc.subscribe(events.OWNER_PROBE_SUBJECT, cb=self._on_owner_probe)
        # One replica of any job service takes each orphaned cancel (its owner did not answer).
        await self.nc.subscribe(
            events.ORPHAN_CANCEL_SUBJECT, queue=events.JOB_SERVICES_QUEUE, cb=self._on_orphan_cancel
        )
        self._background.append(asyncio.create_task(self._lease_loop()))

    async def stop(self) -> None:
        for job in list(self.jobs.values()):
            if job.task is not None:
                job.task.cancel()
        tasks = [job.task for job in self.jobs.values() if job.task is not None]
        if tasks:
            await asyncio.wait(tasks, timeout=5)
        for task in self._background:
            task.cancel()

    async def _on_cancel(self, msg: Msg) -> None:
        request_id = msg.data.decode()
        job = self.jobs.get(request_id)
        if job is None or job.task is None or job.ended:
            return
        job.canceled = True
        job.task.cancel()
        if msg.reply:
            await msg.respond(json.dumps({"requestId": request_id, "active": True, "aborted": True}).encode())

    async def _on_owner_probe(self, msg: Msg) -> None:
        job = self.jobs.get(msg.data.decode())
        if job is not None and not job.ended and msg.reply:
            await msg.respond(b"1")

    async def _owner_answers(self, request_id: str) -> bool:
        """Whether some replica still runs the job. Asked of every replica and waited for: an owner
        that is reconnecting to another NATS node has no subscription for a moment, and a question
        addressed to it alone would find nobody and end a live job."""
        try:
            await self.nc.request(
                events.OWNER_PROBE_SUBJECT, request_id.encode(), timeout=OWNER_PROBE_SECONDS
            )
        except (nats.errors.NoRespondersError, nats.errors.TimeoutError):
            return False
        return True

    async def _on_orphan_cancel(self, msg: Msg) -> None:
        request_id = msg.data.decode()
        ended = await self.end_elsewhere(request_id, "canceled", Ima2Error("GENERATION_CANCELED"))
        if not ended:
            await self.registry.record_canceled_tombstone(request_id)
        if msg.reply:
            await msg.respond(
                json.dumps({"requestId": request_id, "active": ended, "aborted": False}).encode()
            )

    async def end_elsewhere(self, request_id: str, status: str, err: Ima2Error) -> bool:
        """End a job this replica does not run (its owner is gone): one terminal event, from here."""
        record = await self.registry.get(request_id) or {}
        if not await self.registry.finish(request_id, status, err.status, err.code):
            return False
        await publish_event(self.js, record.get("kind", "job"), request_id, ErrorEvent.of(err, jobSeq=0))
        return True

    async def reap_expired(self, expired: list[str] | None = None) -> None:
        """End jobs whose owner stopped renewing its lease and does not answer for them (it died).

        An owner that is alive but could not renew (its NATS node went away mid-request) still
        answers the probe, and its job goes on."""
        request_ids = expired if expired is not None else await self.registry.expired()
        await asyncio.gather(*(self._reap(request_id) for request_id in request_ids))

    async def _reap(self, request_id: str) -> None:
        if await self._owner_answers(request_id):
            return
        if await self.end_elsewhere(request_id, "error", Ima2Error("JOB_TRACKING_TIMEOUT")):
            log.warning("job lease expired", extra=log_fields(jobRequestId=request_id))

    async def _lease_loop(self) -> None:
        """Renew this replica's leases and end the jobs of replicas that stopped renewing theirs.

        After the registry was slow or unreachable (a NATS failover), nobody could renew: the
        reaper then waits one lease before it ends anything, so the owners renew first and only
        jobs whose owner is really gone end with JOB_TRACKING_TIMEOUT."""
        interval = max(0.2, self.registry.lease_ms / 3000)
        lease = self.registry.lease_ms / 1000
        reap_after = 0.0
        while True:
            await asyncio.sleep(interval)
            began = time.monotonic()
            try:
                await self.registry.renew([rid for rid, job in self.jobs.items() if not job.ended])
            except Exception as exc:
                log.warning("lease renewal failed", extra=log_fields(error=type(exc).__name__))
                reap_after = time.monotonic() + lease
                continue
            if time.monotonic() - began > interval:
                reap_after = time.monotonic() + lease
            if time.monotonic() < reap_after:
                continue
            try:
                began = time.monotonic()
                expired = await self.registry.expired()
                if time.monotonic() - began > interval:  # the read waited out a failover
                    reap_after = time.monotonic() + lease
                    continue
                await self.reap_expired(expired)
            except Exception as exc:
                log.warning("lease reaping failed", extra=log_fields(error=type(exc).__name__))
                reap_after = time.monotonic() + lease

    async def run(
        self, request_id: str, kind: str, meta: dict[str, Any], work: Work, async_mode: bool
    ) -> AsyncIterator[common_pb2.JobEvent]:
        """Admit the job, run `work` in the background and stream its events to the caller."""
        record, revision = await self.registry.admit(request_id, kind, meta, self.owner)
        job = Job(self, request_id, kind, streaming=not async_mode)
        job.record, job.record_revision = record, revision
        self.jobs[request_id] = job
        job.task = asyncio.create_task(self._execute(job, work))
        if async_mode:
            yield common_pb2.JobEvent(
                event=events.ACCEPTED, payload_json=json.dumps({"requestId": request_id})
            )
            return
        assert job.queue is not None
        while True:
            item = await job.queue.get()
            yield item
            if item.event in events.TERMINAL_EVENTS:
                return

    async def _execute(self, job: Job, work: Work) -> None:
        request_id_var.set(job.request_id)
        job_id_var.set(job.request_id)
        ending: DoneEvent | ErrorEvent
        try:
            result = await work(job)
            job.raise_if_canceled()
            ending, status = DoneEvent(**result), "completed"
        except asyncio.CancelledError:
            ending, status = ErrorEvent.of(Ima2Error("GENERATION_CANCELED")), "canceled"
        except Ima2Error as err:
            ending, status = ErrorEvent.of(err), "error"
        except Exception as exc:
            log.error("job crashed", exc_info=exc)
            ending, status = ErrorEvent.of(Ima2Error("GENERATE_FAILED")), "error"
        if job.canceled and status != "canceled":
            # The owner acknowledged a cancel: it wins over whatever raced it to the end.
            ending, status = ErrorEvent.of(Ima2Error("GENERATION_CANCELED")), "canceled"
        self.jobs.pop(job.request_id, None)
        job.stop_recording_phases()
        # Shielded: a late cancel must not cut the ending short.
        await asyncio.shield(self._conclude(job, ending, status))

    async def _conclude(self, job: Job, ending: DoneEvent | ErrorEvent, status: str) -> None:
        http_status, code = (200, None) if isinstance(ending, DoneEvent) else (ending.status, ending.code)
        # The registry goes first: whoever sees the terminal event no longer finds the job listed.
        try:
            ended_here = await self.registry.finish(job.request_id, status, http_status, code, job.record)
        except Exception as exc:
            log.warning("job registry unreachable at finish", extra=log_fields(error=type(exc).__name__))
            ended_here = True
        if ended_here:
            await job.emit(ending)
        else:
            # Somebody else ended it first (a forced cancel, an expired lease): that ending won and
            # was already published; the caller still waiting on this stream learns it from the snapshot.
            await job.emit(await self._ending_elsewhere(job.request_id), publish=False)
        log.info(
            "job finished", extra=log_fields(kind=job.kind, status=status, code=code, endedHere=ended_here)
        )

    async def _ending_elsewhere(self, request_id: str) -> ErrorEvent:
        snapshot = await self.registry.terminal_snapshot(request_id)
        code = str((snapshot or {}).get("errorCode") or "JOB_TRACKING_TIMEOUT")
        return ErrorEvent.of(Ima2Error(code))
