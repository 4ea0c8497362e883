"""The OpenAI API (`/openai/v1`, Bearer sk-… keys) and the spec-era OAuth proxy (`/oauth/v1`, no auth)."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from ima2_sandbox.control import Call, begin
from ima2_sandbox.errors import openai_error
from ima2_sandbox.upstreams import responses
from ima2_sandbox.upstreams.openai_images import images_response

MODELS = (
    "gpt-5.4",
    "gpt-5.4-mini",
    "gpt-5.5",
    "gpt-5",
    "gpt-4.1",
    "gpt-4o",
    "gpt-image-1",
    "gpt-image-1-mini",
    "gpt-image-1.5",
    "gpt-image-2",
)


def mask_openai_key(key: str) -> str:
    if len(key) <= 12:
        return key[:3] + "*" * max(0, len(key) - 3)
    return key[:8] + "*" * (len(key) - 12) + key[-4:]


def openai_headers() -> dict[str, str]:
    return {
        "x-request-id": f"req_{uuid.uuid4().hex}",
        "openai-processing-ms": "12",
        "openai-version": "2020-10-01",
    }


def check_key(call: Call) -> Response | None:
    """None when the Bearer key is acceptable, else OpenAI's 401 (or 429 insufficient_quota)."""
    if not call.request.headers.get("authorization"):
        return openai_error(
            401,
            "You didn't provide an API key. You need to provide your API key in an "
            "Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY), "
            "or as the password field (with blank username) if you're accessing the API "
            "from your browser and are prompted for a username and password. You can "
            "obtain an API key from https://platform.openai.com/account/api-keys.",
        )
    key = call.bearer()
    if not key.startswith("sk-") or "invalid" in key:
        return openai_error(
            401,
            f"Incorrect API key provided: {mask_openai_key(key)}. You can find your "
            "API key at https://platform.openai.com/account/api-keys.",
            "invalid_request_error",
            "invalid_api_key",
        )
    if "noquota" in key:
        return openai_error(
            429,
            "You exceeded your current quota, please check your plan and billing details.",
            "insufficient_quota",
            "insufficient_quota",
        )
    return None


def models_body(owned_by: str = "openai") -> dict[str, Any]:
    created = 1_700_000_000
    return {
        "object": "list",
        "data": [{"id": m, "object": "model", "created": created, "owned_by": owned_by} for m in MODELS],
    }


def build_router(upstream: str, prefix: str, require_key: bool) -> APIRouter:
    router = APIRouter(prefix=prefix)

    async def _enter(request: Request) -> tuple[Call, Response | None]:
        call = await begin(request, upstream)
        if call.response is not None:
            return call, call.response
        return call, check_key(call) if require_key else None

    @router.post("/responses")
    async def create_response(request: Request) -> Response:
        call, early = await _enter(request)
        if early is not None:
            return early
        try:
            req = responses.parse(call.json)
        except responses.Problem as problem:
            return openai_error(
                problem.status, problem.message, "invalid_request_error", problem.code, problem.param
            )
        return responses.respond(call, req, stream=req.stream, headers=openai_headers())

    @router.get("/models")
    async def list_models(request: Request) -> Response:
        _call, early = await _enter(request)
        return early or JSONResponse(models_body(), headers=openai_headers())

    @router.post("/images/generations")
    async def generate_images(request: Request) -> Response:
        call, early = await _enter(request)
        return early or images_response(call, edit=False)

    @router.post("/images/edits")
    async def edit_images(request: Request) -> Response:
        call, early = await _enter(request)
        return early or images_response(call, edit=True)

    return router
