"""GET /generated/<file>: media straight from the library's folder, read-only.

Names are resolved strictly inside the folder; sidecars (*.json), symlinks and non-regular files
are never served. Files are immutable once written, so they are cached for a year.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, Response
from starlette.concurrency import run_in_threadpool

from ima2_common.errors import Ima2Error
from ima2_gateway.context import gateway

router = APIRouter()
CACHE_CONTROL = "public, max-age=31536000, immutable"


def resolve_media(root: Path, name: str) -> tuple[Path, os.stat_result]:
    if not name or "\x00" in name or "\\" in name or name.startswith("/"):
        raise Ima2Error("INVALID_FILENAME")
    parts = name.split("/")
    if any(part in ("", ".", "..") for part in parts) or any(part.startswith(".") for part in parts):
        raise Ima2Error("INVALID_FILENAME")
    if name.lower().endswith(".json"):
        raise Ima2Error("NOT_FOUND", "Generated metadata is not public.")
    path = root / name
    try:
        info = os.lstat(path)
    except (FileNotFoundError, NotADirectoryError):
        raise Ima2Error("ASSET_NOT_FOUND") from None
    if not stat.S_ISREG(info.st_mode):
        raise Ima2Error("ASSET_NOT_FOUND")
    real = Path(os.path.realpath(path))
    if real.parent != Path(os.path.realpath(path.parent)) or not real.is_relative_to(os.path.realpath(root)):
        raise Ima2Error("ASSET_NOT_FOUND")
    return path, info


@router.get("/generated/{name:path}", operation_id="media")
async def media(name: str, request: Request) -> Response:
    path, info = await run_in_threadpool(resolve_media, gateway(request).settings.generated_path, name)
    response = FileResponse(
        path, stat_result=info, headers={"Cache-Control": CACHE_CONTROL, "X-Content-Type-Options": "nosniff"}
    )
    etag = response.headers["etag"]
    if etag in {tag.strip() for tag in request.headers.get("if-none-match", "").split(",")}:
        return Response(status_code=304, headers={"ETag": etag, "Cache-Control": CACHE_CONTROL})
    return response
