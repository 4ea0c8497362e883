"""Turning a service's JobEvent stream into the three answer styles: 202, JSON, or per-request SSE."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse, Response

from ima2_common import events
from ima2_common.errors import Ima2Error
from ima2_gateway.errors import error_response

INTERNAL_FIELDS = ("jobSeq",)


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


async def answer_json(stream: AsyncIterator[Any], request: Request) -> Response:
    """Blocking routes: 202 for async jobs, else the `done` payload as JSON or the error envelope."""
    try:
        async for item in stream:
            payload = json.loads(item.payload_json)
            if item.event == events.ACCEPTED:
                return JSONResponse({"requestId": payload["requestId"], "async": True}, status_code=202)
            if item.event == events.DONE:
                body = public_payload(payload)
                body.pop("jobId", None)
                return JSONResponse(body)
            if item.event == events.ERROR:
                return error_response(error_from_event(payload), request)
    except Ima2Error as err:
        return error_response(err, request)
    return error_response(Ima2Error("GENERATE_FAILED", "The job ended without a result."), request)
