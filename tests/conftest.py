"""Cross-service fixtures: one real sandbox stack per test session."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from tests.stackctl import RunningStack, start_stack


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    running = start_stack(
        tmp_path_factory.mktemp("ima2-home"),
        extra_env={
            "IMA2_SSE_PING_SECONDS": "1",
            "IMA2_RESTART_DELAY_SECONDS": "4",
            "IMA2_JOB_LEASE_SECONDS": "3",
            "IMA2_OPENAI_IMAGE_TIMEOUT_SECONDS": "10",
            # video jobs poll fast, call 1 s of unchanged progress stalled, and give up after 8 s
            "IMA2_VIDEO_POLL_INTERVAL_SECONDS": "0.1",
            "IMA2_VIDEO_STALL_SECONDS": "1",
            "IMA2_VIDEO_POLL_BUDGET_SECONDS": "8",
        },
    )
    yield running
    running.stop()


@pytest.fixture
async def client(stack: RunningStack) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=stack.url, timeout=30) as http:
        yield http


@pytest.fixture
async def sandbox(stack: RunningStack) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=stack.sandbox_url, timeout=10) as http:
        await http.delete("/_sandbox/faults")
        yield http
        await http.delete("/_sandbox/faults")


@pytest.fixture
def home(stack: RunningStack) -> Path:
    return stack.home
