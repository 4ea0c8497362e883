"""ProviderStatusProbe (GetProviderStatus) against the sandbox."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import httpx
from image_testkit import Creds, SandboxControl

from ima2_common.net import free_port
from ima2_common.settings import Settings
from ima2_image.providers.registry import ProviderRegistry
from ima2_image.status import ProviderStatusProbe
from ima2_proto.v1 import image_pb2

FAKE_AGY = Path(sys.executable).parent / "ima2-sandbox-agy"


async def probe(
    settings: Settings, http: httpx.AsyncClient, creds: Creds, provider: str
) -> image_pb2.ProviderStatus:
    registry = ProviderRegistry(settings, http, None, credentials=creds)
    return await ProviderStatusProbe(registry, http).status(provider)


async def test_grok_status(
    settings: Settings, http: httpx.AsyncClient, creds: Creds, sandbox: SandboxControl
) -> None:
    status = await probe(settings, http, creds, "grok")
    assert status.status == "ready" and "grok-imagine-image" in status.models
    assert only_path(await sandbox.requests("progrok")) == "/progrok/v1/models"
    assert (await sandbox.requests("progrok"))[0]["headers"]["authorization"] == "Bearer dummy…"

    creds.set("grok", "sandbox-tok-1")  # a stored login: xAI is probed directly with it
    assert (await probe(settings, http, creds, "grok")).status == "ready"
    direct = await sandbox.requests("xai")
    assert only_path(direct) == "/xai/v1/models" and direct[0]["headers"]["authorization"] == "Bearer sandbo…"
    creds.set("grok", "sandbox-expired-1")
    status = await probe(settings, http, creds, "grok")
    assert (status.status, status.reason) == ("auth_required", "login_required")
    proxied = settings.model_copy(update={"grok_transport": "proxy"})
    await probe(proxied, http, creds, "grok")
    assert (await sandbox.requests("progrok"))[-1]["headers"]["authorization"] == "Bearer sandbo…"
    creds.values.pop("grok")
    direct_only = settings.model_copy(update={"grok_transport": "direct"})
    status = await probe(direct_only, http, creds, "grok")
    assert (status.status, status.reason) == ("auth_required", "login_required")

    await sandbox.settings(progrokLoggedIn=False)
    status = await probe(settings, http, creds, "grok")
    assert (status.status, status.reason) == ("auth_required", "login_required")

    await sandbox.settings(progrokLoggedIn=True)
    await sandbox.fault(
        "progrok", "/models", status=200, body={"object": "list", "data": [{"id": "grok-4.3"}]}
    )
    status = await probe(settings, http, creds, "grok")
    assert (status.status, list(status.models)) == ("no_image_model", ["grok-4.3"])

    await sandbox.fault("progrok", "/models", status=500)
    assert (await probe(settings, http, creds, "grok")).status == "error"

    closed = settings.model_copy(update={"grok_proxy_url": f"http://127.0.0.1:{free_port()}/v1"})
    assert (await probe(closed, http, creds, "grok")).status == "offline"


def only_path(entries: list[dict[str, object]]) -> object:
    assert len(entries) == 1
    return entries[0]["path"]


async def test_key_providers_report_configured_credentials(
    settings: Settings, http: httpx.AsyncClient, creds: Creds, sandbox: SandboxControl
) -> None:
    expected = {
        "api": "API_KEY_REQUIRED",
        "grok-api": "GROK_API_KEY_MISSING",
        "gemini-api": "GEMINI_API_KEY_MISSING",
    }
    for provider, code in expected.items():
        status = await probe(settings, http, creds, provider)
        assert (status.status, status.reason) == ("auth_required", code)
    creds.set("openai", "sk-x").set("xai", "xai-x").set("gemini", "AIx")
    for provider in expected:
        assert (await probe(settings, http, creds, provider)).status == "ready"
    creds.values.pop("gemini")
    creds.set(
        "vertex", '{"type": "service_account", "project_id": "p", "client_email": "e", "private_key": "k"}'
    )
    assert (await probe(settings, http, creds, "gemini-api")).status == "ready"
    assert await sandbox.requests() == []  # configured-credential checks only


async def test_oauth_status_proxy_or_codex_backend(
    settings: Settings, http: httpx.AsyncClient, creds: Creds, sandbox: SandboxControl
) -> None:
    status = await probe(settings, http, creds, "oauth")
    assert status.status == "ready" and status.url.endswith("/oauth/v1")
    creds.set("codex", "sandbox-codex-token", account_id="acct-1")
    status = await probe(settings, http, creds, "oauth")
    assert status.status == "ready" and "gpt-5.4" in status.models
    assert "gpt-5-codex-internal" not in status.models  # hidden models are dropped
    sent = (await sandbox.requests("codex", "/models"))[-1]
    assert sent["query"]["client_version"] and sent["headers"]["chatgpt-account-id"] == "acct-1"
    creds.set("codex", "expired-token", account_id="acct-1")
    assert (await probe(settings, http, creds, "oauth")).status == "auth_required"


async def test_agy_status(settings: Settings, http: httpx.AsyncClient, creds: Creds, tmp_path: Path) -> None:
    installed = settings.model_copy(update={"agy_bin": str(FAKE_AGY)})
    status = await probe(installed, http, creds, "agy")
    assert (status.status, status.installed) == ("ready", True) and "sandbox" in status.reason
    if shutil.which("agy") is None and not (Path.home() / ".local" / "bin" / "agy").exists():
        missing = settings.model_copy(update={"agy_bin": str(tmp_path / "no-such-agy")})
        status = await probe(missing, http, creds, "agy")
        assert (status.status, status.installed, status.reason) == ("offline", False, "not_installed")


async def test_unknown_provider(settings: Settings, http: httpx.AsyncClient, creds: Creds) -> None:
    status = await probe(settings, http, creds, "dall-e")
    assert (status.status, status.reason) == ("offline", "not_in_build")
