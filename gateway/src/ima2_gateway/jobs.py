"""Turning a service's JobEvent stream into the three answer styles: 202, JSON, or per-request SSE.

A job outlives the gRPC stream that started it: if the service dies mid-job the stream breaks,
but the job's events are on JetStream and the reaper ends it with JOB_TRACKING_TIMEOUT once its
lease runs out. So when an admitted job's stream breaks, the answer keeps following that job on
JetStream until its terminal event (with a bounded wait), instead of failing at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from nats.errors import TimeoutError as NatsTimeoutError
from nats.js.api import ConsumerConfig, DeliverPolicy

from ima2_common import events
from ima2_common.errors import Ima2Error, error_payload
from ima2_common.job_events import ErrorEvent, parse_event
from ima2_common.logging import log_fields
from ima2_gateway.context import Gateway, gateway
from ima2_gateway.errors import error_response
from ima2_gateway.media_refs import MediaInliner
from ima2_gateway.sse import PING, SSE_HEADERS, SSE_MEDIA_TYPE, frame
from ima2_proto.v1 import common_pb2

log = logging.getLogger("ima2.gateway.jobs")
INTERNAL_FIELDS = ("jobSeq",)
# A broken stream (the service died) rather than a refusal carried in the status details.
TRANSPORT_CODES = frozenset({"SERVICE_UNAVAILABLE", "INTERNAL_ERROR"})
FOLLOW_GRACE_SECONDS = 10.0
CLOCK_SKEW = timedelta(seconds=2)  # between this host and the NATS server's stamps
ErrorRenderer = Callable[[Ima2Error], Response]
ANSWER_EVENTS = frozenset({events.ACCEPTED, events.DONE, events.ERROR})


def public_payload(payload: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in payload.items() if k not in INTERNAL_FIELDS}


def error_from_event(payload: dict[str, Any]) -> Ima2Error:
    return Ima2Error(
        code=str(payload.get("code") or "GENERATE_FAILED"),
        message=str(payload.get("error") or ""),
        status=int(payload.get("status") or 0),
        upstream_code=payload.get("upstreamCode"),
        upstream_type=payload.get("upstreamType"),
        upstream_param=payload.get("upstreamParam"),
        diagnostic_reason=payload.get("diagnosticReason"),
        retry_kind=payload.get("retryKind"),
        guidance=payload.get("guidance"),
    )


def _job_error_event(err: Ima2Error, request_id: str) -> common_pb2.JobEvent:
    event = ErrorEvent.of(err, requestId=request_id, jobId=request_id)
    return common_pb2.JobEvent(event=event.name, payload_json=event.to_json())


async def _admitted(gw: Gateway, request_id: str) -> bool:
    try:
        return await gw.registry.get(request_id) is not None
    except Exception:
        return False


async def follow_job(
    gw: Gateway, request_id: str, after_seq: int, started: datetime
) -> AsyncIterator[common_pb2.JobEvent]:
    """The rest of a job's events, read from JetStream, ending with its terminal event."""
    subject = f"{events.EVENTS_SUBJECT_PREFIX}.*.{events.subject_token(request_id)}"
    if after_seq:
        config = ConsumerConfig(deliver_policy=DeliverPolicy.BY_START_SEQUENCE, opt_start_seq=after_seq + 1)
    else:
        config = ConsumerConfig(
            deliver_policy=DeliverPolicy.BY_START_TIME,
            opt_start_time=started.isoformat().replace("+00:00", "Z"),
        )
    loop = asyncio.get_running_loop()
    deadline = loop.time() + gw.settings.job_lease_seconds * 3 + FOLLOW_GRACE_SECONDS
    try:
        subscription = await gw.js.subscribe(subject, ordered_consumer=True, config=config)
    except Exception as exc:  # NATS is down too: nothing to follow
        raise Ima2Error(
            "EVENTS_UNAVAILABLE", "The job's service and the event backbone are unreachable."
        ) from exc
    try:
        while (remaining := deadline - loop.time()) > 0:
            try:
                msg = await subscription.next_msg(timeout=min(remaining, 1.0))
            except NatsTimeoutError:
                continue
            name = (msg.headers or {}).get(events.HEADER_EVENT, "message")
            yield common_pb2.JobEvent(
                event=name, payload_json=msg.data.decode(), stream_seq=msg.metadata.sequence.stream
            )
            if name in events.TERMINAL_EVENTS:
                return
    finally:
        with contextlib.suppress(Exception):
            await subscription.unsubscribe()
    yield _job_error_event(Ima2Error("JOB_TRACKING_TIMEOUT"), request_id)


async def job_events(
    gw: Gateway | None, stream: AsyncIterator[Any], request_id: str | None
) -> AsyncIterator[common_pb2.JobEvent]:
    """The job's events from its gRPC stream, continued from JetStream if the stream breaks."""
    started = datetime.now(UTC) - CLOCK_SKEW  # events of this job are no older than this
    last_seq, seen = 0, False
    try:
        async for item in stream:
            seen = True
            last_seq = item.stream_seq or last_seq
            yield item
            if item.event in events.TERMINAL_EVENTS or item.event == events.ACCEPTED:
                return
        return
    except Ima2Error as err:
        if gw is None or not request_id or err.code not in TRANSPORT_CODES:
            raise
        if not seen and not await _admitted(gw, request_id):
            raise
        log.warning("job stream broke; following it on JetStream", extra=log_fields(code=err.code))
    async for item in follow_job(gw, request_id, last_seq, started):
        yield item


async def answer_json(
    stream: AsyncIterator[Any],
    request: Request,
    *,
    request_id: str | None = None,
    accepted_async_flag: bool = True,
    render_error: ErrorRenderer | None = None,
) -> Response:
    """Blocking routes: 202 for async jobs, else the `done` payload as JSON or the error envelope."""
    render = render_error or (lambda err: error_response(err, request))
    media = gateway(request).media
    source = job_events(gateway(request) if request_id else None, stream, request_id)
    try:
        async for item in source:
            if item.event not in ANSWER_EVENTS:
                continue  # progress: only on /api/events for a blocking caller
            payload = json.loads(item.payload_json)
            if item.event == events.ACCEPTED:
                body = {"requestId": payload["requestId"]}
                if accepted_async_flag:
                    body["async"] = True
                return JSONResponse(body, status_code=202)
            if item.event == events.DONE:
                body = public_payload((await media.inline(parse_event(item.event, payload))).payload())
                body.pop("jobId", None)
                return JSONResponse(body)
            if item.event == events.ERROR:
                return render(error_from_event(payload))
    except Ima2Error as err:
        return render(err)
    finally:
        await source.aclose()
    return render(Ima2Error("GENERATE_FAILED", "The job ended without a result."))


async def sse_frame(media: MediaInliner, item: common_pb2.JobEvent) -> bytes:
    """The same bytes /api/events sends for this event (same id, same payload)."""
    return await media.frame(item.event, item.payload_json.encode(), item.stream_seq or None)


def sse_error_response(err: Ima2Error, request_id: str) -> StreamingResponse:
    """An SSE answer holding one `error` event (routes whose errors are SSE even before a job)."""
    payload = {**error_payload(err), "requestId": request_id}

    async def body() -> AsyncIterator[bytes]:
        yield frame(events.ERROR, payload)

    headers = dict(SSE_HEADERS)
    if err.code == "TOO_MANY_JOBS" or "retryAfter" in err.extra:
        headers["Retry-After"] = str(err.extra.get("retryAfter", 5))
    return StreamingResponse(body(), media_type=SSE_MEDIA_TYPE, headers=headers)


async def _sse_body(
    first: common_pb2.JobEvent,
    source: AsyncIterator[common_pb2.JobEvent],
    request_id: str,
    gw: Gateway,
) -> AsyncIterator[bytes]:
    ping_seconds, media = gw.settings.sse_ping_seconds, gw.media
    queue: asyncio.Queue[common_pb2.JobEvent | Ima2Error | None] = asyncio.Queue()

    async def pump() -> None:
        try:
            async for item in source:
                await queue.put(item)
        except Ima2Error as err:
            await queue.put(err)
        except Exception as exc:
            log.error("job stream failed", exc_info=exc)
            await queue.put(Ima2Error("GENERATE_FAILED"))
        await queue.put(None)

    task = asyncio.create_task(pump()) if first.event not in events.TERMINAL_EVENTS else None
    try:
        yield await sse_frame(media, first)
        while task is not None:
            try:
                item = await asyncio.wait_for(queue.get(), timeout=ping_seconds)
            except TimeoutError:
                yield PING
                continue
            if item is None:
                return
            if isinstance(item, Ima2Error):
                yield await sse_frame(media, _job_error_event(item, request_id))
                return
            yield await sse_frame(media, item)
            if item.event in events.TERMINAL_EVENTS:
                return
    finally:
        if task is not None:
            task.cancel()
            with contextlib.suppress(BaseException):
                await task
        with contextlib.suppress(BaseException):
            await source.aclose()


async def answer_sse(
    stream: AsyncIterator[Any],
    request: Request,
    *,
    request_id: str,
    errors_as_sse: bool,
    render_error: ErrorRenderer | None = None,
) -> Response:
    """Per-request SSE on the POST (every event is also on /api/events), or 202 for async jobs.

    An error before the job exists (validation in the service, admission) is one SSE `error`
    event when `errors_as_sse`, else the route's JSON error envelope."""
    render = render_error or (lambda err: error_response(err, request))
    gw = gateway(request)
    source = job_events(gw, stream, request_id)
    try:
        first = await anext(source)
    except (Ima2Error, StopAsyncIteration) as exc:
        await source.aclose()
        err = (
            exc
            if isinstance(exc, Ima2Error)
            else Ima2Error("GENERATE_FAILED", "The job ended without events.")
        )
        return sse_error_response(err, request_id) if errors_as_sse else render(err)
    if first.event == events.ACCEPTED:
        await source.aclose()
        return JSONResponse({"requestId": request_id}, status_code=202)
    return StreamingResponse(
        _sse_body(first, source, request_id, gw),
        media_type=SSE_MEDIA_TYPE,
        headers=SSE_HEADERS,
    )


async def _flushed_sse_body(
    source: AsyncIterator[common_pb2.JobEvent], request_id: str, gw: Gateway
) -> AsyncIterator[bytes]:
    yield PING  # the headers and a first byte go out before the job has said anything
    try:
        first = await anext(source)
    except (Ima2Error, StopAsyncIteration) as exc:
        await source.aclose()
        err = (
            exc
            if isinstance(exc, Ima2Error)
            else Ima2Error("GENERATE_FAILED", "The job ended without events.")
        )
        yield frame(events.ERROR, {**error_payload(err), "requestId": request_id})
        return
    async for chunk in _sse_body(first, source, request_id, gw):
        yield chunk


def answer_sse_flushed(stream: AsyncIterator[Any], request: Request, *, request_id: str) -> StreamingResponse:
    """Per-request SSE whose headers are sent at once (the video route): every failure, even one
    before the job exists (admission, inputs), is an SSE `error` event on the open stream."""
    gw = gateway(request)
    source = job_events(gw, stream, request_id)
    return StreamingResponse(
        _flushed_sse_body(source, request_id, gw),
        media_type=SSE_MEDIA_TYPE,
        headers=SSE_HEADERS,
    )
