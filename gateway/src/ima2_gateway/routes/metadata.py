"""POST /api/metadata/read: the generation metadata embedded in an image (XMP, then PNG comments).

Errors use the `{ok:false, error, code}` family. Oversized data URLs are refused from the
Content-Length, or as soon as the streamed body passes the cap, before being buffered whole.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Request

from ima2_common import limits
from ima2_common.errors import Ima2Error
from ima2_common.media import decode_base64
from ima2_common.structs import struct_to_dict
from ima2_gateway.bodies import read_json
from ima2_gateway.context import gateway
from ima2_gateway.models.library import MetadataRequest, MetadataResult
from ima2_gateway.openapi import contract, json_body
from ima2_proto.v1 import library_pb2

router = APIRouter(tags=["library"])
DATA_URL_RE = re.compile(r"^data:([^;,]+);base64,(.+)$", re.S)
FORMATS = ("image/png", "image/jpeg", "image/jpg", "image/webp")
BODY_CAP = limits.METADATA_READ_MAX_B64_BYTES + 4096


@router.post(
    "/api/metadata/read",
    operation_id="readMetadata",
    summary="Read the generation metadata embedded in an image",
    **contract(MetadataResult, errors="keys", statuses=(400, 413), body=json_body(MetadataRequest)),
)
async def read_metadata(request: Request) -> dict[str, Any]:
    value = (await read_json(request, MetadataRequest, BODY_CAP, "IMAGE_METADATA_TOO_LARGE")).dataUrl
    match = DATA_URL_RE.match(value)
    if match is None:
        raise Ima2Error("IMAGE_METADATA_INVALID")
    mime, payload = match.group(1).lower(), match.group(2)
    if len(payload) > limits.METADATA_READ_MAX_B64_BYTES:
        raise Ima2Error("IMAGE_METADATA_TOO_LARGE")
    if mime not in FORMATS:
        raise Ima2Error("IMAGE_METADATA_UNSUPPORTED_FORMAT")
    try:
        data = decode_base64(payload)
    except ValueError:
        raise Ima2Error("IMAGE_METADATA_INVALID", "The data URL is not valid base64.") from None
    library = gateway(request).services.library
    reply = await library.unary(library.stub.ReadMetadata, library_pb2.ReadMetadataRequest(data=data))
    if not reply.HasField("metadata"):
        return {
            "ok": True,
            "metadata": None,
            "source": None,
            "code": "IMAGE_METADATA_NOT_FOUND",
            "warnings": list(reply.warnings),
        }
    return {
        "ok": True,
        "metadata": struct_to_dict(reply.metadata),
        "source": reply.source or None,
        "warnings": list(reply.warnings),
    }
