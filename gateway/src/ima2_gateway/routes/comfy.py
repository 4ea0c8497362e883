"""POST /api/comfy/export-image: upload one generated image to ComfyUI (reference §1.9, §4.7).

Body: exactly `{filename}`. Success `{ok:true, sourceFilename, uploadedFilename, subfolder, type}`;
errors `{ok:false, error:{code,message}}`.
"""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import APIRouter, Request

from ima2_common.errors import Ima2Error
from ima2_gateway.bodies import read_json
from ima2_gateway.comfy import ComfyExporter
from ima2_gateway.context import gateway
from ima2_gateway.models.comfy import ComfyExport, ComfyExportRequest
from ima2_gateway.openapi import contract, json_body

router = APIRouter(tags=["comfy"])
BODY_CAP = 16 * 1024


def exporter(request: Request) -> ComfyExporter:
    """One exporter (and HTTP client) per app, made on first use."""
    app_state = request.app.state
    found = getattr(app_state, "comfy_exporter", None)
    if found is None:
        settings = gateway(request).settings
        found = ComfyExporter(
            settings.generated_path,
            settings.comfy_url,
            httpx.AsyncClient(),
            timeout_seconds=settings.comfy_upload_timeout_seconds,
        )
        app_state.comfy_exporter = found
    return found


@router.post(
    "/api/comfy/export-image",
    operation_id="comfyExportImage",
    summary="Upload a generated image to ComfyUI's input folder",
    **contract(
        ComfyExport,
        errors="nested",
        statuses=(400, 404, 413, 502, 503, 504),
        body=json_body(ComfyExportRequest),
    ),
)
async def export_image(request: Request) -> dict[str, Any]:
    try:
        body = await read_json(request, ComfyExportRequest, BODY_CAP)
        result = await exporter(request).export(body.filename)
    except Ima2Error as err:
        err.extra["ok"] = False
        raise
    return ComfyExport(
        sourceFilename=result.source_filename,
        uploadedFilename=result.uploaded_filename,
        subfolder=result.subfolder,
        type=result.type,
    ).model_dump()
