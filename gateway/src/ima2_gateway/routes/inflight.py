"""GET /api/inflight and DELETE /api/inflight/:requestId (cancel)."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from nats.errors import NoRespondersError
from nats.errors import TimeoutError as NatsTimeoutError

from ima2_common import events
from ima2_gateway.context import gateway
from ima2_gateway.models.jobs import CancelResult, InflightList
from ima2_gateway.openapi import contract

router = APIRouter(tags=["jobs"])
CANCEL_REPLY_TIMEOUT = 2.0


def _truthy(value: str | None) -> bool:
    return (value or "").lower() in ("1", "true", "yes")


def _matches(job: dict[str, Any], kind: str | None, session_id: str | None) -> bool:
    meta = job.get("meta") or {}
    return (not kind or job.get("kind") == kind) and (not session_id or meta.get("sessionId") == session_id)


@router.get(
    "/api/inflight",
    operation_id="listInflight",
    summary="Active jobs (includeTerminal=1 adds recently ended ones)",
    **contract(InflightList, errors="nested"),
)
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


@router.delete(
    "/api/inflight/{request_id}",
    operation_id="cancelInflight",
    summary="Cancel an active job",
    **contract(CancelResult, errors="nested"),
)
async def cancel_inflight(request_id: str, request: Request) -> dict[str, Any]:
    gw = gateway(request)
    try:
        reply = await gw.nc.request(events.CANCEL_SUBJECT, request_id.encode(), timeout=CANCEL_REPLY_TIMEOUT)
        answer: dict[str, Any] = json.loads(reply.data)
        return answer
    except (NatsTimeoutError, NoRespondersError):
        pass
    # The owner did not answer (it died or is unreachable): one live job-service replica ends it.
    try:
        reply = await gw.nc.request(
            events.ORPHAN_CANCEL_SUBJECT, request_id.encode(), timeout=CANCEL_REPLY_TIMEOUT
        )
        orphan_answer: dict[str, Any] = json.loads(reply.data)
        return orphan_answer
    except (NatsTimeoutError, NoRespondersError):
        # No job service is up: the job ends with JOB_TRACKING_TIMEOUT once one is back.
        return {"requestId": request_id, "active": await gw.registry.is_active(request_id), "aborted": False}
