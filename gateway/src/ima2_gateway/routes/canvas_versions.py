"""Canvas versions: a raw PNG body saved as `canvas-<source>-<stamp>-<hex>.png`, or written over one."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from ima2_gateway.bodies import read_body
from ima2_gateway.context import gateway
from ima2_gateway.models.library import CanvasVersion
from ima2_gateway.openapi import binary_body, contract, header
from ima2_gateway.routes.library_common import decoded_header, item_json
from ima2_proto.v1 import library_pb2

router = APIRouter(tags=["library"])
IMAGE_BODY = binary_body("image/png")
CANVAS_HEADERS = (
    header("X-Ima2-Canvas-Source-Filename", "The library item the canvas was edited from, URI-encoded."),
    header("X-Ima2-Canvas-Prompt", "The prompt to record, URI-encoded."),
)


async def _save(request: Request, filename: str, source: str | None) -> library_pb2.MediaItem:
    data = await read_body(request, gateway(request).settings.body_limit_bytes, "PAYLOAD_TOO_LARGE")
    source_filename = (
        source if source is not None else decoded_header(request, "x-ima2-canvas-source-filename")
    )
    library = gateway(request).services.library
    return await library.unary(
        library.stub.SaveCanvasVersion,
        library_pb2.SaveCanvasVersionRequest(
            data=data,
            mime=request.headers.get("content-type", ""),
            source_filename=source_filename,
            filename=filename,
            prompt=decoded_header(request, "x-ima2-canvas-prompt"),
        ),
        timeout=120,
    )


def _item(reply: library_pb2.MediaItem) -> dict[str, Any]:
    return {**item_json(reply), "image": reply.url, "canvasEditableFilename": reply.filename}


@router.post(
    "/api/canvas-versions",
    operation_id="createCanvasVersion",
    summary="Save an edited canvas as a new library item (raw PNG)",
    **contract(
        CanvasVersion,
        errors="nested",
        ok_status=201,
        statuses=(400, 413),
        body=IMAGE_BODY,
        headers=CANVAS_HEADERS,
    ),
)
async def create_canvas_version(request: Request, sourceFilename: str | None = None) -> JSONResponse:
    reply = await _save(request, "", sourceFilename)
    return JSONResponse({"item": _item(reply)}, status_code=201)


@router.put(
    "/api/canvas-versions/{filename}",
    operation_id="updateCanvasVersion",
    summary="Overwrite a canvas version (raw PNG)",
    **contract(
        CanvasVersion, errors="nested", statuses=(400, 404, 413), body=IMAGE_BODY, headers=CANVAS_HEADERS
    ),
)
async def update_canvas_version(
    filename: str, request: Request, sourceFilename: str | None = None
) -> dict[str, Any]:
    reply = await _save(request, filename, sourceFilename)
    return {"item": _item(reply)}
