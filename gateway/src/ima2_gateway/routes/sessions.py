"""Sessions, their graphs and style sheets (reference §1.8). Errors: `{error:{code,message}}`;
a graph conflict also carries `currentVersion`."""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from ima2_common import limits
from ima2_common.errors import Ima2Error
from ima2_common.logging import log_fields
from ima2_common.media import decode_base64, sniff_mime, strip_data_url
from ima2_common.structs import dict_to_struct, struct_to_dict
from ima2_gateway.bodies import read_json
from ima2_gateway.context import gateway
from ima2_gateway.models.library import Ok
from ima2_gateway.models.sessions import (
    GraphConflict,
    GraphDocument,
    GraphSave,
    GraphSaved,
    SessionCreated,
    SessionDetail,
    SessionList,
    SessionTitle,
    StyleSheet,
    StyleSheetEnabled,
    StyleSheetEnabledSaved,
    StyleSheetExtract,
    StyleSheetExtracted,
    StyleSheetUpdate,
)
from ima2_gateway.openapi import contract, header, json_body
from ima2_proto.v1 import common_pb2, image_pb2, library_pb2

router = APIRouter(tags=["sessions"])
log = logging.getLogger("ima2.gateway.sessions")

VERSION_RE = re.compile(r'^\s*(?:W/)?"?(\d{1,15})"?\s*$')
EXTRACT_PROMPT_MAX = 4000
EXTRACT_TIMEOUT_SECONDS = 180.0
GRAPH_HEADERS = (
    header(
        "If-Match",
        'The graphVersion this save is based on (5 or "5").',
        required=True,
        pattern=r'^(W/)?"?\d{1,15}"?$',
    ),
    header("X-Ima2-Graph-Save-Id", "Observability: the client's save id."),
    header("X-Ima2-Graph-Save-Reason", "Observability: why the client saved."),
    header("X-Ima2-Tab-Id", "Observability: the saving tab."),
)
SAVE_HEADERS = {
    "saveId": "x-ima2-graph-save-id",
    "saveReason": "x-ima2-graph-save-reason",
    "tabId": "x-ima2-tab-id",
}


def _summary(session: library_pb2.Session) -> dict[str, Any]:
    return {
        "id": session.id,
        "title": session.title,
        "createdAt": session.created_at,
        "updatedAt": session.updated_at,
        "graphVersion": session.graph_version,
    }


def _style_sheet(reply: library_pb2.StyleSheet) -> dict[str, Any]:
    sheet = struct_to_dict(reply.style_sheet) if reply.HasField("style_sheet") else None
    return {"styleSheet": sheet, "enabled": reply.enabled}


def _title(body: SessionTitle, required: bool) -> str:
    title = body.title
    if title is None and not required:
        return ""
    if title is None or (required and not title.strip()):
        raise Ima2Error("INVALID_TITLE", "Title required")
    return title


# Sessions


@router.get(
    "/api/sessions",
    operation_id="listSessions",
    summary="Every session with its node count",
    **contract(SessionList, errors="nested"),
)
async def list_sessions(request: Request) -> dict[str, Any]:
    library = gateway(request).services.library
    reply = await library.unary(library.stub.ListSessions, common_pb2.Empty())
    return {"sessions": [{**_summary(s), "nodeCount": s.node_count} for s in reply.sessions]}


@router.post(
    "/api/sessions",
    operation_id="createSession",
    summary="Create a session",
    **contract(
        SessionCreated,
        errors="nested",
        ok_status=201,
        statuses=(400,),
        body=json_body(SessionTitle, required=False),
    ),
)
async def create_session(request: Request) -> JSONResponse:
    body = await read_json(request, SessionTitle, 64 * 1024)
    title = _title(body, required=False)
    library = gateway(request).services.library
    reply = await library.unary(library.stub.CreateSession, library_pb2.CreateSessionRequest(title=title))
    log.info("session_create", extra=log_fields(sessionId=reply.id, titleChars=len(reply.title)))
    return JSONResponse({"session": _summary(reply)}, status_code=201)


@router.get(
    "/api/sessions/{session_id}",
    operation_id="getSession",
    summary="A session with its graph",
    **contract(SessionDetail, errors="nested", statuses=(404,)),
)
async def get_session(session_id: str, request: Request) -> dict[str, Any]:
    library = gateway(request).services.library
    reply = await library.unary(library.stub.GetSession, library_pb2.GetSessionRequest(id=session_id))
    return {
        "session": {
            **_summary(reply),
            "nodes": [struct_to_dict(n) for n in reply.nodes],
            "edges": [struct_to_dict(e) for e in reply.edges],
        }
    }


@router.patch(
    "/api/sessions/{session_id}",
    operation_id="renameSession",
    summary="Rename a session",
    **contract(Ok, errors="nested", statuses=(400, 404), body=json_body(SessionTitle)),
)
async def rename_session(session_id: str, request: Request) -> dict[str, Any]:
    title = _title(await read_json(request, SessionTitle, 64 * 1024), required=True)
    library = gateway(request).services.library
    await library.unary(
        library.stub.RenameSession, library_pb2.RenameSessionRequest(id=session_id, title=title)
    )
    return {"ok": True}


@router.delete(
    "/api/sessions/{session_id}",
    operation_id="deleteSession",
    summary="Delete a session",
    **contract(Ok, errors="nested", statuses=(404,)),
)
async def delete_session(session_id: str, request: Request) -> dict[str, Any]:
    library = gateway(request).services.library
    await library.unary(library.stub.DeleteSession, library_pb2.GetSessionRequest(id=session_id))
    log.info("session_delete", extra=log_fields(sessionId=session_id))
    return {"ok": True}


# Graphs


def _expected_version(raw: str | None) -> int:
    if not raw:
        raise Ima2Error("GRAPH_VERSION_REQUIRED", "If-Match header required")
    match = VERSION_RE.match(raw)
    if match is None:
        raise Ima2Error("INVALID_GRAPH_VERSION", "If-Match must be a finite integer")
    return int(match.group(1))


@router.get(
    "/api/sessions/{session_id}/graph",
    operation_id="loadGraph",
    summary="The graph alone (ETag: its graphVersion, for If-Match when saving)",
    **contract(GraphDocument, errors="nested", statuses=(404,)),
)
async def load_graph(session_id: str, request: Request) -> JSONResponse:
    library = gateway(request).services.library
    reply = await library.unary(library.stub.GetSession, library_pb2.GetSessionRequest(id=session_id))
    body = {
        "sessionId": reply.id,
        "nodes": [struct_to_dict(n) for n in reply.nodes],
        "edges": [struct_to_dict(e) for e in reply.edges],
        "graphVersion": reply.graph_version,
    }
    return JSONResponse(body, headers={"ETag": f'"{reply.graph_version}"'})


@router.put(
    "/api/sessions/{session_id}/graph",
    operation_id="saveGraph",
    summary="Save the graph (If-Match: the current graphVersion)",
    **contract(
        GraphSaved,
        errors="nested",
        statuses=(400, 404, 409, 413, 428),
        body=json_body(GraphSave),
        headers=GRAPH_HEADERS,
        extra={409: {"model": GraphConflict, "description": "Stale graph version (currentVersion)."}},
    ),
)
async def save_graph(session_id: str, request: Request) -> dict[str, Any]:
    body = await read_json(request, GraphSave, limits.GRAPH_MAX_BODY_BYTES, "GRAPH_TOO_LARGE")
    nodes, edges = body.nodes, body.edges
    raw_version = request.headers.get("if-match")
    if not raw_version:
        raise Ima2Error("GRAPH_VERSION_REQUIRED", "If-Match header required")
    if len(nodes) > limits.GRAPH_MAX_NODES or len(edges) > limits.GRAPH_MAX_EDGES:
        raise Ima2Error(
            "GRAPH_TOO_LARGE",
            f"Graph too large (max {limits.GRAPH_MAX_NODES} nodes / {limits.GRAPH_MAX_EDGES} edges), "
            f"got {len(nodes)}/{len(edges)}",
        )
    expected = _expected_version(raw_version)
    observe = {key: request.headers.get(header) or None for key, header in SAVE_HEADERS.items()}
    save = library_pb2.SaveGraphRequest(
        id=session_id,
        expected_version=expected,
        save_id=observe["saveId"] or "",
        save_reason=observe["saveReason"] or "",
        tab_id=observe["tabId"] or "",
    )
    for node in nodes:
        dict_to_struct(node if isinstance(node, dict) else {}, save.nodes.add())
    for edge in edges:
        dict_to_struct(edge if isinstance(edge, dict) else {}, save.edges.add())
    try:
        library = gateway(request).services.library
        reply = await library.unary(library.stub.SaveGraph, save)
    except Ima2Error as err:
        if err.code == "GRAPH_VERSION_CONFLICT":
            log.info(
                "graph_conflict",
                extra=log_fields(
                    sessionId=session_id,
                    expectedVersion=expected,
                    currentVersion=err.extra.get("currentVersion"),
                    nodes=len(nodes),
                    edges=len(edges),
                    **observe,
                ),
            )
        raise
    log.info(
        "graph_save",
        extra=log_fields(
            sessionId=session_id,
            nodes=reply.nodes,
            edges=reply.edges,
            graphVersion=reply.graph_version,
            **observe,
        ),
    )
    return {"ok": True, "nodes": reply.nodes, "edges": reply.edges, "graphVersion": reply.graph_version}


# Style sheets


@router.get(
    "/api/sessions/{session_id}/style-sheet",
    operation_id="getStyleSheet",
    summary="A session's style sheet",
    **contract(StyleSheet, errors="nested", statuses=(404,)),
)
async def get_style_sheet(session_id: str, request: Request) -> dict[str, Any]:
    library = gateway(request).services.library
    reply = await library.unary(library.stub.GetStyleSheet, library_pb2.GetSessionRequest(id=session_id))
    return _style_sheet(reply)


@router.put(
    "/api/sessions/{session_id}/style-sheet",
    operation_id="putStyleSheet",
    summary="Save or clear a session's style sheet",
    **contract(Ok, errors="nested", statuses=(400, 404, 413), body=json_body(StyleSheetUpdate)),
)
async def put_style_sheet(session_id: str, request: Request) -> dict[str, Any]:
    cap = limits.STYLE_SHEET_MAX_CHARS * 4 + 1024
    body = await read_json(request, StyleSheetUpdate, cap, "STYLE_SHEET_TOO_LARGE")
    sheet, enabled = body.styleSheet, body.enabled
    if sheet is not None and len(json.dumps(sheet, ensure_ascii=False)) > limits.STYLE_SHEET_MAX_CHARS:
        raise Ima2Error("STYLE_SHEET_TOO_LARGE")
    put = library_pb2.PutStyleSheetRequest(session_id=session_id)
    if sheet is not None:
        dict_to_struct(sheet, put.style_sheet)
    if enabled is not None:
        put.enabled = enabled
    library = gateway(request).services.library
    await library.unary(library.stub.PutStyleSheet, put)
    log.info(
        "stylesheet_save", extra=log_fields(sessionId=session_id, hasSheet=sheet is not None, enabled=enabled)
    )
    return {"ok": True}


@router.patch(
    "/api/sessions/{session_id}/style-sheet/enabled",
    operation_id="setStyleSheetEnabled",
    summary="Turn a session's style sheet on or off",
    **contract(
        StyleSheetEnabledSaved, errors="nested", statuses=(400, 404), body=json_body(StyleSheetEnabled)
    ),
)
async def set_style_sheet_enabled(session_id: str, request: Request) -> dict[str, Any]:
    enabled = (await read_json(request, StyleSheetEnabled, 64 * 1024)).enabled
    library = gateway(request).services.library
    reply = await library.unary(
        library.stub.SetStyleSheetEnabled,
        library_pb2.SetStyleSheetEnabledRequest(session_id=session_id, enabled=enabled),
    )
    return {"ok": True, "enabled": reply.enabled}


def _reference(value: str | None) -> list[str]:
    if not value:
        return []
    _mime, payload = strip_data_url(value.strip())
    if len(payload) > limits.MAX_REF_B64_BYTES:
        raise Ima2Error("REF_TOO_LARGE")
    try:
        data = decode_base64(payload)
    except ValueError:
        raise Ima2Error("REF_NOT_BASE64") from None
    if not data or sniff_mime(data) not in ("image/png", "image/jpeg", "image/webp"):
        raise Ima2Error("REF_NOT_BASE64", "referenceDataUrl must be a PNG, JPEG or WebP data URL.")
    return [value.strip()]


@router.post(
    "/api/sessions/{session_id}/style-sheet/extract",
    operation_id="extractStyleSheet",
    summary="Extract a style sheet from a prompt (and a reference image) and save it",
    **contract(
        StyleSheetExtracted,
        errors="nested",
        statuses=(400, 401, 404, 502, 504),
        body=json_body(StyleSheetExtract),
    ),
)
async def extract_style_sheet(session_id: str, request: Request) -> dict[str, Any]:
    """Ask the provider path (svc-image, OpenAI with the `api` key) for a style sheet, then store it."""
    body = await read_json(request, StyleSheetExtract, limits.MAX_REF_B64_BYTES + 64 * 1024, "REF_TOO_LARGE")
    prompt = body.prompt
    references = _reference(body.referenceDataUrl)
    services = gateway(request).services
    library = services.library
    await library.unary(library.stub.GetStyleSheet, library_pb2.GetSessionRequest(id=session_id))
    log.info(
        "stylesheet_extract_start",
        extra=log_fields(sessionId=session_id, promptChars=len(prompt), hasReference=bool(references)),
    )
    image = services.image
    reply = await image.unary(
        image.stub.ExtractStyleSheet,
        image_pb2.ExtractStyleSheetRequest(
            session_id=session_id,
            prompt=prompt[:EXTRACT_PROMPT_MAX],
            references=references,
            provider="api",
            request_id=request.state.request_id,
        ),
        timeout=EXTRACT_TIMEOUT_SECONDS,
    )
    sheet = json.loads(reply.style_sheet_json)
    put = library_pb2.PutStyleSheetRequest(session_id=session_id)
    dict_to_struct(sheet, put.style_sheet)
    await library.unary(library.stub.PutStyleSheet, put)
    log.info(
        "stylesheet_extract_done",
        extra=log_fields(sessionId=session_id, sheetChars=len(reply.style_sheet_json)),
    )
    return {"styleSheet": sheet}
