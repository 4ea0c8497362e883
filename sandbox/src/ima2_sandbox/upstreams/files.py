"""The media URLs that xAI answers with: `/files/imgs/<id>.jpeg` and `/files/vids/<id>.mp4`.

They are logged and fault-injected as upstream "xai" (download failures are xAI failures).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from ima2_sandbox.control import begin
from ima2_sandbox.errors import xai_error


def build_router() -> APIRouter:
    router = APIRouter(prefix="/files")

    @router.api_route("/{kind}/{name}", methods=["GET", "HEAD"])
    async def serve(kind: str, name: str, request: Request) -> Response:
        call = await begin(request, "xai")
        if call.response is not None:
            return call.response
        stored = call.state.files.get(name) if kind in ("imgs", "vids") else None
        if stored is None:
            return xai_error(404, "The requested file does not exist or has expired.")
        return Response(
            stored.data, media_type=stored.media_type, headers={"Cache-Control": "private, max-age=3600"}
        )

    return router
