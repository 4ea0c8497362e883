"""The media URLs that xAI answers with: `/files/imgs/<id>.jpeg` and `/files/vids/<id>.mp4`.

They are logged and fault-injected as upstream "xai" (download failures are xAI failures).
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from fastapi import APIRouter, Request
from fastapi.responses import Response, StreamingResponse

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
        if stored.declared_size > len(stored.data):
            return StreamingResponse(
                _padded(stored.data, stored.declared_size),
                media_type=stored.media_type,
                headers={"Content-Length": str(stored.declared_size)},
            )
        return Response(
            stored.data, media_type=stored.media_type, headers={"Cache-Control": "private, max-age=3600"}
        )

    return router


async def _padded(head: bytes, total: int) -> AsyncIterator[bytes]:
    """`head`, then zeros up to `total` bytes, produced lazily (a client that checks the declared
    length stops reading long before the end)."""
    yield head
    left = total - len(head)
    chunk = b"\0" * (1024 * 1024)
    while left > 0:
        yield chunk[: min(left, len(chunk))]
        left -= len(chunk)
