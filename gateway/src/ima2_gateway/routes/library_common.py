"""Helpers shared by the library's route modules: the browser id, URI-encoded headers and the JSON shape
of a library item."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

from fastapi import Request

from ima2_common import limits
from ima2_common.errors import Ima2Error
from ima2_common.structs import struct_to_dict
from ima2_proto.v1 import library_pb2

BROWSER_ID_HEADER = "x-ima2-browser-id"


def browser_id(request: Request, required: bool = True) -> str:
    value = request.headers.get(BROWSER_ID_HEADER, "").strip()
    if required and (not value or len(value) > limits.BROWSER_ID_MAX_CHARS):
        raise Ima2Error("BROWSER_ID_REQUIRED")
    return value[: limits.BROWSER_ID_MAX_CHARS]


def decoded_header(request: Request, name: str) -> str:
    """A header the reference's clients send URI-encoded (file names, prompts)."""
    value = request.headers.get(name, "")
    try:
        return unquote(value, errors="strict")
    except UnicodeDecodeError:
        return value


def item_json(item: library_pb2.MediaItem) -> dict[str, Any]:
    """One library item: the sidecar metadata plus where to fetch the file and its thumbnail."""
    row: dict[str, Any] = struct_to_dict(item.metadata) if item.HasField("metadata") else {}
    row.update(
        filename=item.filename,
        url=item.url,
        createdAt=item.created_at,
        mediaType=item.media_type,
        mime=item.mime,
        bytes=item.size_bytes,
        isFavorite=item.is_favorite,
    )
    if item.thumb:
        row["thumb"] = item.thumb
    return row
