"""Helpers shared by the library's route modules: capped body reads, typed JSON bodies, the browser id,
and the JSON shape of a library item."""

from __future__ import annotations

from typing import Any, TypeVar
from urllib.parse import unquote

from fastapi import Request

from ima2_common import limits
from ima2_common.errors import Ima2Error
from ima2_common.structs import struct_to_dict
from ima2_gateway.models.base import ApiModel, parse_body
from ima2_proto.v1 import library_pb2

BROWSER_ID_HEADER = "x-ima2-browser-id"
M = TypeVar("M", bound=ApiModel)


async def read_body(request: Request, cap: int, code: str) -> bytes:
    """The body, refused with `code` as soon as it is known to exceed `cap` (before it is buffered whole)."""
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > cap:
        raise Ima2Error(code)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > cap:
            raise Ima2Error(code)
        chunks.append(chunk)
    return b"".join(chunks)


async def read_json(
    request: Request, model: type[M], cap: int | None = None, code: str = "PAYLOAD_TOO_LARGE"
) -> M:
    """The JSON body as `model`, refused with `code` past `cap` bytes (an empty body is `{}`)."""
    raw = await read_body(request, cap, code) if cap is not None else await request.body()
    return parse_body(model, raw)


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
