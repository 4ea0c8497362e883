"""Fault injection, the request log and the `/_sandbox` control API.

Every emulator handler starts with `call = await begin(request, "<upstream>")`: the request is
recorded first, then the first matching fault is taken. `call.response` is set when the fault
answers on its own (error, hang, drop); the handler returns it. Faults whose shape depends on
the upstream (safety, empty, slow-stream, a mid-stream drop) are left to the handler through
`call.mode`.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse

from ima2_sandbox.errors import default_fault_body, default_fault_headers
from ima2_sandbox.state import DEFAULT_SETTINGS, Fault, SandboxState

UPSTREAMS = (
    "openai",
    "oauth",
    "codex",
    "xai",
    "progrok",
    "gemini",
    "vertex",
    "xai-auth",
    "openai-auth",
    "google-oauth",
    "billing",
)
MODES = (
    "error",
    "hang",
    "safety",
    "empty",
    "slow-stream",
    "drop",
    # xAI video jobs, taken on the submit (`path: "/videos/generations"`, edits, extensions):
    "video-failed",  # the job ends `failed` with error.code = `reason` (default internal_error)
    "video-expired",  # the job ends `expired`
    "video-stalled",  # the job stays pending at one progress value
    "video-not-mp4",  # the finished file is not an MP4 (served as video/mp4)
    "video-too-large",  # the finished file declares a Content-Length of `videoOversizeBytes`
)
VIDEO_MODES = {
    "video-failed": "failed",
    "video-expired": "expired",
    "video-stalled": "stalled",
    "video-not-mp4": "not-mp4",
    "video-too-large": "too-large",
}
MASKED_HEADERS = {"authorization", "x-goog-api-key", "api-key", "x-api-key", "cookie", "proxy-authorization"}
MASKED_QUERY = {"key", "api_key", "access_token", "token"}
B64_RE = re.compile(r"^[A-Za-z0-9+/=_.\-\r\n]+$")
LONG_STRING = 200


class DroppedConnection(Exception):
    """Raised inside a response body to make the server close the connection mid-response."""


def get_state(request: Request) -> SandboxState:
    return request.app.state.sandbox


def base_url(request: Request) -> str:
    return str(request.base_url).rstrip("/")


# --- request log ------------------------------------------------------------------------------


def mask(value: str) -> str:
    """First 6 characters then "…"; an auth scheme ("Bearer ") is kept in front of them."""
    scheme, _, credential = value.partition(" ")
    if credential and scheme.isalpha():
        return f"{scheme} {credential[:6]}…"
    return f"{value[:6]}…"


def shrink(value: Any) -> Any:
    """Replace base64 / data-URL strings over 200 characters with "<b64:N chars>"."""
    if isinstance(value, str):
        if len(value) > LONG_STRING and (value.startswith("data:") or B64_RE.match(value)):
            return f"<b64:{len(value)} chars>"
        return value
    if isinstance(value, dict):
        return {k: shrink(v) for k, v in value.items()}
    if isinstance(value, list):
        return [shrink(v) for v in value]
    return value


def record(
    state: SandboxState, request: Request, upstream: str, body_json: Any, form: dict[str, str] | None
) -> dict[str, Any]:
    headers = {k: (mask(v) if k in MASKED_HEADERS else v) for k, v in request.headers.items()}
    query = {k: (mask(v) if k in MASKED_QUERY else v) for k, v in request.query_params.items()}
    entry: dict[str, Any] = {
        "upstream": upstream,
        "method": request.method,
        "path": request.url.path,
        "query": query,
        "headers": headers,
        "json": shrink(body_json),
        "form": shrink(form) if form is not None else None,
        "at": round(time.time(), 3),
    }
    state.requests.append(entry)
    return entry


# --- faults -----------------------------------------------------------------------------------


def _matches(fault: Fault, upstream: str, path: str) -> bool:
    # progrok relays xAI unchanged, so an "xai" fault also hits requests made through progrok.
    if fault.upstream not in ("*", upstream) and not (fault.upstream == "xai" and upstream == "progrok"):
        return False
    return not fault.path or fault.path in path


def take_fault(state: SandboxState, upstream: str, path: str) -> Fault | None:
    for fault in list(state.faults):
        if not _matches(fault, upstream, path):
            continue
        fault.hits += 1
        if fault.count > 0 and fault.hits >= fault.count:
            state.faults.remove(fault)
        return fault
    return None


def fault_response(upstream: str, fault: Fault, status: int) -> Response:
    # Keys are lower-cased so that an override replaces the default instead of doubling it.
    headers = {k.lower(): v for k, v in default_fault_headers(upstream, status).items()}
    headers.update({k.lower(): v for k, v in fault.headers.items()})
    body = fault.body if fault.body is not None else default_fault_body(upstream, status)
    if isinstance(body, str):
        return PlainTextResponse(body, status_code=status, headers=headers)
    return JSONResponse(body, status_code=status, headers=headers)


async def _dropped_body() -> Any:
    raise DroppedConnection("sandbox fault: connection dropped")
    yield b""  # pragma: no cover - makes this an async generator


def drop_response(status: int = 200) -> Response:
    return StreamingResponse(_dropped_body(), status_code=status, media_type="application/json")


async def wait_for_disconnect(request: Request, limit: float) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if await request.is_disconnected():
            return
        await asyncio.sleep(0.05)


@dataclass
class Call:
    """One upstream request as an emulator handler sees it."""

    request: Request
    state: SandboxState
    upstream: str
    json: Any
    form: dict[str, str] | None
    fault: Fault | None = None
    response: Response | None = None

    @property
    def mode(self) -> str | None:
        return self.fault.mode if self.fault is not None else None

    @property
    def body(self) -> dict[str, Any] | None:
        return self.json if isinstance(self.json, dict) else None

    @property
    def event_delay(self) -> float:
        return self.fault.delay if self.fault is not None and self.fault.mode == "slow-stream" else 0.0

    @property
    def drops_stream(self) -> bool:
        return self.fault is not None and self.fault.mode == "drop"

    def bearer(self) -> str:
        value = self.request.headers.get("authorization", "")
        return value[7:].strip() if value[:7].lower() == "bearer " else ""


def _parse_body(request: Request, raw: bytes) -> tuple[Any, dict[str, str] | None]:
    content_type = request.headers.get("content-type", "")
    if "application/x-www-form-urlencoded" in content_type:
        return None, dict(parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True))
    if not raw.strip():
        return None, None
    try:
        return json.loads(raw), None
    except (ValueError, UnicodeDecodeError):
        return None, None


async def begin(request: Request, upstream: str, *, always_stream: bool = False) -> Call:
    state = get_state(request)
    raw = await request.body()
    body_json, form = _parse_body(request, raw)
    entry = record(state, request, upstream, body_json, form)
    call = Call(request, state, upstream, body_json, form)
    fault = take_fault(state, upstream, request.url.path)
    if fault is None:
        return call
    call.fault = fault
    streaming = always_stream or (isinstance(body_json, dict) and body_json.get("stream") is True)
    if fault.mode == "slow-stream" and streaming:
        return call
    if fault.delay > 0:
        await asyncio.sleep(fault.delay)
        entry["delayElapsed"] = True  # the moment the upstream would answer (seen in the request log)
    if fault.mode == "hang":
        await wait_for_disconnect(request, float(state.setting("hangMaxSeconds")))
        call.response = Response(status_code=504)
    elif fault.mode == "drop" and not streaming:
        call.response = drop_response(fault.status or 200)
    elif fault.mode == "error":
        if fault.status is None and fault.delay > 0:
            call.fault = None  # latency only
        else:
            call.response = fault_response(upstream, fault, fault.status or 500)
    return call


# --- control API ------------------------------------------------------------------------------


def _bad(message: str, status: int = 400) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


def _parse_fault(state: SandboxState, data: Any) -> Fault | str:
    if not isinstance(data, dict):
        return "body must be a JSON object"
    upstream = data.get("upstream", "*")
    if upstream != "*" and upstream not in UPSTREAMS:
        return f"unknown upstream {upstream!r}"
    mode = data.get("mode", "error")
    if mode not in MODES:
        return f"unknown mode {mode!r}"
    status = data.get("status")
    if status is not None and (not isinstance(status, int) or not 100 <= status <= 599):
        return "status must be an HTTP status code"
    count = data.get("count", 1)
    delay = data.get("delay", 0)
    if not isinstance(count, int) or count < 0:
        return "count must be an integer >= 0"
    if not isinstance(delay, int | float) or delay < 0:
        return "delay must be a number >= 0"
    headers = data.get("headers") or {}
    if not isinstance(headers, dict):
        return "headers must be an object"
    fault = Fault(
        id=state.next_fault_id,
        upstream=upstream,
        path=str(data.get("path") or ""),
        status=status,
        body=data.get("body"),
        headers={str(k): str(v) for k, v in headers.items()},
        delay=float(delay),
        mode=mode,
        count=count,
        reason=data.get("reason"),
        block_reason=data.get("blockReason"),
    )
    state.next_fault_id += 1
    return fault


def _setting_ok(name: str, value: Any) -> bool:
    default = DEFAULT_SETTINGS[name]
    if isinstance(default, bool):
        return isinstance(value, bool)
    if isinstance(default, int):
        return isinstance(value, int) and not isinstance(value, bool)
    if isinstance(default, float):
        return isinstance(value, int | float) and not isinstance(value, bool)
    return isinstance(value, type(default))


def build_router() -> APIRouter:
    router = APIRouter(prefix="/_sandbox")

    @router.get("/health")
    async def health() -> dict[str, Any]:
        return {"status": "ok", "sandbox": True, "upstreams": list(UPSTREAMS)}

    @router.post("/faults")
    async def add_fault(request: Request) -> JSONResponse:
        state = get_state(request)
        try:
            data = await request.json()
        except ValueError:
            return _bad("body must be JSON")
        fault = _parse_fault(state, data)
        if isinstance(fault, str):
            return _bad(fault)
        state.faults.append(fault)
        return JSONResponse({"fault": fault.to_json()}, status_code=201)

    @router.get("/faults")
    async def list_faults(request: Request) -> dict[str, Any]:
        return {"faults": [f.to_json() for f in get_state(request).faults]}

    @router.delete("/faults")
    async def clear_faults(request: Request) -> dict[str, Any]:
        state = get_state(request)
        cleared = len(state.faults)
        state.faults.clear()
        return {"cleared": cleared}

    @router.delete("/faults/{fault_id}")
    async def delete_fault(fault_id: int, request: Request) -> JSONResponse:
        state = get_state(request)
        before = len(state.faults)
        state.faults = [f for f in state.faults if f.id != fault_id]
        return JSONResponse({"cleared": before - len(state.faults)})

    @router.get("/requests")
    async def list_requests(request: Request, upstream: str = "", path: str = "") -> dict[str, Any]:
        entries = [
            entry
            for entry in get_state(request).requests
            if (not upstream or entry["upstream"] == upstream) and (not path or path in entry["path"])
        ]
        return {"requests": entries}

    @router.delete("/requests")
    async def clear_requests(request: Request) -> dict[str, Any]:
        state = get_state(request)
        cleared = len(state.requests)
        state.requests.clear()
        return {"cleared": cleared}

    @router.get("/settings")
    async def get_settings(request: Request) -> dict[str, Any]:
        return {"settings": get_state(request).settings}

    @router.put("/settings")
    async def put_settings(request: Request) -> JSONResponse:
        state = get_state(request)
        try:
            data = await request.json()
        except ValueError:
            return _bad("body must be JSON")
        if not isinstance(data, dict):
            return _bad("body must be a JSON object")
        for name, value in data.items():
            if name not in DEFAULT_SETTINGS:
                return _bad(f"unknown setting {name!r}")
            if not _setting_ok(name, value):
                return _bad(f"setting {name!r} must be a {type(DEFAULT_SETTINGS[name]).__name__}")
        state.settings.update(data)
        return JSONResponse({"settings": state.settings})

    @router.post("/reset")
    async def reset(request: Request) -> dict[str, Any]:
        get_state(request).reset()
        return {"status": "ok"}

    @router.post("/device/{action}")
    async def device(action: str, request: Request) -> JSONResponse:
        state = get_state(request)
        try:
            data = await request.json()
        except ValueError:
            data = {}
        data = data if isinstance(data, dict) else {}
        if action not in ("approve", "deny", "expire"):
            return _bad("action must be approve, deny or expire", 404)
        code = str(data.get("userCode") or "")
        grant = state.device_by_user_code(code) or state.devices.get(str(data.get("deviceCode") or ""))
        if grant is None:
            return _bad("unknown user code", 404)
        if action == "approve":
            grant.status = "approved"
            grant.email = str(data.get("email") or state.setting("deviceEmail"))
        elif action == "deny":
            grant.status = "denied"
        else:
            grant.expires_at = time.time() - 1
        return JSONResponse({"userCode": grant.user_code, "status": grant.status, "kind": grant.kind})

    return router
