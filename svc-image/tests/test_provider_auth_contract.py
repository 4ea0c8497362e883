"""The providers with a real svc-auth behind them (a child process): the credential contract of
auth.proto, from the OAuth credential files and the environment to what reaches the upstream."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from image_testkit import SandboxControl, make_call

from ima2_common.errors import Ima2Error
from ima2_common.grpc_client import ServiceClient
from ima2_common.net import free_port
from ima2_common.settings import Settings
from ima2_image.providers.registry import ProviderRegistry
from ima2_proto.v1 import auth_pb2_grpc

READY_TIMEOUT = 30.0
FAR_FUTURE = 4_102_444_800  # 2100-01-01, seconds


@dataclass
class AuthService:
    address: str
    codex_file: Path
    progrok_file: Path


def _jwt(claims: dict[str, Any]) -> str:
    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'RS256', 'typ': 'JWT'})}.{part(claims)}.c2lnbmF0dXJl"


def _service_account(sandbox_url: str) -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    return json.dumps(
        {
            "type": "service_account",
            "project_id": "auth-contract",
            "private_key_id": "k2",
            "private_key": pem,
            "client_email": "svc@auth-contract.iam.gserviceaccount.com",
            "token_uri": f"{sandbox_url}/google-oauth/token",
        }
    )


@pytest.fixture(scope="module")
def auth_service(tmp_path_factory: pytest.TempPathFactory, sandbox_url: str) -> Iterator[AuthService]:
    home = tmp_path_factory.mktemp("auth-home")
    address = f"127.0.0.1:{free_port()}"
    service = AuthService(address, home / "codex-auth.json", home / "progrok-auth.json")
    env = {k: v for k, v in os.environ.items() if not k.startswith("IMA2_")}
    for key in ("OPENAI_API_KEY", "XAI_API_KEY", "GEMINI_API_KEY"):
        env.pop(key, None)
    env.update(
        {
            "IMA2_HOME": str(home),
            "IMA2_AUTH_ADDR": address,
            "IMA2_CODEX_AUTH_FILE": str(service.codex_file),
            "IMA2_PROGROK_AUTH_FILE": str(service.progrok_file),
            "IMA2_OPENAI_AUTH_URL": f"{sandbox_url}/openai-auth",
            "IMA2_XAI_AUTH_URL": f"{sandbox_url}/xai-auth",
            "VERTEX_SERVICE_ACCOUNT_JSON": _service_account(sandbox_url),
        }
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "ima2_auth"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        asyncio.run(_wait_healthy(address, proc))
        yield service
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


async def _wait_healthy(address: str, proc: subprocess.Popen[bytes]) -> None:
    client = ServiceClient("auth", address, auth_pb2_grpc.AuthServiceStub)
    try:
        deadline = time.monotonic() + READY_TIMEOUT
        while not await client.healthy(0.5):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("svc-auth did not start")
            await asyncio.sleep(0.1)
    finally:
        await client.close()


@pytest.fixture
async def registry(
    auth_service: AuthService, settings: Settings, http: httpx.AsyncClient
) -> AsyncIterator[ProviderRegistry]:
    client = ServiceClient("auth", auth_service.address, auth_pb2_grpc.AuthServiceStub)
    try:
        yield ProviderRegistry(settings, http, client)
    finally:
        await client.close()


async def test_codex_session_from_the_codex_auth_file(
    auth_service: AuthService, registry: ProviderRegistry, sandbox: SandboxControl
) -> None:
    access = _jwt({"exp": FAR_FUTURE, "https://api.openai.com/auth": {"chatgpt_account_id": "acct-file"}})
    auth_service.codex_file.write_text(
        json.dumps(
            {
                "auth_mode": "chatgpt",
                "OPENAI_API_KEY": None,
                "tokens": {
                    "id_token": "",
                    "access_token": access,
                    "refresh_token": "r-1",
                    "account_id": "acct-file",
                },
                "last_refresh": "2026-01-01T00:00:00Z",
            }
        )
    )
    try:
        provider = registry.create("oauth")
        await provider.check_ready()
        result = await provider.generate(make_call(model="gpt-5.4"))
    finally:
        auth_service.codex_file.unlink()
    assert len(result.images) == 1
    sent = await sandbox.requests("codex", "/responses")
    assert len(sent) == 1 and sent[0]["headers"]["chatgpt-account-id"] == "acct-file"
    assert sent[0]["headers"]["authorization"] == f"Bearer {access[:6]}…"
    assert not await sandbox.requests("oauth")


async def test_no_codex_session_uses_the_proxy(
    auth_service: AuthService, registry: ProviderRegistry, sandbox: SandboxControl
) -> None:
    provider = registry.create("oauth")
    await provider.check_ready()
    await provider.generate(make_call(model="gpt-5.4"))
    assert len(await sandbox.requests("oauth", "/responses")) == 1 and not await sandbox.requests("codex")


async def test_grok_session_from_the_progrok_auth_file(
    auth_service: AuthService, registry: ProviderRegistry, sandbox: SandboxControl
) -> None:
    auth_service.progrok_file.write_text(
        json.dumps(
            {"accessToken": "sandbox-filetok-grok", "refreshToken": "r-2", "expiresAt": FAR_FUTURE * 1000}
        )
    )
    try:
        provider = registry.create("grok")
        await provider.check_ready()
        result = await provider.generate(make_call())
    finally:
        auth_service.progrok_file.unlink()
    assert len(result.images) == 1
    # a stored Grok login goes to xAI directly with its bearer; the progrok proxy is not needed
    sent = [e for e in await sandbox.requests("xai") if e["method"] == "POST"]
    assert sent and {e["headers"]["authorization"] for e in sent} == {"Bearer sandbo…"}
    assert not await sandbox.requests("progrok")


async def test_vertex_from_the_environment_and_missing_keys(
    registry: ProviderRegistry, sandbox: SandboxControl
) -> None:
    provider = registry.create("gemini-api")
    await provider.check_ready()
    result = await provider.generate(make_call(size="1536x1024"))
    assert len(result.images) == 1
    sent = await sandbox.requests("vertex")
    assert len(sent) == 1 and "/projects/auth-contract/locations/global/" in sent[0]["path"]
    assert sent[0]["json"]["generationConfig"]["imageConfig"] == {"aspectRatio": "3:2", "imageSize": "2K"}
    for name, code in (("grok-api", "GROK_API_KEY_MISSING"), ("api", "API_KEY_REQUIRED")):
        with pytest.raises(Ima2Error) as caught:
            await registry.create(name).check_ready()
        assert caught.value.code == code
