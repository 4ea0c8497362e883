"""A small SSE reader for tests: frames as (id, event, data) plus comment lines."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx


@dataclass
class Frame:
    id: int | None
    event: str
    data: Any
    comment: str = ""


async def frames(response: httpx.Response) -> AsyncIterator[Frame]:
    buffer = ""
    async for chunk in response.aiter_text():
        # Only the new text (and one character before it) can complete a frame: linear in the size
        # of a frame, which matters for frames of many megabytes.
        start = max(0, len(buffer) - 1)
        buffer += chunk
        while (end := buffer.find("\n\n", start)) != -1:
            raw, buffer, start = buffer[:end], buffer[end + 2 :], 0
            frame_id, event, data, comment = None, "message", [], ""
            for line in raw.split("\n"):
                if line.startswith("retry:"):
                    comment = "retry"
                elif line.startswith(":"):
                    comment = line[1:].strip()
                elif line.startswith("id:"):
                    frame_id = int(line[3:].strip())
                elif line.startswith("event:"):
                    event = line[6:].strip()
                elif line.startswith("data:"):
                    data.append(line[5:].lstrip())
            if comment and not data:
                yield Frame(None, "", None, comment)
            elif data:
                yield Frame(frame_id, event, json.loads("\n".join(data)))


async def collect(response: httpx.Response, until: Any, timeout: float = 20.0) -> list[Frame]:
    """Read frames until `until(frame)` is true (inclusive) or the timeout passes."""
    out: list[Frame] = []

    async def read() -> None:
        async for frame in frames(response):
            out.append(frame)
            if until(frame):
                return

    await asyncio.wait_for(read(), timeout)
    return out


class LiveEvents:
    """`GET /api/events`, connected: once entered, every event published afterwards is received.

    The server reads its stream position before it sends `retry:`, so waiting for that frame is
    the real signal that the listener is live.
    """

    def __init__(self, client: httpx.AsyncClient, **kwargs: Any) -> None:
        self._cm = client.stream("GET", "/api/events", timeout=None, **kwargs)
        self.response: httpx.Response | None = None
        self.frames: AsyncIterator[Frame] | None = None

    async def __aenter__(self) -> LiveEvents:
        self.response = await self._cm.__aenter__()
        self.frames = frames(self.response)
        if self.response.status_code == 200:
            async for frame in self.frames:
                if frame.comment == "retry":
                    break
        return self

    async def collect(self, until: Any, timeout: float = 20.0) -> list[Frame]:
        assert self.frames is not None
        out: list[Frame] = []

        async def read() -> None:
            assert self.frames is not None
            async for frame in self.frames:
                out.append(frame)
                if until(frame):
                    return

        await asyncio.wait_for(read(), timeout)
        return out

    async def __aexit__(self, *exc: object) -> None:
        await self._cm.__aexit__(*exc)
