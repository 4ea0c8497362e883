"""xAI video failures → the catalogue (upstream-apis §1.5, §1.6; reference §4.4).

Upstream messages never reach the client: only the upstream `code` / `type` do, as
upstreamCode / upstreamType.
"""

from __future__ import annotations

from typing import Any

from ima2_common.errors import Ima2Error

# stage → (bad request, timeout, network failure)
STAGE_CODES: dict[str, tuple[str, str, str]] = {
    "search": ("GROK_SEARCH_BAD_REQUEST", "GROK_SEARCH_TIMEOUT", "GROK_SEARCH_NETWORK_FAILED"),
    "planner": ("GROK_PLANNER_BAD_REQUEST", "GROK_PLANNER_TIMEOUT", "GROK_PLANNER_NETWORK_FAILED"),
}

# A poll answered `status: "failed"`: error.code → (code, status)
FAILED_CODE_MAP: dict[str, tuple[str, int]] = {
    "invalid_argument": ("GROK_VIDEO_REQUEST_FAILED", 400),
    "permission_denied": ("GROK_VIDEO_REQUEST_FAILED", 403),
    "failed_precondition": ("GROK_VIDEO_REQUEST_FAILED", 412),
    "service_unavailable": ("GROK_VIDEO_POLL_FAILED", 502),
    "internal_error": ("GROK_VIDEO_FAILED", 502),
}


def _short(value: Any) -> str | None:
    return str(value)[:120] if value not in (None, "") else None


def upstream_fields(body: Any) -> dict[str, str | None]:
    """xAI's flat `{code, error}` or the nested `{error: {type, code}}` of progrok and compat gateways."""
    if not isinstance(body, dict):
        return {"upstream_code": None, "upstream_type": None}
    nested = body.get("error")
    if isinstance(nested, dict):
        return {"upstream_code": _short(nested.get("code")), "upstream_type": _short(nested.get("type"))}
    return {"upstream_code": _short(body.get("code")), "upstream_type": None}


def common_status(status: int, body: Any) -> Ima2Error | None:
    """The statuses every xAI call maps the same way: 429, 401/403, 5xx."""
    upstream = upstream_fields(body)
    if status == 429:
        return Ima2Error("GROK_RATE_LIMITED", **upstream)
    if status in (401, 403):
        return Ima2Error("GROK_AUTH_FAILED", **upstream)
    if status >= 500:
        return Ima2Error("GROK_UPSTREAM_ERROR", **upstream)
    return None


def text_stage(stage: str, status: int, body: Any) -> Ima2Error:
    return common_status(status, body) or Ima2Error(
        STAGE_CODES[stage][0], status=status, **upstream_fields(body)
    )


def submit_refused(status: int, body: Any) -> Ima2Error:
    """A refused video submit (edit, extension): any other 4xx is GROK_VIDEO_REQUEST_FAILED."""
    return common_status(status, body) or Ima2Error(
        "GROK_VIDEO_REQUEST_FAILED", status=status, **upstream_fields(body)
    )


def job_failed(error: Any) -> Ima2Error:
    code = str((error or {}).get("code") or "") if isinstance(error, dict) else ""
    mapped, status = FAILED_CODE_MAP.get(code, ("GROK_VIDEO_FAILED", 502))
    return Ima2Error(mapped, status=status, upstream_code=_short(code))


def stage_timeout(stage: str) -> Ima2Error:
    return Ima2Error(STAGE_CODES[stage][1])


def stage_network(stage: str) -> Ima2Error:
    return Ima2Error(STAGE_CODES[stage][2])
