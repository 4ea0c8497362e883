"""Rendering errors in the envelope family the spec uses for each route (reference §1.10)."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse

from ima2_common.errors import Ima2Error

# Families: "flat" {error, code, requestId, upstream*...}; "nested" {error:{code,message}};
# "keys" {ok:false, error, code}.
NESTED_PREFIXES = (
    "/api/sessions",
    "/api/node",
    "/api/events",
    "/api/storage",
    "/api/inflight",
    "/api/history",
    "/api/annotations",
    "/api/canvas-versions",
    "/api/prompts",
    "/api/prompt-builder",
    "/api/comfy",
    "/api/cardnews",
    "/api/agent",
    "/generated",
)
KEYS_PREFIXES = ("/api/keys", "/api/metadata")


def family_for(path: str) -> str:
    if path.startswith(KEYS_PREFIXES):
        return "keys"
    if path.startswith(NESTED_PREFIXES):
        return "nested"
    return "flat"


def flat_body(err: Ima2Error, request_id: str | None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "error": err.message,
        "code": err.code,
        "requestId": request_id,
        "upstreamCode": err.upstream_code,
        "upstreamType": err.upstream_type,
        "upstreamParam": err.upstream_param,
        "diagnosticReason": err.diagnostic_reason,
        "retryKind": err.retry_kind,
        "referencesDroppedOnRetry": None,
        "errorEventCount": None,
    }
    if err.guidance:
        body["guidance"] = err.guidance
    body.update({k: v for k, v in err.extra.items() if k != "retryAfter"})
    return body


def error_body(err: Ima2Error, family: str, request_id: str | None) -> dict[str, Any]:
    if family == "nested":
        nested: dict[str, Any] = {"code": err.code, "message": err.message}
        body: dict[str, Any] = {"error": nested}
        body.update({k: v for k, v in err.extra.items() if k != "retryAfter"})
        if request_id and family == "nested":
            nested["requestId"] = request_id
        return body
    if family == "keys":
        return {"ok": False, "error": err.message, "code": err.code}
    return flat_body(err, request_id)


def error_response(err: Ima2Error, request: Request, family: str | None = None) -> JSONResponse:
    request_id = getattr(request.state, "request_id", None)
    headers = {"Cache-Control": "no-store"}
    if err.code == "TOO_MANY_JOBS" or "retryAfter" in err.extra:
        headers["Retry-After"] = str(err.extra.get("retryAfter", 5))
    body = error_body(err, family or family_for(request.url.path), request_id)
    return JSONResponse(body, status_code=err.status, headers=headers)
