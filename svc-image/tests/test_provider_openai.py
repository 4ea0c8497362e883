"""oauth (local proxy or the Codex backend) and api against the sandbox's OpenAI emulators."""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx
import pytest
from image_testkit import Collected, Creds, SandboxControl, make_call

from ima2_common.errors import Ima2Error
from ima2_common.settings import Settings
from ima2_image.providers.codex import OAuthImageProvider
from ima2_image.providers.credentials import Credential
from ima2_image.providers.registry import ProviderRegistry


def fake_jwt(claims: dict[str, Any]) -> str:
    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'none'})}.{part(claims)}.c2ln"


def oauth(settings: Settings, http: httpx.AsyncClient, creds: Creds) -> OAuthImageProvider:
    provider = ProviderRegistry(settings, http, None, credentials=creds).create("oauth")
    assert isinstance(provider, OAuthImageProvider)
    return provider


async def run(provider: Any, **call: Any) -> Any:
    await provider.check_ready()
    return await provider.generate(make_call(model="gpt-5.4", **call))


async def test_oauth_without_a_session_uses_the_local_proxy(
    settings: Settings, http: httpx.AsyncClient, creds: Creds, sandbox: SandboxControl
) -> None:
    seen = Collected()
    result = await run(oauth(settings, http, creds), on_partial=seen.on_partial)
    assert len(result.images) == 1 and [i for i, _ in seen.partials] == [0, 1]
    sent = await sandbox.requests("oauth", "/responses")
    assert len(sent) == 1 and "authorization" not in sent[0]["headers"]
    assert not await sandbox.requests("codex")
    assert creds.gets == ["codex"]


async def test_oauth_with_a_session_calls_the_codex_backend(
    settings: Settings, http: httpx.AsyncClient, creds: Creds, sandbox: SandboxControl
) -> None:
    creds.set("codex", "sandbox-codex-token", account_id="acct-123")
    seen = Collected()
    result = await run(oauth(settings, http, creds), on_partial=seen.on_partial)
    assert len(result.images) == 1 and seen.partials
    assert not await sandbox.requests("oauth")
    sent = await sandbox.requests("codex", "/responses")
    assert len(sent) == 1
    headers, body = sent[0]["headers"], sent[0]["json"]
    assert headers["authorization"] == "Bearer sandbo…" and headers["chatgpt-account-id"] == "acct-123"
    assert body["store"] is False and body["stream"] is True
    assert "Call the image_generation tool" in body["instructions"]
    assert [item["role"] for item in body["input"]] == ["user"]
    assert body["input"][0]["content"] == [
        {"type": "input_text", "text": body["input"][0]["content"][0]["text"]}
    ]
    assert body["input"][0]["content"][0]["text"].startswith("Generate an image: a red fox")


async def test_codex_account_id_from_the_token_claims(
    settings: Settings, http: httpx.AsyncClient, creds: Creds, sandbox: SandboxControl
) -> None:
    token = fake_jwt(
        {"https://api.openai.com/auth": {"chatgpt_account_id": "acct-from-jwt"}, "exp": 4102444800}
    )
    creds.set("codex", token)
    await run(oauth(settings, http, creds))
    sent = await sandbox.requests("codex", "/responses")
    assert sent[0]["headers"]["chatgpt-account-id"] == "acct-from-jwt"


async def test_codex_multimode_delivers_each_image(
    settings: Settings, http: httpx.AsyncClient, creds: Creds, sandbox: SandboxControl
) -> None:
    creds.set("codex", "sandbox-codex-token", account_id="acct-123")
    seen = Collected()
    result = await run(oauth(settings, http, creds), max_images=3, on_image=seen.on_image)
    assert len(result.images) == 3 and [i for i, _ in seen.images] == [0, 1, 2]
    body = (await sandbox.requests("codex", "/responses"))[0]["json"]
    assert body["tool_choice"] == "required" and "up to 3 separate" in body["instructions"]


async def test_codex_refreshes_once_on_401(
    settings: Settings, http: httpx.AsyncClient, creds: Creds, sandbox: SandboxControl
) -> None:
    creds.set("codex", "expired-token", account_id="acct-123")
    creds.refreshed["codex"] = Credential(secret="fresh-token", account_id="acct-123", source="oauth")
    result = await run(oauth(settings, http, creds))
    assert len(result.images) == 1 and creds.refreshes == ["codex"] and creds.rejected == ["expired-token"]
    sent = await sandbox.requests("codex", "/responses")
    assert [s["headers"]["authorization"] for s in sent] == ["Bearer expire…", "Bearer fresh-…"]


async def test_codex_still_refused_after_refresh_is_auth_chatgpt_expired(
    settings: Settings, http: httpx.AsyncClient, creds: Creds, sandbox: SandboxControl
) -> None:
    creds.set("codex", "expired-token", account_id="acct-123")
    creds.refreshed["codex"] = Credential(secret="expired-again", account_id="acct-123", source="oauth")
    with pytest.raises(Ima2Error) as caught:
        await run(oauth(settings, http, creds))
    assert (caught.value.code, caught.value.status) == ("AUTH_CHATGPT_EXPIRED", 401)
    assert caught.value.upstream_code == "token_expired"
    assert creds.refreshes == ["codex"] and len(await sandbox.requests("codex", "/responses")) == 2


async def test_codex_empty_stream_falls_back_to_a_prompt_only_stream(
    settings: Settings, http: httpx.AsyncClient, creds: Creds, sandbox: SandboxControl
) -> None:
    creds.set("codex", "sandbox-codex-token", account_id="acct-123")
    await sandbox.fault("codex", "/responses", mode="empty", count=1)
    result = await run(oauth(settings, http, creds))
    assert len(result.images) == 1 and result.retry_kind == "prompt_only"
    second = (await sandbox.requests("codex", "/responses"))[1]["json"]
    assert second["stream"] is True and second["store"] is False and second["instructions"] == ""
    assert [t["type"] for t in second["tools"]] == ["image_generation"]


async def test_codex_network_failure(
    settings: Settings, http: httpx.AsyncClient, creds: Creds, sandbox: SandboxControl
) -> None:
    creds.set("codex", "sandbox-codex-token", account_id="acct-123")
    await sandbox.fault("codex", "/responses", mode="drop", count=0)
    with pytest.raises(Ima2Error) as caught:
        await run(oauth(settings, http, creds))
    assert (caught.value.code, caught.value.status) == ("NETWORK_FAILED", 503)
    assert len(await sandbox.requests("codex", "/responses")) == 2  # retried once per the route rule


async def test_api_streams_partials_and_delivers_images(
    settings: Settings, http: httpx.AsyncClient, creds: Creds, sandbox: SandboxControl
) -> None:
    creds.set("openai", "sk-sandbox-provider-tests")
    provider = ProviderRegistry(settings, http, None, credentials=creds).create("api")
    seen = Collected()
    result = await run(provider, on_partial=seen.on_partial, on_image=seen.on_image, count=2)
    assert len(result.images) == 2 and [i for i, _ in seen.images] == [0, 1]
    assert len(seen.partials) == 4
    sent = await sandbox.requests("openai", "/responses")
    assert len(sent) == 2 and all(s["headers"]["authorization"] == "Bearer sk-san…" for s in sent)
    creds.set("openai", "")
    with pytest.raises(Ima2Error) as caught:
        await ProviderRegistry(settings, http, None, credentials=creds).create("api").check_ready()
    assert (caught.value.code, caught.value.status) == ("API_KEY_REQUIRED", 401)
