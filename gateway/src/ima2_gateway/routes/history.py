"""GET /api/history (the library's index, newest first, cursor pagination)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from ima2_common import limits
from ima2_common.errors import Ima2Error
from ima2_common.structs import struct_to_dict
from ima2_gateway.context import gateway
from ima2_proto.v1 import library_pb2

router = APIRouter()


def history_item(item: library_pb2.MediaItem) -> dict[str, Any]:
    """One history row: the sidecar metadata plus where to fetch the file and its thumbnail."""
    row: dict[str, Any] = struct_to_dict(item.metadata) if item.HasField("metadata") else {}
    row.update(
        filename=item.filename,
        url=item.url,
        createdAt=item.created_at,
        mediaType=item.media_type,
        mime=item.mime,
        bytes=item.size_bytes,
    )
    if item.thumb:
        row["thumb"] = item.thumb
    if item.is_favorite:
        row["isFavorite"] = True
    return row


def _int_param(value: str | None, name: str) -> int | None:
    if value in (None, ""):
        return None
    try:
        return int(value)
    except ValueError:
        raise Ima2Error("INVALID_REQUEST", f"{name} must be an integer.") from None


@router.get("/api/history", operation_id="history")
async def list_history(
    request: Request,
    limit: str | None = None,
    before: str | None = None,
    beforeFilename: str = "",
    since: str | None = None,
    sessionId: str = "",
    requestId: str = "",
    favoritesOnly: str = "",
    groupBy: str = "",
) -> dict[str, Any]:
    page = _int_param(limit, "limit") or limits.HISTORY_DEFAULT_PAGE
    query = library_pb2.ListHistoryRequest(
        limit=max(1, min(page, limits.HISTORY_MAX_PAGE)),
        before_filename=beforeFilename,
        session_id=sessionId,
        request_id=requestId,
        favorites_only=favoritesOnly.lower() in ("1", "true"),
        browser_id=request.headers.get("x-ima2-browser-id", ""),
        group_by=groupBy,
    )
    before_ms, since_ms = _int_param(before, "before"), _int_param(since, "since")
    if before_ms is not None:
        query.before = before_ms
    if since_ms is not None:
        query.since = since_ms
    reply = await gateway(request).services.library.call("ListHistory", query)
    cursor = (
        {"before": reply.next_cursor.before, "beforeFilename": reply.next_cursor.before_filename}
        if reply.HasField("next_cursor")
        else None
    )
    return {"items": [history_item(i) for i in reply.items], "total": reply.total, "nextCursor": cursor}
