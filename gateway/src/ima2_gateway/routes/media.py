"""GET /generated/<file>: media straight from the library's folder, read-only.

Names are resolved strictly inside the folder; sidecars (*.json), symlinks and non-regular files
are never served. Files are immutable once written, so they are cached for a year.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, Response
from starlette.concurrency import run_in_threadpool

from ima2_gateway.context import gateway
from ima2_gateway.media_files import resolve_media
from ima2_gateway.openapi import contract

router = APIRouter(tags=["library"])
CACHE_CONTROL = "public, max-age=31536000, immutable"
BINARY = {"schema": {"type": "string", "format": "binary"}}


@router.get(
    "/generated/{name:path}",
    operation_id="media",
    summary="A generated file (images, videos, thumbnails; never the .json sidecars)",
    **contract(
        None,
        errors="nested",
        statuses=(404,),
        extra={
            200: {"description": "The file.", "content": {"application/octet-stream": BINARY}},
            304: {"description": "Not modified (If-None-Match)."},
        },
    ),
)
async def media(name: str, request: Request) -> Response:
    path, info = await run_in_threadpool(resolve_media, gateway(request).settings.generated_path, name)
    response = FileResponse(
        path, stat_result=info, headers={"Cache-Control": CACHE_CONTROL, "X-Content-Type-Options": "nosniff"}
    )
    etag = response.headers["etag"]
    if etag in {tag.strip() for tag in request.headers.get("if-none-match", "").split(",")}:
        return Response(status_code=304, headers={"ETag": etag, "Cache-Control": CACHE_CONTROL})
    return response
