"""GET /api/inflight and DELETE /api/inflight/:requestId (cancel)."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from nats.errors import NoRespondersError
from nats.errors import TimeoutError as NatsTimeoutError

from ima2_common import events
from ima2_common.errors import Ima2Error
from ima2_common.job_runner import error_payload, publish_event
from ima2_gateway.context import gateway

router = APIRouter()
CANCEL_REPLY_TIMEOUT = 2.0


def _truthy(value: str | None) -> bool:
    return (value or "").lower() in ("1", "true", "yes")


def _matches(job: dict[str, Any], kind: str | None, session_id: str | None) -> bool:
    meta = job.get("meta") or {}
    return (not kind or job.get("kind") == kind) and (not session_id or meta.get("sessionId") == session_id)


@router.get("/api/inflight", operation_id="listInflight")
async def list_inflight(
    request: Request,
    kind: str | None = None,
    sessionId: str | None = None,
    includeTerminal: str | None = None,
) -> dict[str, Any]:
    registry = gateway(request).registry
    jobs = [job for job in await registry.active() if _matches(job, kind, sessionId)]
    body: dict[str, Any] = {"jobs": jobs}
    if _truthy(includeTerminal):
        body["terminalJobs"] = [job for job in await registry.terminal() if _matches(job, kind, sessionId)]
    return body


@router.delete("/api/inflight/{request_id}", operation_id="cancelInflight")
async def cancel_inflight(request_id: str, request: Request) -> dict[str, Any]:
    gw = gateway(request)
    try:
        reply = await gw.nc.request(events.CANCEL_SUBJECT, request_id.encode(), timeout=CANCEL_REPLY_TIMEOUT)
        return json.loads(reply.data)
    except (NatsTimeoutError, NoRespondersError):
        pass
    record = await gw.registry.get(request_id)
    if await gw.registry.finish(request_id, "canceled", 499, "GENERATION_CANCELED"):
        # The owner did not answer (it died or is unreachable): end the job here, once.
        err = Ima2Error("GENERATION_CANCELED")
        await publish_event(
            gw.js, (record or {}).get("kind", "job"), request_id, events.ERROR, error_payload(err)
        )
        return {"requestId": request_id, "active": True, "aborted": False}
    await gw.registry.record_canceled_tombstone(request_id)
    return {"requestId": request_id, "active": False, "aborted": False}
