"""Provider tests: the sandbox app under uvicorn on a free port (one per session), providers built
directly with settings pointing at it, and a small in-test credential source instead of svc-auth."""

from __future__ import annotations

import threading
import time
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
import uvicorn
from image_testkit import Creds, SandboxControl

from ima2_common.net import free_port
from ima2_common.settings import Settings
from ima2_sandbox import SandboxState, create_app

START_TIMEOUT = 20.0


@pytest.fixture(scope="session")
def sandbox_url() -> Iterator[str]:
    port = free_port()
    config = uvicorn.Config(
        create_app(SandboxState()),
        host="127.0.0.1",
        port=port,
        log_config=None,
        log_level="warning",
        access_log=False,
        lifespan="off",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="sandbox", daemon=True)
    thread.start()
    deadline = time.monotonic() + START_TIMEOUT
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the sandbox did not start")
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
async def sandbox(sandbox_url: str) -> AsyncIterator[SandboxControl]:
    """The control API, reset (settings, faults, request log, files, tokens) before each test."""
    async with httpx.AsyncClient(base_url=sandbox_url, timeout=10) as client:
        control = SandboxControl(client, sandbox_url)
        await control.reset()
        yield control
        await client.delete("/_sandbox/faults")


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as client:
        yield client


@pytest.fixture
def settings(sandbox_url: str) -> Settings:
    base = sandbox_url
    return Settings(
        openai_base_url=f"{base}/openai/v1",
        oauth_proxy_url=f"{base}/oauth/v1",
        codex_base_url=f"{base}/codex/backend-api/codex",
        xai_base_url=f"{base}/xai/v1",
        grok_proxy_url=f"{base}/progrok/v1",
        gemini_base_url=f"{base}/gemini/v1beta",
        vertex_base_url=f"{base}/vertex/v1",
        openai_image_timeout_seconds=20.0,
        grok_search_timeout_ms=20_000,
        grok_planner_timeout_ms=20_000,
        grok_image_timeout_ms=20_000,
        gemini_timeout_seconds=20.0,
        agy_bin="",
    )


@pytest.fixture
def creds() -> Creds:
    return Creds()
