"""The spec-era progrok proxy: `GET /progrok/health` plus `/progrok/v1/*` served by the xAI handlers.

Any bearer is accepted (the client sends `Bearer dummy`); when the `progrokLoggedIn` switch is
off every `/v1` call answers the proxy's own 401. xAI faults also apply here (progrok relays
upstream errors unchanged).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from ima2_sandbox.control import begin
from ima2_sandbox.upstreams import xai
from ima2_sandbox.upstreams.xai_common import check_progrok_auth


def build_router() -> APIRouter:
    router = APIRouter()

    @router.get("/progrok/health")
    async def health(request: Request) -> Response:
        call = await begin(request, "progrok")
        if call.response is not None:
            return call.response
        return JSONResponse({"status": "ok", "upstream": "xAI Grok", "proxy": "progrok"})

    router.include_router(xai.build_router("progrok", "/progrok/v1", check_progrok_auth))
    return router
