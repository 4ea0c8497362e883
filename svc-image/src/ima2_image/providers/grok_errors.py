"""xAI failures → the catalogue (upstream-apis §1.6). Upstream messages never reach the client;
only the upstream `code` / `type` do, as upstreamCode / upstreamType."""

from __future__ import annotations

from typing import Any

from ima2_common.errors import Ima2Error, UpstreamFields

# stage → (bad request, timeout, network failure)
STAGE_CODES: dict[str, tuple[str, str, str]] = {
    "search": ("GROK_SEARCH_BAD_REQUEST", "GROK_SEARCH_TIMEOUT", "GROK_SEARCH_NETWORK_FAILED"),
    "planner": ("GROK_PLANNER_BAD_REQUEST", "GROK_PLANNER_TIMEOUT", "GROK_PLANNER_NETWORK_FAILED"),
    "image": ("GROK_BAD_REQUEST", "GROK_IMAGE_TIMEOUT", "GROK_IMAGE_NETWORK_FAILED"),
}


def _short(value: Any) -> str | None:
    return str(value)[:120] if value not in (None, "") else None


def upstream_fields(body: Any) -> UpstreamFields:
    """xAI's flat `{code, error}` or the nested `{error: {type, code}}` of progrok and compat gateways."""
    if not isinstance(body, dict):
        return {"upstream_code": None, "upstream_type": None}
    nested = body.get("error")
    if isinstance(nested, dict):
        return {"upstream_code": _short(nested.get("code")), "upstream_type": _short(nested.get("type"))}
    return {"upstream_code": _short(body.get("code")), "upstream_type": None}


def classify(stage: str, status: int, body: Any) -> Ima2Error:
    upstream = upstream_fields(body)
    if status == 429:
        return Ima2Error("GROK_RATE_LIMITED", **upstream)
    if status in (401, 403):
        return Ima2Error("GROK_AUTH_FAILED", **upstream)
    if status >= 500:
        return Ima2Error("GROK_UPSTREAM_ERROR", **upstream)
    return Ima2Error(STAGE_CODES[stage][0], status=status, **upstream)


def timeout(stage: str) -> Ima2Error:
    return Ima2Error(STAGE_CODES[stage][1])


def network(stage: str) -> Ima2Error:
    return Ima2Error(STAGE_CODES[stage][2])
