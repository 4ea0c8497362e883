"""Vertex AI generateContent (§4.3): camelCase `generationConfig.imageConfig` with plain strings,
`Authorization: Bearer ya29…` issued by `/google-oauth/token` (see google_oauth.py)."""

from __future__ import annotations

import time

from fastapi import APIRouter, Request
from fastapi.responses import Response

from ima2_sandbox.control import Call, begin
from ima2_sandbox.errors import google_error
from ima2_sandbox.upstreams import gemini

MISSING_CREDENTIALS = (
    "Request is missing required authentication credential. Expected OAuth 2 access token, login cookie or "
    "other valid authentication credential. See "
    "https://developers.google.com/identity/sign-in/web/devconsole-project."
)


def check_token(call: Call) -> Response | None:
    token = call.bearer()
    if not token:
        return google_error(401, MISSING_CREDENTIALS)
    info = call.state.google_tokens.get(token)
    if info is None or info["expires_at"] < time.time():
        return google_error(401)
    return None


def build_router() -> APIRouter:
    router = APIRouter(prefix="/vertex/v1")

    @router.post("/projects/{project}/locations/{location}/publishers/google/models/{target}")
    async def generate(project: str, location: str, target: str, request: Request) -> Response:
        call = await begin(request, "vertex")
        if call.response is not None:
            return call.response
        if denied := check_token(call):
            return denied
        model, method = gemini.split_target(target)
        if method != "generateContent" or model not in (*gemini.IMAGE_MODELS, *gemini.TEXT_MODELS):
            return google_error(
                404,
                f"Publisher Model `projects/{project}/locations/{location}/publishers/"
                f"google/models/{model}` was not found or your project does not have access "
                "to it.",
            )
        return gemini.answer(call, call.json, model, vertex=True)

    return router
