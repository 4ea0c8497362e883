"""Fixtures for the sandbox emulator tests: an in-process app and an httpx client bound to it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from ima2_sandbox import SandboxState, create_app

BASE = "http://sandbox.test"


@pytest.fixture
def state() -> SandboxState:
    return SandboxState()


@pytest.fixture
async def client(state: SandboxState) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_app(state))
    async with httpx.AsyncClient(transport=transport, base_url=BASE, timeout=10) as http:
        yield http


def sse_events(text: str) -> list[tuple[str, dict[str, Any]]]:
    """Parse `event:`/`data:` blocks; asserts every block has both and that the types agree."""
    import json

    events = []
    for block in text.split("\n\n"):
        if not block.strip():
            continue
        lines = block.split("\n")
        assert lines[0].startswith("event: "), block[:80]
        assert lines[1].startswith("data: "), block[:80]
        assert len(lines) == 2, "one data line per event"
        name, payload = lines[0][7:], json.loads(lines[1][6:])
        assert payload["type"] == name
        events.append((name, payload))
    return events


@pytest.fixture
def parse_sse() -> Any:
    return sse_events
