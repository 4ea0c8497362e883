"""GET /api/events: the persistent SSE channel for every async job."""

from __future__ import annotations

from collections.abc import AsyncIterator

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse
from starlette.background import BackgroundTask

from ima2_gateway.context import gateway
from ima2_gateway.openapi import contract, header
from ima2_gateway.sse import SSE_HEADERS, SSE_MEDIA_TYPE

router = APIRouter(tags=["jobs"])


def parse_cursor(header: str | None, query: str | None) -> int | None:
    """Last-Event-ID (first comma-separated value) wins over ?lastEventId; negatives clamp to 0."""
    for raw in (header, query):
        if raw is None or not raw.strip():
            continue
        first = raw.split(",", 1)[0].strip()
        try:
            return max(0, int(first))
        except ValueError:
            continue
    return None


@router.get(
    "/api/events",
    operation_id="events",
    summary="The persistent SSE channel of every job (replay from Last-Event-ID or ?lastEventId)",
    **contract(
        None,
        errors="nested",
        statuses=(503,),
        sse=True,
        headers=(header("Last-Event-ID", "Replay events after this id (wins over ?lastEventId)."),),
    ),
)
async def events_stream(request: Request, lastEventId: str | None = None) -> StreamingResponse:
    mux = gateway(request).events
    cursor = parse_cursor(request.headers.get("last-event-id"), lastEventId)
    listener = mux.admit()
    try:
        bounds = await mux.bounds()
    except BaseException:
        mux.release(listener)
        raise

    async def body() -> AsyncIterator[bytes]:
        try:
            yield b"retry: 3000\n\n"
            async for chunk in mux.stream(listener, cursor, bounds):
                yield chunk
        finally:
            mux.release(listener)

    # release also runs as a background task: a generator that never started has no finally.
    return StreamingResponse(
        body(),
        media_type=SSE_MEDIA_TYPE,
        headers=SSE_HEADERS,
        background=BackgroundTask(mux.release, listener),
    )
