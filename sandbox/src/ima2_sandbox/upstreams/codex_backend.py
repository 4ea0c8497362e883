"""The later-era Codex backend (`/codex/backend-api/codex/...`) and its quota endpoint (`.../wham/usage`).

Every call needs `Authorization: Bearer <token>` and `chatgpt-account-id`. Any token is accepted
except one containing "invalid"/"expired" or a JWT whose `exp` has passed (401 token_expired).
"""

from __future__ import annotations

import time

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from ima2_sandbox import jwt_util
from ima2_sandbox.control import Call, begin
from ima2_sandbox.errors import openai_error
from ima2_sandbox.upstreams import responses
from ima2_sandbox.upstreams.openai_images import images_response

UPSTREAM = "codex"
CODEX_MODELS = [
    {"slug": "gpt-5.4", "display_name": "GPT-5.4", "use_responses_lite": False, "visibility": "list"},
    {
        "slug": "gpt-5.4-mini",
        "display_name": "GPT-5.4 mini",
        "use_responses_lite": False,
        "visibility": "list",
    },
    {"slug": "gpt-5.5", "display_name": "GPT-5.5", "use_responses_lite": False, "visibility": "list"},
    {"slug": "gpt-5.6", "display_name": "GPT-5.6", "use_responses_lite": True, "visibility": "list"},
    {
        "slug": "gpt-5-codex-internal",
        "display_name": "internal",
        "use_responses_lite": False,
        "visibility": "hide",
    },
]


def check_session(call: Call) -> Response | None:
    token = call.bearer()
    if not token:
        return openai_error(401, "Missing bearer or basic authentication in header", "invalid_request_error")
    claims = jwt_util.claims_of(token)
    if "invalid" in token or "expired" in token or (claims is not None and jwt_util.expired(claims)):
        return openai_error(
            401,
            "Provided authentication token is expired. Please try signing in again.",
            "invalid_request_error",
            "token_expired",
        )
    if not call.request.headers.get("chatgpt-account-id"):
        return openai_error(
            401, "Missing chatgpt-account-id header.", "invalid_request_error", "missing_account_id"
        )
    return None


def _detail(message: str) -> Response:
    return JSONResponse({"detail": message}, status_code=400)


def build_router() -> APIRouter:
    router = APIRouter(prefix="/codex/backend-api")

    async def _enter(request: Request, always_stream: bool = False) -> tuple[Call, Response | None]:
        call = await begin(request, UPSTREAM, always_stream=always_stream)
        if call.response is not None:
            return call, call.response
        return call, check_session(call)

    @router.post("/codex/responses")
    async def create_response(request: Request) -> Response:
        call, early = await _enter(request, always_stream=True)
        if early is not None:
            return early
        body = call.body
        if body is None:
            return _detail("Invalid JSON body")
        if body.get("stream") is not True:
            return _detail("Stream must be set to true")
        if body.get("store", True) is not False:
            return _detail("Store must be set to false")
        if not isinstance(body.get("instructions"), str):
            return _detail("Instructions are required")
        try:
            req = responses.parse(body)
        except responses.Problem as problem:
            return openai_error(
                problem.status, problem.message, "invalid_request_error", problem.code, problem.param
            )
        return responses.respond(call, req, stream=True, nested_error_event=True)

    @router.get("/codex/models")
    async def list_models(request: Request) -> Response:
        call, early = await _enter(request)
        if early is not None:
            return early
        if not call.request.query_params.get("client_version"):
            return _detail("client_version is required")
        return JSONResponse({"models": CODEX_MODELS})

    @router.post("/codex/images/generations")
    async def generate_images(request: Request) -> Response:
        call, early = await _enter(request)
        return early or images_response(call, edit=False)

    @router.post("/codex/images/edits")
    async def edit_images(request: Request) -> Response:
        call, early = await _enter(request)
        return early or images_response(call, edit=True)

    @router.get("/wham/usage")
    async def usage(request: Request) -> Response:
        call, early = await _enter(request)
        if early is not None:
            return early
        state = call.state
        claims = jwt_util.claims_of(call.bearer()) or {}
        email = claims.get("email") or (claims.get("https://api.openai.com/profile") or {}).get("email")
        now = int(time.time())
        return JSONResponse(
            {
                "email": email or state.setting("deviceEmail"),
                "plan_type": state.setting("codexPlan"),
                "rate_limit": {
                    "primary_window": {
                        "used_percent": state.setting("codexPrimaryUsedPercent"),
                        "limit_window_seconds": 18000,
                        "reset_at": now + 3600,
                    },
                    "secondary_window": {
                        "used_percent": state.setting("codexSecondaryUsedPercent"),
                        "limit_window_seconds": 604800,
                        "reset_at": now + 3 * 86400,
                    },
                },
            }
        )

    return router
