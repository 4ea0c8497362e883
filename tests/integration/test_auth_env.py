"""Keys from the environment, settings restored at startup, and switch sessions that are reaped.

A dedicated stack: OPENAI_API_KEY and VERTEX_SERVICE_ACCOUNT_JSON come from the environment, and
config.json is written before start (a saved xAI key, a shadowed OpenAI key, geminiAuthMode vertex).
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest

from ima2_common.files import write_json_atomic
from tests.stackctl import RunningStack, pid_alive, start_stack

ENV_OPENAI = f"sk-Env{uuid.uuid4().hex}"
SAVED_XAI = f"xai-Saved{uuid.uuid4().hex}"
SHADOWED_OPENAI = f"sk-Shadow{uuid.uuid4().hex}"
ENV_VERTEX = json.dumps({"type": "service_account", "project_id": "env-project", "private_key": "env-pk"})


@pytest.fixture(scope="module")
def env_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    home = tmp_path_factory.mktemp("ima2-env")
    write_json_atomic(
        home / "config.json",
        {"geminiAuthMode": "vertex", "xaiApiKey": SAVED_XAI, "apiKey": SHADOWED_OPENAI},
        mode=0o600,
    )
    stack = start_stack(
        home,
        extra_env={
            "OPENAI_API_KEY": ENV_OPENAI,
            "VERTEX_SERVICE_ACCOUNT_JSON": ENV_VERTEX,
            "IMA2_AUTH_SWITCH_ABANDON_SECONDS": "2",
            "IMA2_RESTART_DELAY_SECONDS": "1",
        },
    )
    yield stack
    stack.stop()


@pytest.fixture
async def http(env_stack: RunningStack) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=env_stack.url, timeout=30) as client:
        yield client


def assert_keys_error(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.json() == {"ok": False, "error": response.json()["error"], "code": code}


async def test_environment_keys_win_and_cannot_be_changed(
    http: httpx.AsyncClient, env_stack: RunningStack
) -> None:
    sandbox = env_stack.sandbox_url
    status = (await http.get("/api/keys/status")).json()
    assert status["openai"] == {
        "configured": True,
        "source": "env",
        "valid": True,
        "maskedKey": f"{ENV_OPENAI[:4]}..{ENV_OPENAI[-2:]}",
    }
    assert (
        status["xai"]["source"] == "config"
        and status["xai"]["maskedKey"] == f"{SAVED_XAI[:4]}..{SAVED_XAI[-2:]}"
    )
    assert status["vertex"] == {
        "configured": True,
        "source": "env",
        "valid": True,
        "maskedKey": "project: env-project",
    }
    before = (env_stack.home / "config.json").read_bytes()
    sandbox_http = httpx.AsyncClient(base_url=sandbox, timeout=10)
    await sandbox_http.delete("/_sandbox/requests")
    assert_keys_error(await http.delete("/api/keys/openai"), 400, "ENV_KEY_IMMUTABLE")
    assert_keys_error(
        await http.put("/api/keys/openai", json={"apiKey": "sk-another-0123456"}), 400, "ENV_KEY_IMMUTABLE"
    )
    assert_keys_error(await http.delete("/api/keys/vertex"), 400, "ENV_KEY_IMMUTABLE")
    account = json.dumps({"type": "service_account", "project_id": "other"})
    assert_keys_error(
        await http.put("/api/keys/vertex", json={"serviceAccountJson": account}), 400, "ENV_KEY_IMMUTABLE"
    )
    assert (await sandbox_http.get("/_sandbox/requests")).json()[
        "requests"
    ] == []  # refused before any upstream check
    assert (env_stack.home / "config.json").read_bytes() == before

    response = await http.post(
        "/api/generate", json={"prompt": "a kite", "provider": "api", "quality": "low"}
    )
    assert response.status_code == 200, response.text
    seen = (await sandbox_http.get("/_sandbox/requests", params={"upstream": "openai"})).json()["requests"]
    assert seen[-1]["headers"]["authorization"].startswith(f"Bearer {ENV_OPENAI[:6]}")
    billing = (await http.get("/api/billing")).json()
    assert billing == {"oauth": True, "apiKeySource": "env", "apiKeyValid": True}
    assert (await http.get("/api/providers")).json()["apiKeySource"] == "env"
    await sandbox_http.aclose()


async def test_gemini_auth_mode_is_restored_at_startup(
    http: httpx.AsyncClient, env_stack: RunningStack
) -> None:
    assert (await http.get("/api/keys/status")).json()["geminiAuthMode"] == "vertex"
    assert (await http.put("/api/keys/gemini-auth-mode", json={"mode": "apikey"})).status_code == 200
    old_pid = env_stack.info["stack"]["pids"]["svc-auth"]
    os.kill(old_pid, signal.SIGKILL)
    deadline = time.monotonic() + 30
    status: dict[str, Any] = {}
    while time.monotonic() < deadline:
        response = await http.get("/api/keys/status")
        if response.status_code == 200 and not pid_alive(old_pid):
            status = response.json()
            break
        await asyncio.sleep(0.1)
    assert status.get("geminiAuthMode") == "apikey"
    assert status["xai"]["source"] == "config"


async def test_expired_and_abandoned_switches_are_reaped(
    http: httpx.AsyncClient, env_stack: RunningStack
) -> None:
    sandbox = httpx.AsyncClient(base_url=env_stack.sandbox_url, timeout=10)
    await sandbox.put("/_sandbox/settings", json={"deviceInterval": 1, "deviceExpiresIn": 2})
    try:
        expiring = (await http.post("/api/auth/switch", json={"provider": "grok"})).json()
        assert expiring["expiresIn"] == 2
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            status = (await http.get(f"/api/auth/switch/{expiring['sessionId']}")).json()
            if status["status"] != "pending":
                break
            await asyncio.sleep(0.1)
        assert status["status"] == "expired"
    finally:
        await sandbox.put("/_sandbox/settings", json={"deviceExpiresIn": 900})
        await sandbox.aclose()
    abandoned = (await http.post("/api/auth/switch", json={"provider": "codex"})).json()
    await asyncio.sleep(3)  # nobody asks about it for longer than IMA2_AUTH_SWITCH_ABANDON_SECONDS=2
    status = (await http.get(f"/api/auth/switch/{abandoned['sessionId']}")).json()
    assert status["status"] == "expired" and status["error"] == "abandoned"
