"""Server-sent events: `event: <type>` + one-line `data:` JSON + a blank line, as OpenAI frames them."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterable
from typing import Any

from fastapi.responses import StreamingResponse

from ima2_sandbox.control import DroppedConnection

SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


def frame(payload: dict[str, Any] | str, event: str | None = None) -> bytes:
    data = payload if isinstance(payload, str) else json.dumps(payload, separators=(",", ":"))
    head = f"event: {event}\n" if event else ""
    return f"{head}data: {data}\n\n".encode()


def typed_events(events: Iterable[dict[str, Any]]) -> list[bytes]:
    """Frame Responses-API events, numbering them with `sequence_number` in order."""
    framed = []
    for number, event in enumerate(events):
        framed.append(frame({**event, "sequence_number": number}, event["type"]))
    return framed


async def _stream(chunks: list[bytes], delay: float, drop_after: int | None) -> AsyncIterator[bytes]:
    for index, chunk in enumerate(chunks):
        if drop_after is not None and index >= drop_after:
            raise DroppedConnection("sandbox fault: stream dropped")
        if index and delay:
            await asyncio.sleep(delay)
        yield chunk


def sse_response(
    chunks: list[bytes],
    delay: float = 0.0,
    drop_after: int | None = None,
    headers: dict[str, str] | None = None,
) -> StreamingResponse:
    return StreamingResponse(
        _stream(chunks, delay, drop_after),
        media_type="text/event-stream; charset=utf-8",
        headers={**SSE_HEADERS, **(headers or {})},
    )
