"""Map OpenAI Responses failures to the catalogue. Upstream bodies never reach the client;
only upstreamCode / upstreamType / upstreamParam do."""

from __future__ import annotations

import re
from typing import Any

import httpx

from ima2_common.errors import Ima2Error, UpstreamFields

INVALID_REQUEST_CODES = {
    "invalid_value",
    "unsupported_parameter",
    "invalid_size",
    "missing_required_parameter",
    "invalid_request_error",
    "unknown_parameter",
    "invalid_type",
    "unsupported_value",
}
SAFETY_CODES = {"moderation_blocked", "content_policy_violation", "safety_violation"}


def _error_fields(body: Any) -> dict[str, Any]:
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        return error
    if isinstance(body, dict) and body.get("type") == "error":
        return body
    return {}


def _upstream(err: dict[str, Any]) -> UpstreamFields:
    def text(key: str) -> str | None:
        value = err.get(key)
        return str(value)[:120] if value not in (None, "") else None

    return {"upstream_code": text("code"), "upstream_type": text("type"), "upstream_param": text("param")}


def classify(status: int, body: Any) -> Ima2Error:
    """An HTTP error or an in-stream error object → the documented code."""
    err = _error_fields(body)
    code = str(err.get("code") or "")
    message = str(err.get("message") or "").lower()
    upstream = _upstream(err)
    if code in SAFETY_CODES or "safety system" in message:
        return Ima2Error("MODERATION_REFUSED", **upstream)
    if (
        code == "insufficient_quota"
        or "incorrect api key" in message
        or "exceeded your current quota" in message
    ):
        return Ima2Error("AUTH_API_KEY_INVALID", **upstream)
    if "token is expired" in message or "sign in again" in message:
        return Ima2Error("AUTH_CHATGPT_EXPIRED", **upstream)
    if status in (401, 403) or code == "invalid_api_key":
        return Ima2Error("AUTH_API_KEY_INVALID", "OpenAI authentication failed.", **upstream)
    if status == 429 or code == "rate_limit_exceeded":
        return Ima2Error("RATE_LIMITED", **upstream)
    if status >= 500 or (status == 0 and re.search(r"\b5\d\d\b", message)):
        return Ima2Error("UPSTREAM_5XX", status=502, **upstream)
    if code in INVALID_REQUEST_CODES or 400 <= status < 500:
        return Ima2Error("INVALID_REQUEST", **upstream)
    return Ima2Error("RESPONSES_IMAGE_ERROR", **upstream)


def from_transport(exc: httpx.HTTPError, timeout_code: str, unreachable_code: str) -> Ima2Error:
    if isinstance(exc, httpx.TimeoutException) and not isinstance(exc, httpx.ConnectTimeout):
        return Ima2Error(timeout_code)
    return Ima2Error(unreachable_code)


def is_retryable(err: Ima2Error) -> bool:
    """The route-level rule: one retry, except INVALID_REQUEST, timeouts and other 4xx (safety is retried)."""
    if err.code in ("MODERATION_REFUSED", "SAFETY_REFUSAL", "EMPTY_RESPONSE"):
        return True
    if err.code == "INVALID_REQUEST" or err.status == 504:
        return False
    return err.status >= 500 or err.code == "NETWORK_FAILED"
