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
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.js import JetStreamContext

from ima2_common import events
from ima2_common.errors import Ima2Error
from ima2_common.jobs import JobRegistry
from ima2_common.logging import job_id_var, log_fields, request_id_var
from ima2_proto.v1 import common_pb2

log = logging.getLogger("ima2.jobs")
PUBLISH_TIMEOUT = 2.0


async def publish_event(
    js: JetStreamContext, kind: str, request_id: str, event: str, payload: dict[str, Any]
) -> int:
    """Publish one event; returns its stream sequence (the SSE id), 0 when NATS is unreachable."""
    data = json.dumps(events.with_job_ids(payload, request_id), separators=(",", ":")).encode()
    headers = {events.HEADER_EVENT: event, events.HEADER_REQUEST_ID: request_id}
    try:
        ack = await js.publish(
            events.event_subject(kind, request_id), data, headers=headers, timeout=PUBLISH_TIMEOUT
        )
    except Exception as exc:
        log.warning("event publish failed", extra=log_fields(event=event, error=type(exc).__name__))
        return 0
    return ack.seq


class Job:
    def __init__(self, runner: JobRunner, request_id: str, kind: str, streaming: bool) -> None:
        self.runner = runner
        self.request_id = request_id
        self.kind = kind
        self.queue: asyncio.Queue[common_pb2.JobEvent] | None = asyncio.Queue() if streaming else None
        self.task: asyncio.Task[None] | None = None
        self.canceled = False
        self.ended = False
        self._seq = 0

    async def emit(self, event: str, payload: dict[str, Any], publish: bool = True) -> None:
        """Publish on NATS and hand to the caller's stream; `publish=False` only tells the caller."""
        if self.ended:
            return
        self._seq += 1
        body = {**payload, "jobSeq": self._seq}
        if event in events.TERMINAL_EVENTS:
            self.ended = True
        seq = await publish_event(self.runner.js, self.kind, self.request_id, event, body) if publish else 0
        if self.queue is not None:
            full = events.with_job_ids(body, self.request_id)
            await self.queue.put(
                common_pb2.JobEvent(event=event, payload_json=json.dumps(full), stream_seq=seq)
            )

    async def phase(self, phase: str, **extra: Any) -> None:
        await self.runner.registry.set_phase(self.request_id, phase)
        await self.emit(events.PHASE, {"phase": phase, **extra})

    def raise_if_canceled(self) -> None:
        if self.canceled:
            raise asyncio.CancelledError


Work = Callable[[Job], Awaitable[dict[str, Any]]]


class JobRunner:
    def __init__(self, service: str, nc: Client, js: JetStreamContext, registry: JobRegistry) -> None:
        self.service = service
        self.nc = nc
        self.js = js
        self.registry = registry
        self.owner = f"{service}@{socket.gethostname()}:{os.getpid()}"
        self.jobs: dict[str, Job] = {}
        self._background: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        await self.nc.subscribe(events.CANCEL_SUBJECT, cb=self._on_cancel)
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

    async def _lease_loop(self) -> None:
        interval = max(0.2, self.registry.lease_ms / 3000)
        while True:
            await asyncio.sleep(interval)
            try:
                await self.registry.renew([rid for rid, job in self.jobs.items() if not job.ended])
                await reap_expired_jobs(self.registry, self.js)
            except Exception as exc:
                log.warning("lease renewal failed", extra=log_fields(error=type(exc).__name__))

    async def run(
        self, request_id: str, kind: str, meta: dict[str, Any], work: Work, async_mode: bool
    ) -> AsyncIterator[common_pb2.JobEvent]:
        """Admit the job, run `work` in the background and stream its events to the caller."""
        await self.registry.admit(request_id, kind, meta, self.owner)
        job = Job(self, request_id, kind, streaming=not async_mode)
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
        try:
            result = await work(job)
            job.raise_if_canceled()
            event, payload, status, http_status, code = events.DONE, result, "completed", 200, None
        except asyncio.CancelledError:
            err = Ima2Error("GENERATION_CANCELED")
            event, payload, status, http_status, code = (
                events.ERROR,
                error_payload(err),
                "canceled",
                499,
                err.code,
            )
        except Ima2Error as err:
            event, payload, status, http_status, code = (
                events.ERROR,
                error_payload(err),
                "error",
                err.status,
                err.code,
            )
        except Exception as exc:
            log.error("job crashed", exc_info=exc)
            err = Ima2Error("GENERATE_FAILED")
            event, payload, status, http_status, code = (
                events.ERROR,
                error_payload(err),
                "error",
                err.status,
                err.code,
            )
        if job.canceled and code != "GENERATION_CANCELED":
            # The owner acknowledged a cancel: it wins over whatever raced it to the end.
            err = Ima2Error("GENERATION_CANCELED")
            event, payload, status, http_status, code = (
                events.ERROR,
                error_payload(err),
                "canceled",
                499,
                err.code,
            )
        self.jobs.pop(job.request_id, None)
        # Shielded: a late cancel must not cut the ending short.
        await asyncio.shield(self._conclude(job, event, payload, status, http_status, code))

    async def _conclude(
        self, job: Job, event: str, payload: dict[str, Any], status: str, http_status: int, code: str | None
    ) -> None:
        # The registry goes first: whoever sees the terminal event no longer finds the job listed.
        try:
            ended_here = await self.registry.finish(job.request_id, status, http_status, code)
        except Exception as exc:
            log.warning("job registry unreachable at finish", extra=log_fields(error=type(exc).__name__))
            ended_here = True
        if ended_here:
            await job.emit(event, payload)
        else:
            # Somebody else ended it first (a forced cancel, an expired lease): that ending won and
            # was already published; the caller still waiting on this stream learns it from the snapshot.
            await job.emit(events.ERROR, await self._ending_elsewhere(job.request_id), publish=False)
        log.info(
            "job finished", extra=log_fields(kind=job.kind, status=status, code=code, endedHere=ended_here)
        )

    async def _ending_elsewhere(self, request_id: str) -> dict[str, Any]:
        snapshot = await self.registry.terminal_snapshot(request_id)
        code = str((snapshot or {}).get("errorCode") or "JOB_TRACKING_TIMEOUT")
        return error_payload(Ima2Error(code))


def error_payload(err: Ima2Error) -> dict[str, Any]:
    """The SSE error frame: {error, code, status, ...upstream details when present}."""
    payload: dict[str, Any] = {"error": err.message, "code": err.code, "status": err.status}
    optional = {
        "upstreamCode": err.upstream_code,
        "upstreamType": err.upstream_type,
        "upstreamParam": err.upstream_param,
        "diagnosticReason": err.diagnostic_reason,
        "retryKind": err.retry_kind,
        "guidance": err.guidance,
    }
    payload.update({k: v for k, v in optional.items() if v})
    payload.update(err.extra)
    return payload


async def reap_expired_jobs(registry: JobRegistry, js: JetStreamContext) -> None:
    """End jobs whose owner stopped renewing its lease (a service died) with an error event."""
    for request_id in await registry.expired():
        record = await registry.get(request_id) or {}
        if await registry.finish(request_id, "error", 504, "JOB_TRACKING_TIMEOUT"):
            err = Ima2Error("JOB_TRACKING_TIMEOUT")
            await publish_event(
                js, record.get("kind", "job"), request_id, events.ERROR, {**error_payload(err), "jobSeq": 0}
            )
            log.warning("job lease expired", extra=log_fields(jobRequestId=request_id))
