"""History: the library's index (newest first, cursor pages), favourites, trash and restore,
local imports and the thumbnail backfill. Errors use the nested `{error:{code,message}}` family."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from ima2_common import limits
from ima2_common.errors import Ima2Error
from ima2_gateway.bodies import read_body, read_json
from ima2_gateway.context import gateway
from ima2_gateway.models.library import (
    BackfillResult,
    Deleted,
    FavoriteRequest,
    FavoriteState,
    HistoryPage,
    Imported,
    Restored,
    RestoreRequest,
)
from ima2_gateway.openapi import BROWSER_ID, binary_body, contract, header, json_body
from ima2_gateway.routes.library_common import browser_id, decoded_header, item_json
from ima2_proto.v1 import common_pb2, library_pb2

router = APIRouter(tags=["library"])
OPTIONAL_BROWSER_ID = {**BROWSER_ID, "required": False, "description": "Favourites are per browser id."}


def _int_param(value: str | None, name: str) -> int | None:
    if value in (None, ""):
        return None
    try:
        return int(value)
    except ValueError:
        raise Ima2Error("INVALID_REQUEST", f"{name} must be an integer.") from None


def _cursor(reply: library_pb2.ListHistoryResponse) -> dict[str, Any] | None:
    if not reply.HasField("next_cursor"):
        return None
    return {"before": reply.next_cursor.before, "beforeFilename": reply.next_cursor.before_filename}


@router.get(
    "/api/history",
    operation_id="history",
    summary="The library, newest first, in cursor pages (groupBy=session groups by session)",
    **contract(HistoryPage, errors="nested", statuses=(400,), headers=(OPTIONAL_BROWSER_ID,)),
)
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
    q: str = "",
) -> dict[str, Any]:
    page = _int_param(limit, "limit") or limits.HISTORY_DEFAULT_PAGE
    query = library_pb2.ListHistoryRequest(
        limit=max(1, min(page, limits.HISTORY_MAX_PAGE)) if page > 0 else limits.HISTORY_DEFAULT_PAGE,
        before_filename=beforeFilename,
        session_id=sessionId,
        request_id=requestId,
        favorites_only=favoritesOnly.lower() in ("1", "true"),
        browser_id=browser_id(request, required=False),
        group_by="session" if groupBy == "session" else "",
        q=q[: limits.HISTORY_SEARCH_MAX_CHARS],
    )
    before_ms, since_ms = _int_param(before, "before"), _int_param(since, "since")
    if before_ms is not None:
        query.before = before_ms
    if since_ms is not None:
        query.since = since_ms
    library = gateway(request).services.library
    reply = await library.unary(library.stub.ListHistory, query)
    if query.group_by == "session":
        sessions = [
            {
                "sessionId": group.session_id,
                "items": [item_json(i) for i in group.items],
                "lastUsedAt": group.last_used_at,
                "title": group.title or None,
                "label": group.label,
            }
            for group in reply.sessions
        ]
        return {
            "sessions": sessions,
            "loose": [item_json(i) for i in reply.loose],
            "total": reply.total,
            "nextCursor": _cursor(reply),
        }
    return {"items": [item_json(i) for i in reply.items], "total": reply.total, "nextCursor": _cursor(reply)}


@router.post(
    "/api/history/favorite",
    operation_id="historyFavorite",
    summary="Toggle an item's favourite mark (per browser id)",
    **contract(
        FavoriteState,
        errors="nested",
        statuses=(400, 404),
        body=json_body(FavoriteRequest),
        headers=(BROWSER_ID,),
    ),
)
async def toggle_favorite(request: Request) -> dict[str, Any]:
    filename = (await read_json(request, FavoriteRequest, 64 * 1024)).filename
    library = gateway(request).services.library
    reply = await library.unary(
        library.stub.ToggleFavorite,
        library_pb2.ToggleFavoriteRequest(filename=filename, browser_id=browser_id(request)),
    )
    return {"isFavorite": reply.is_favorite}


@router.post(
    "/api/history/import-local",
    operation_id="historyImportLocal",
    summary="Import an image file into the library (raw bytes)",
    **contract(
        Imported,
        errors="nested",
        ok_status=201,
        statuses=(400, 413),
        body=binary_body("image/png", "image/jpeg", "image/webp"),
        headers=(header("X-Ima2-Original-Filename", "The file's name, URI-encoded."),),
    ),
)
async def import_local(request: Request) -> JSONResponse:
    data = await read_body(request, gateway(request).settings.body_limit_bytes, "PAYLOAD_TOO_LARGE")
    library = gateway(request).services.library
    reply = await library.unary(
        library.stub.ImportLocal,
        library_pb2.ImportLocalRequest(
            data=data,
            mime=request.headers.get("content-type", ""),
            original_filename=decoded_header(request, "x-ima2-original-filename"),
        ),
        timeout=120,
    )
    return JSONResponse({"item": {**item_json(reply), "image": reply.url}}, status_code=201)


@router.post(
    "/api/history/backfill-thumbnails",
    operation_id="historyBackfillThumbnails",
    summary="Create missing thumbnails",
    **contract(BackfillResult, errors="nested"),
)
async def backfill_thumbnails(request: Request) -> dict[str, Any]:
    library = gateway(request).services.library
    reply = await library.unary(library.stub.BackfillThumbnails, common_pb2.Empty(), timeout=None)
    return {
        "ok": True,
        "total": reply.total,
        "created": reply.created,
        "skipped": reply.skipped,
        "failed": reply.failed,
    }


async def _delete(request: Request, filename: str, permanent: bool) -> dict[str, Any]:
    library = gateway(request).services.library
    reply = await library.unary(
        library.stub.DeleteHistory, library_pb2.DeleteHistoryRequest(filename=filename, permanent=permanent)
    )
    body: dict[str, Any] = {
        "ok": True,
        "filename": reply.filename,
        "sessionsTouched": reply.sessions_touched,
        "nodesTouched": reply.nodes_touched,
    }
    if not permanent:
        # Our trash is the library's own `.trash` folder, so the delete can be undone in the app.
        body.update(trash=reply.trash, trashId=reply.trash_id, undoableInApp=reply.trash == "internal")
    return body


@router.delete(
    "/api/history/{filename}/permanent",
    operation_id="historyDeletePermanent",
    summary="Delete an item for good",
    **contract(Deleted, errors="nested", statuses=(400, 404)),
)
async def delete_permanent(filename: str, request: Request) -> dict[str, Any]:
    return await _delete(request, filename, permanent=True)


@router.post(
    "/api/history/{filename}/restore",
    operation_id="historyRestore",
    summary="Restore a deleted item from the trash",
    **contract(Restored, errors="nested", statuses=(400, 404, 409), body=json_body(RestoreRequest)),
)
async def restore(filename: str, request: Request) -> dict[str, Any]:
    trash_id = (await read_json(request, RestoreRequest, 64 * 1024)).trashId
    library = gateway(request).services.library
    reply = await library.unary(
        library.stub.RestoreHistory, library_pb2.RestoreHistoryRequest(trash_id=trash_id, filename=filename)
    )
    return {"ok": True, "item": item_json(reply)}


@router.delete(
    "/api/history/{filename:path}",
    operation_id="historyDelete",
    summary="Move an item to the library's trash (undoable)",
    **contract(Deleted, errors="nested", statuses=(400, 404)),
)
async def delete(filename: str, request: Request) -> dict[str, Any]:
    return await _delete(request, filename, permanent=False)
