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
        buffer += chunk
        while "\n\n" in buffer:
            raw, buffer = buffer.split("\n\n", 1)
            frame_id, event, data, comment = None, "message", [], ""
            for line in raw.split("\n"):
                if line.startswith(":"):
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
