"""Reading request bodies: capped streaming reads, and JSON bodies as their `models` types."""

from __future__ import annotations

from typing import Any, TypeVar

from fastapi import Request

from ima2_common.errors import Ima2Error
from ima2_gateway.models.base import ApiModel, parse_body, parse_json_object

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
    """The JSON body as `model` (an empty body is `{}`), refused with `code` past `cap` bytes.
    Without a cap the gateway's body limit (RequestContextMiddleware) applies."""
    raw = await read_body(request, cap, code) if cap is not None else await request.body()
    return parse_body(model, raw)


async def json_object(request: Request, cap: int, code: str = "PAYLOAD_TOO_LARGE") -> dict[str, Any]:
    """The JSON object body as a dict, for routes that map each field to its code themselves."""
    return parse_json_object(await read_body(request, cap, code))
