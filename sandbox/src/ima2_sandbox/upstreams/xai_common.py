"""What the xAI emulators share: model lists, auth checks and the request guard."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import Request
from fastapi.responses import JSONResponse, Response

from ima2_sandbox import jwt_util
from ima2_sandbox.control import Call, begin
from ima2_sandbox.errors import xai_error

Guard = Callable[..., Awaitable[tuple[Call, Response | None]]]

IMAGE_MODELS = (
    "grok-imagine-image",
    "grok-imagine-image-quality",
    "grok-imagine-image-pro",
    "grok-imagine-image-2.0",
)
CHAT_MODELS = (
    "grok-4.3",
    "grok-4.3-fast",
    "grok-4",
    "grok-4-fast",
    "grok-4-fast-reasoning",
    "grok-4-fast-non-reasoning",
    "grok-4-1-fast-reasoning",
    "grok-4-1-fast-non-reasoning",
    "grok-3",
    "grok-3-mini",
    "grok-code-fast-1",
)
VIDEO_MODELS = (
    "grok-imagine-video",
    "grok-imagine-video-1.5",
    "grok-imagine-video-1.5-preview",
    "grok-imagine-video-1.5-2026-05-30",
)
ASPECT_RATIOS = (
    "1:1",
    "3:4",
    "4:3",
    "9:16",
    "16:9",
    "2:3",
    "3:2",
    "9:19.5",
    "19.5:9",
    "9:20",
    "20:9",
    "1:2",
    "2:1",
    "auto",
)
RESOLUTIONS = {"1k": 1024, "2k": 2048}
UNSUPPORTED_IMAGE_ARGS = ("size", "quality", "style")
TICKS_PER_IMAGE = {"grok-imagine-image": 200_000_000, "grok-imagine-image-2.0": 200_000_000}
TICKS_QUALITY = 700_000_000
MAX_EDIT_IMAGES = 3


def mask_xai_key(key: str) -> str:
    return f"{key[:2]}***{key[-2:]}" if len(key) > 4 else "***"


def bad_key(key: str) -> Response:
    return xai_error(
        400,
        f"Incorrect API key provided: {mask_xai_key(key)}. You can obtain an API key "
        "from https://console.x.ai.",
    )


def looks_like_oauth_token(call: Call, token: str) -> bool:
    return (
        jwt_util.split(token) is not None or token.startswith("sandbox-") or token in call.state.issued_tokens
    )


def check_xai_auth(call: Call) -> Response | None:
    """`xai-` API keys, or OAuth access tokens (JWTs, sandbox-issued or `sandbox-…`)."""
    token = call.bearer()
    if not token:
        return xai_error(401, "Missing or invalid Authorization header.")
    if token.startswith("xai-"):
        return bad_key(token) if "invalid" in token else None
    if looks_like_oauth_token(call, token):
        claims = jwt_util.claims_of(token)
        if "invalid" in token or "expired" in token or (claims is not None and jwt_util.expired(claims)):
            return xai_error(401, "The OAuth access token is invalid or has expired.")
        return None
    return bad_key(token)


def check_progrok_auth(call: Call) -> Response | None:
    if not call.state.setting("progrokLoggedIn"):
        return JSONResponse(
            {"error": {"message": "Not logged in. Run `progrok login` first.", "type": "auth_error"}},
            status_code=401,
        )
    return None


def make_guard(upstream: str, check: Callable[[Call], Response | None]) -> Guard:
    async def guard(request: Request, always_stream: bool = False) -> tuple[Call, Response | None]:
        call = await begin(request, upstream, always_stream=always_stream)
        if call.response is not None:
            return call, call.response
        return call, check(call)

    return guard
