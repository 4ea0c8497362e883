"""ComfyUI's image upload (`POST /upload/image`) and `GET /view`, under `/comfy`.

As ComfyUI: a multipart form with an `image` file, optional `type` (input | temp | output, default
input), `subfolder` and `overwrite`; an existing name without overwrite becomes `name (1).ext`;
the answer is `{name, subfolder, type}`. A form without an image, or an unknown type, is a bare
400. Faults (refusals, hangs) come from the control API as for every upstream ("comfy").
"""

from __future__ import annotations

import email.policy
from email import message_from_bytes
from pathlib import PurePosixPath
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from ima2_sandbox.control import begin

UPLOAD_TYPES = ("input", "temp", "output")
MAX_NAME_TRIES = 1000


def parse_multipart(content_type: str, raw: bytes) -> dict[str, tuple[str | None, bytes]]:
    """{field: (filename or None, bytes)} of a multipart/form-data body."""
    if "multipart/form-data" not in content_type:
        return {}
    message = message_from_bytes(
        b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + raw, policy=email.policy.HTTP
    )
    fields: dict[str, tuple[str | None, bytes]] = {}
    if not message.is_multipart():
        return fields
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            continue
        payload = part.get_payload(decode=True)
        fields[name] = (part.get_filename(), payload if isinstance(payload, bytes) else b"")
    return fields


def _key(kind: str, subfolder: str, name: str) -> str:
    return f"{kind}/{subfolder}/{name}"


def _free_name(uploads: dict[str, bytes], kind: str, subfolder: str, name: str) -> str:
    if _key(kind, subfolder, name) not in uploads:
        return name
    path = PurePosixPath(name)
    for index in range(1, MAX_NAME_TRIES):
        candidate = f"{path.stem} ({index}){path.suffix}"
        if _key(kind, subfolder, candidate) not in uploads:
            return candidate
    return name


def build_router() -> APIRouter:
    router = APIRouter(prefix="/comfy")

    @router.post("/upload/image")
    async def upload(request: Request) -> Response:
        call = await begin(request, "comfy")
        if call.response is not None:
            return call.response
        fields = parse_multipart(request.headers.get("content-type", ""), await request.body())
        image = fields.get("image")
        kind = (fields.get("type") or (None, b"input"))[1].decode(errors="replace") or "input"
        subfolder = (fields.get("subfolder") or (None, b""))[1].decode(errors="replace")
        overwrite = (fields.get("overwrite") or (None, b""))[1].decode(errors="replace").lower()
        if image is None or not image[0] or kind not in UPLOAD_TYPES or ".." in subfolder:
            return Response(status_code=400)
        name = PurePosixPath(image[0]).name
        if overwrite not in ("true", "1"):
            name = _free_name(call.state.comfy_uploads, kind, subfolder, name)
        call.state.comfy_uploads[_key(kind, subfolder, name)] = image[1]
        body: dict[str, Any] = {"name": name, "subfolder": subfolder, "type": kind}
        return JSONResponse(body)

    @router.get("/view")
    async def view(request: Request, filename: str, type: str = "output", subfolder: str = "") -> Response:
        call = await begin(request, "comfy")
        if call.response is not None:
            return call.response
        data = call.state.comfy_uploads.get(_key(type, subfolder, filename))
        if data is None:
            return Response(status_code=404)
        return Response(data, media_type="application/octet-stream")

    @router.get("/system_stats")
    async def system_stats(request: Request) -> Response:
        call = await begin(request, "comfy")
        if call.response is not None:
            return call.response
        return JSONResponse({"system": {"comfyui_version": "sandbox", "os": "posix"}, "devices": []})

    return router
