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
from ima2_gateway.context import gateway
from ima2_gateway.routes.library_common import json_object, parse_object, read_body
from ima2_proto.v1 import common_pb2, image_pb2, library_pb2

router = APIRouter()
log = logging.getLogger("ima2.gateway.sessions")

VERSION_RE = re.compile(r'^\s*(?:W/)?"?(\d{1,15})"?\s*$')
EXTRACT_PROMPT_MAX = 4000
EXTRACT_TIMEOUT_SECONDS = 180.0
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


def _title(body: dict[str, Any], required: bool) -> str:
    title = body.get("title")
    if title is None and not required:
        return ""
    if not isinstance(title, str) or (required and not title.strip()):
        raise Ima2Error("INVALID_TITLE", "Title required")
    return title


# Sessions


@router.get("/api/sessions", operation_id="listSessions")
async def list_sessions(request: Request) -> dict[str, Any]:
    library = gateway(request).services.library
    reply = await library.unary(library.stub.ListSessions, common_pb2.Empty())
    return {"sessions": [{**_summary(s), "nodeCount": s.node_count} for s in reply.sessions]}


@router.post("/api/sessions", operation_id="createSession", status_code=201)
async def create_session(request: Request) -> JSONResponse:
    body = await json_object(request, 64 * 1024)
    title = _title(body, required=False)
    library = gateway(request).services.library
    reply = await library.unary(library.stub.CreateSession, library_pb2.CreateSessionRequest(title=title))
    log.info("session_create", extra=log_fields(sessionId=reply.id, titleChars=len(reply.title)))
    return JSONResponse({"session": _summary(reply)}, status_code=201)


@router.get("/api/sessions/{session_id}", operation_id="getSession")
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


@router.patch("/api/sessions/{session_id}", operation_id="renameSession")
async def rename_session(session_id: str, request: Request) -> dict[str, Any]:
    title = _title(await json_object(request, 64 * 1024), required=True)
    library = gateway(request).services.library
    await library.unary(
        library.stub.RenameSession, library_pb2.RenameSessionRequest(id=session_id, title=title)
    )
    return {"ok": True}


@router.delete("/api/sessions/{session_id}", operation_id="deleteSession")
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


@router.get("/api/sessions/{session_id}/graph", operation_id="loadGraph")
async def load_graph(session_id: str, request: Request) -> JSONResponse:
    """The graph alone, with its version as the ETag to send back in If-Match when saving."""
    library = gateway(request).services.library
    reply = await library.unary(library.stub.GetSession, library_pb2.GetSessionRequest(id=session_id))
    body = {
        "sessionId": reply.id,
        "nodes": [struct_to_dict(n) for n in reply.nodes],
        "edges": [struct_to_dict(e) for e in reply.edges],
        "graphVersion": reply.graph_version,
    }
    return JSONResponse(body, headers={"ETag": f'"{reply.graph_version}"'})


@router.put("/api/sessions/{session_id}/graph", operation_id="saveGraph")
async def save_graph(session_id: str, request: Request) -> dict[str, Any]:
    body = parse_object(await read_body(request, limits.GRAPH_MAX_BODY_BYTES, "GRAPH_TOO_LARGE"))
    nodes, edges = body.get("nodes"), body.get("edges")
    if not isinstance(nodes, list) or not isinstance(edges, list):
        raise Ima2Error("INVALID_GRAPH", "nodes and edges arrays required")
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


@router.get("/api/sessions/{session_id}/style-sheet", operation_id="getStyleSheet")
async def get_style_sheet(session_id: str, request: Request) -> dict[str, Any]:
    library = gateway(request).services.library
    reply = await library.unary(library.stub.GetStyleSheet, library_pb2.GetSessionRequest(id=session_id))
    return _style_sheet(reply)


@router.put("/api/sessions/{session_id}/style-sheet", operation_id="putStyleSheet")
async def put_style_sheet(session_id: str, request: Request) -> dict[str, Any]:
    raw = await read_body(request, limits.STYLE_SHEET_MAX_CHARS * 4 + 1024, "STYLE_SHEET_TOO_LARGE")
    body = parse_object(raw)
    sheet, enabled = body.get("styleSheet"), body.get("enabled")
    if "styleSheet" not in body or (sheet is not None and not isinstance(sheet, dict)):
        raise Ima2Error("INVALID_SHEET")
    if enabled is not None and not isinstance(enabled, bool):
        raise Ima2Error("INVALID_ENABLED", "enabled must be boolean when provided")
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


@router.patch("/api/sessions/{session_id}/style-sheet/enabled", operation_id="setStyleSheetEnabled")
async def set_style_sheet_enabled(session_id: str, request: Request) -> dict[str, Any]:
    enabled = (await json_object(request, 64 * 1024)).get("enabled")
    if not isinstance(enabled, bool):
        raise Ima2Error("INVALID_ENABLED", "enabled must be boolean")
    library = gateway(request).services.library
    reply = await library.unary(
        library.stub.SetStyleSheetEnabled,
        library_pb2.SetStyleSheetEnabledRequest(session_id=session_id, enabled=enabled),
    )
    return {"ok": True, "enabled": reply.enabled}


def _reference(value: Any) -> list[str]:
    if value in (None, ""):
        return []
    if not isinstance(value, str):
        raise Ima2Error("REF_NOT_STRING")
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


@router.post("/api/sessions/{session_id}/style-sheet/extract", operation_id="extractStyleSheet")
async def extract_style_sheet(session_id: str, request: Request) -> dict[str, Any]:
    """Ask the provider path (svc-image, OpenAI with the `api` key) for a style sheet, then store it."""
    body = await json_object(request, limits.MAX_REF_B64_BYTES + 64 * 1024, "REF_TOO_LARGE")
    prompt = body.get("prompt")
    if not isinstance(prompt, str) or not prompt.strip():
        raise Ima2Error("STYLE_SHEET_BAD_INPUT", "prompt required")
    references = _reference(body.get("referenceDataUrl"))
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
