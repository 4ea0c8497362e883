"""POST /api/comfy/export-image: upload one generated image to ComfyUI (reference §1.9, §4.7).

Body: exactly `{filename}`. Success `{ok:true, sourceFilename, uploadedFilename, subfolder, type}`;
errors `{ok:false, error:{code,message}}`.
"""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict

from ima2_common.errors import Ima2Error
from ima2_gateway.bodies import json_object
from ima2_gateway.comfy import ComfyExporter
from ima2_gateway.context import gateway

router = APIRouter()


class ExportBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    filename: str


class ExportAnswer(BaseModel):
    ok: bool = True
    sourceFilename: str
    uploadedFilename: str
    subfolder: str
    type: str


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


@router.post("/api/comfy/export-image", operation_id="comfyExportImage", response_model=ExportAnswer)
async def export_image(request: Request) -> dict[str, Any]:
    try:
        raw = await json_object(request, 16 * 1024)
        if set(raw) != {"filename"} or not isinstance(raw.get("filename"), str):
            raise Ima2Error("COMFY_IMAGE_INVALID", "Request body must contain exactly one filename.")
        body = ExportBody.model_validate(raw)
        result = await exporter(request).export(body.filename)
    except Ima2Error as err:
        err.extra["ok"] = False
        raise
    return ExportAnswer(
        sourceFilename=result.source_filename,
        uploadedFilename=result.uploaded_filename,
        subfolder=result.subfolder,
        type=result.type,
    ).model_dump()
