"""Account switching (device-code logins for Grok and Codex), the stored credentials, refresh and quota.

The sandbox plays both login servers (RFC 8628 for xAI; the ChatGPT deviceauth flow) and is
steered through its control API: approval, denial, expiry, slow_down and transient failures. The
new credentials are checked on disk, over svc-auth's gRPC API (what the providers call) and in
/api/quota. The stored logins are removed again afterwards.
"""

from __future__ import annotations

import asyncio
import json
import re
import stat
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from ima2_common.errors import Ima2Error
from ima2_common.grpc_client import ServiceClient
from ima2_proto.v1 import auth_pb2, auth_pb2_grpc
from tests.stackctl import RunningStack

AuthRpc = ServiceClient[auth_pb2_grpc.AuthServiceStub]

DEADLINE = 40.0


@pytest.fixture(scope="module", autouse=True)
def fast_devices(stack: RunningStack) -> Iterator[None]:
    httpx.put(f"{stack.sandbox_url}/_sandbox/settings", json={"deviceInterval": 1})
    yield
    httpx.put(f"{stack.sandbox_url}/_sandbox/settings", json={"deviceInterval": 5, "accessTokenTtl": 3600})
    for name in ("progrok-auth.json", "codex-auth.json"):
        (stack.home / "sandbox" / name).unlink(missing_ok=True)


@pytest.fixture
async def auth_rpc(stack: RunningStack) -> AsyncIterator[AuthRpc]:
    client = ServiceClient("auth", stack.info["stack"]["services"]["auth"], auth_pb2_grpc.AuthServiceStub)
    yield client
    await client.close()


def auth_file(stack: RunningStack, provider: str) -> Path:
    return stack.home / "sandbox" / ("progrok-auth.json" if provider == "grok" else "codex-auth.json")


async def wait_status(client: httpx.AsyncClient, session_id: str, until: Any = None) -> dict[str, Any]:
    until = until or (lambda s: s["status"] != "pending")
    deadline = time.monotonic() + DEADLINE
    while True:
        status: dict[str, Any] = (await client.get(f"/api/auth/switch/{session_id}")).json()
        if until(status) or time.monotonic() > deadline:
            return status
        await asyncio.sleep(0.1)


async def start(client: httpx.AsyncClient, provider: str) -> dict[str, Any]:
    response = await client.post("/api/auth/switch", json={"provider": provider})
    assert response.status_code == 200, response.text
    switch: dict[str, Any] = response.json()
    return switch


async def login(
    client: httpx.AsyncClient, sandbox: httpx.AsyncClient, provider: str, email: str
) -> dict[str, Any]:
    started = await start(client, provider)
    approved = await sandbox.post(
        "/_sandbox/device/approve", json={"userCode": started["userCode"], "email": email}
    )
    assert approved.status_code == 200, approved.text
    status = await wait_status(client, started["sessionId"])
    assert status["status"] == "complete", status
    return status


async def get_credential(rpc: AuthRpc, provider: str) -> auth_pb2.Credential:
    return await rpc.unary(rpc.stub.GetCredential, auth_pb2.GetCredentialRequest(provider=provider))


async def refresh(rpc: AuthRpc, provider: str, rejected: str = "") -> auth_pb2.Credential:
    request = auth_pb2.GetCredentialRequest(provider=provider, rejected_secret=rejected)
    return await rpc.unary(rpc.stub.RefreshCredential, request)


def assert_flat(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["code"] == code and isinstance(body["error"], str) and body["requestId"], body


async def test_switch_input_errors(client: httpx.AsyncClient) -> None:
    for body in ({"provider": "openai"}, {}, {"provider": 3}):
        assert_flat(await client.post("/api/auth/switch", json=body), 400, "INVALID_SWITCH_PROVIDER")
    response = await client.post("/api/auth/switch", json={"provider": "grok", "flow": "browser"})
    assert_flat(response, 400, "INVALID_SWITCH_FLOW")
    response = await client.post(
        "/api/auth/switch", content=b"{", headers={"content-type": "application/json"}
    )
    assert_flat(response, 400, "INVALID_BODY")
    for method in ("GET", "DELETE"):
        unknown = await client.request(method, "/api/auth/switch/no-such-session")
        assert unknown.status_code == 404 and unknown.json() == {"status": "expired"}


async def test_grok_device_login_with_slow_down(
    client: httpx.AsyncClient, sandbox: httpx.AsyncClient, stack: RunningStack, auth_rpc: AuthRpc
) -> None:
    await sandbox.delete("/_sandbox/requests")
    await sandbox.post(
        "/_sandbox/faults",
        json={"upstream": "xai-auth", "path": "/oauth2/token", "status": 400, "body": {"error": "slow_down"}},
    )
    started = await start(client, "grok")
    assert started["flow"] == "device" and started["provider"] == "grok" and started["expiresIn"] == 900
    assert re.fullmatch(r"[A-Z]{4}-[A-Z]{4}", started["userCode"])
    assert started["verificationUrl"].endswith(f"/xai-auth/device?user_code={started['userCode']}")
    assert set(started) == {"sessionId", "flow", "provider", "userCode", "verificationUrl", "expiresIn"}
    slowed = await wait_status(client, started["sessionId"], lambda s: s["pollInterval"] > 1)
    assert slowed == {"status": "pending", "flow": "device", "provider": "grok", "pollInterval": 6}
    email = f"grok-{uuid.uuid4().hex[:8]}@example.com"
    await sandbox.post("/_sandbox/device/approve", json={"userCode": started["userCode"], "email": email})
    done = await wait_status(client, started["sessionId"])
    assert done["status"] == "complete" and done["email"] == email

    polls = (await sandbox.get("/_sandbox/requests", params={"upstream": "xai-auth"})).json()["requests"]
    device = next(r for r in polls if r["path"].endswith("/oauth2/device/code"))
    assert device["form"]["client_id"] == "b1a00492-073a-47ea-816f-4c329264a828"
    assert "offline_access" in device["form"]["scope"]
    token_polls = [r for r in polls if r["path"].endswith("/oauth2/token")]
    assert all(r["form"]["grant_type"] == "urn:ietf:params:oauth:grant-type:device_code" for r in token_polls)
    assert len(token_polls) >= 2

    path = auth_file(stack, "grok")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    saved = json.loads(path.read_text())
    assert (
        saved["email"] == email and saved["refreshToken"] and saved["tokenEndpoint"].endswith("/oauth2/token")
    )
    assert saved["expiresAt"] > time.time() * 1000 + 3_000_000
    credential = await get_credential(auth_rpc, "grok")
    assert (credential.secret, credential.source, credential.email) == (saved["accessToken"], "oauth", email)
    providers = (await client.get("/api/providers")).json()
    assert providers["keys"]["grok"] == {"configured": True, "source": "oauth"}

    quota = (await client.get("/api/quota")).json()["grok"]
    assert quota["authenticated"] is True and quota["account"] == {"email": email, "plan": "SuperGrok"}
    assert quota["billing"] == {"usedUsd": 12.34, "limitUsd": 150.0}
    assert quota["windows"][0]["label"] == "monthly" and quota["windows"][0]["percent"] == pytest.approx(8.23)
    billing_calls = (await sandbox.get("/_sandbox/requests", params={"upstream": "billing"})).json()[
        "requests"
    ]
    assert {r["path"].rsplit("/", 1)[-1] for r in billing_calls} >= {"billing", "user"}


async def test_codex_device_login_and_the_next_generation_uses_it(
    client: httpx.AsyncClient, sandbox: httpx.AsyncClient, stack: RunningStack, auth_rpc: AuthRpc
) -> None:
    await sandbox.delete("/_sandbox/requests")
    started = await start(client, "codex")
    assert re.fullmatch(r"[A-Z0-9]{4}-[A-Z0-9]{5}", started["userCode"])
    assert started["verificationUrl"].endswith("/openai-auth/codex/device")
    assert (await client.get(f"/api/auth/switch/{started['sessionId']}")).json()["status"] == "pending"
    email = f"codex-{uuid.uuid4().hex[:8]}@example.com"
    await sandbox.post("/_sandbox/device/approve", json={"userCode": started["userCode"], "email": email})
    done = await wait_status(client, started["sessionId"])
    assert done["status"] == "complete" and done["email"] == email

    calls = (await sandbox.get("/_sandbox/requests", params={"upstream": "openai-auth"})).json()["requests"]
    exchange = next(r for r in calls if r["path"].endswith("/oauth/token"))
    assert exchange["form"]["grant_type"] == "authorization_code"
    assert exchange["form"]["redirect_uri"] == "https://auth.openai.com/deviceauth/callback"

    path = auth_file(stack, "codex")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    saved = json.loads(path.read_text())
    assert saved["auth_mode"] == "chatgpt" and saved["last_refresh"]
    tokens = saved["tokens"]
    assert tokens["access_token"] and tokens["refresh_token"] and tokens["id_token"] and tokens["account_id"]
    credential = await get_credential(auth_rpc, "codex")
    assert credential.secret == tokens["access_token"] and credential.account_id == tokens["account_id"]
    assert credential.source == "oauth" and credential.expires_at > time.time() * 1000

    quota = (await client.get("/api/quota")).json()["codex"]
    assert quota["authenticated"] is True and quota["account"] == {"email": email, "plan": "plus"}
    assert [(w["label"], w["percent"]) for w in quota["windows"]] == [("5h", 12.5), ("7d", 40.0)]
    usage = (await sandbox.get("/_sandbox/requests", params={"path": "wham/usage"})).json()["requests"]
    assert usage[-1]["headers"]["chatgpt-account-id"] == tokens["account_id"]

    await sandbox.delete("/_sandbox/requests")
    generated = await client.post(
        "/api/generate", json={"prompt": "a lantern", "provider": "oauth", "quality": "low"}
    )
    seen = (await sandbox.get("/_sandbox/requests")).json()["requests"]
    used = [
        r
        for r in seen
        if r["upstream"] == "codex"
        and r["headers"].get("chatgpt-account-id") == tokens["account_id"]
        and r["headers"].get("authorization", "").startswith(f"Bearer {tokens['access_token'][:6]}")
    ]
    assert used, "the oauth provider must call the Codex backend with the stored credential"
    assert generated.status_code == 200, generated.text

    # The backend refuses the token: one refresh, one retry, then a clear AUTH_CHATGPT_EXPIRED.
    await sandbox.delete("/_sandbox/requests")
    await sandbox.post("/_sandbox/faults", json={"upstream": "codex", "status": 401, "count": 0})
    refused = await client.post(
        "/api/generate", json={"prompt": "a lantern", "provider": "oauth", "quality": "low"}
    )
    assert_flat(refused, 401, "AUTH_CHATGPT_EXPIRED")
    calls = (await sandbox.get("/_sandbox/requests", params={"upstream": "openai-auth"})).json()["requests"]
    assert [r["json"]["grant_type"] for r in calls if r["path"].endswith("/oauth/token")] == ["refresh_token"]


async def test_denial_expiry_and_start_failures(
    client: httpx.AsyncClient, sandbox: httpx.AsyncClient
) -> None:
    denied = await start(client, "grok")
    await sandbox.post("/_sandbox/device/deny", json={"userCode": denied["userCode"]})
    status = await wait_status(client, denied["sessionId"])
    assert status["status"] == "error" and "denied" in status["error"]

    expired = await start(client, "codex")
    await sandbox.post("/_sandbox/device/expire", json={"userCode": expired["userCode"]})
    assert (await wait_status(client, expired["sessionId"]))["status"] == "expired"
    expired = await start(client, "grok")
    await sandbox.post("/_sandbox/device/expire", json={"userCode": expired["userCode"]})
    assert (await wait_status(client, expired["sessionId"]))["status"] == "expired"

    for status_code in (404, 500, 429):
        await sandbox.post(
            "/_sandbox/faults", json={"upstream": "openai-auth", "path": "/usercode", "status": status_code}
        )
        assert_flat(
            await client.post("/api/auth/switch", json={"provider": "codex"}), 502, "SWITCH_START_FAILED"
        )
    await sandbox.post(
        "/_sandbox/faults", json={"upstream": "xai-auth", "path": "/device/code", "mode": "drop"}
    )
    assert_flat(await client.post("/api/auth/switch", json={"provider": "grok"}), 502, "SWITCH_START_FAILED")


async def test_transient_poll_failures_are_retried_then_give_up(
    client: httpx.AsyncClient, sandbox: httpx.AsyncClient
) -> None:
    await sandbox.post(
        "/_sandbox/faults", json={"upstream": "xai-auth", "path": "/oauth2/token", "status": 503, "count": 2}
    )
    started = await start(client, "grok")
    await sandbox.post("/_sandbox/device/approve", json={"userCode": started["userCode"]})
    assert (await wait_status(client, started["sessionId"]))["status"] == "complete"

    await sandbox.post(
        "/_sandbox/faults", json={"upstream": "xai-auth", "path": "/oauth2/token", "status": 503, "count": 0}
    )
    failing = await start(client, "grok")
    status = await wait_status(client, failing["sessionId"])
    assert status["status"] == "error" and "503" in status["error"]


async def test_pending_sessions_are_limited_and_can_be_canceled(client: httpx.AsyncClient) -> None:
    sessions = [await start(client, "grok") for _ in range(20)]
    try:
        assert_flat(
            await client.post("/api/auth/switch", json={"provider": "codex"}), 429, "TOO_MANY_SWITCH_SESSIONS"
        )
    finally:
        for session in sessions:
            canceled = await client.delete(f"/api/auth/switch/{session['sessionId']}")
            assert canceled.status_code == 200 and canceled.json()["status"] == "expired"
    assert (await client.get(f"/api/auth/switch/{sessions[0]['sessionId']}")).json()["error"] == "canceled"
    again = await start(client, "codex")
    await client.delete(f"/api/auth/switch/{again['sessionId']}")


async def test_refresh_near_expiry_on_demand_and_when_it_fails(
    client: httpx.AsyncClient, sandbox: httpx.AsyncClient, stack: RunningStack, auth_rpc: AuthRpc
) -> None:
    # A token that expires within the refresh margin is refreshed by the next GetCredential.
    await sandbox.put("/_sandbox/settings", json={"accessTokenTtl": 60})
    await login(client, sandbox, "grok", "refresh@example.com")
    first = json.loads(auth_file(stack, "grok").read_text())["accessToken"]
    await sandbox.put("/_sandbox/settings", json={"accessTokenTtl": 3600})
    second = (await get_credential(auth_rpc, "grok")).secret
    assert second != first
    assert json.loads(auth_file(stack, "grok").read_text())["accessToken"] == second
    assert (await get_credential(auth_rpc, "grok")).secret == second  # far from expiry now: kept

    # After an upstream 401 a provider asks for one refresh; a second caller with the same
    # refused token gets the already refreshed one.
    third = (await refresh(auth_rpc, "grok", rejected=second)).secret
    assert third not in (first, second)
    assert (await refresh(auth_rpc, "grok", rejected=second)).secret == third
    await sandbox.post(
        "/_sandbox/faults",
        json={
            "upstream": "xai-auth",
            "path": "/oauth2/token",
            "status": 400,
            "body": {"error": "invalid_grant"},
        },
    )
    with pytest.raises(Ima2Error) as failed:
        await refresh(auth_rpc, "grok", rejected=third)
    assert failed.value.code == "GROK_AUTH_FAILED" and failed.value.status == 502

    await login(client, sandbox, "codex", "refresh-codex@example.com")
    old = (await get_credential(auth_rpc, "codex")).secret
    old_refresh = json.loads(auth_file(stack, "codex").read_text())["tokens"]["refresh_token"]
    fresh = await refresh(auth_rpc, "codex", rejected=old)
    # (The sandbox mints the same access JWT within one second; the rotated refresh token shows it.)
    assert json.loads(auth_file(stack, "codex").read_text())["tokens"]["refresh_token"] != old_refresh
    assert fresh.account_id and fresh.email == "refresh-codex@example.com"
    calls = (await sandbox.get("/_sandbox/requests", params={"upstream": "openai-auth"})).json()["requests"]
    assert calls[-1]["json"]["grant_type"] == "refresh_token"
    await sandbox.post(
        "/_sandbox/faults", json={"upstream": "openai-auth", "path": "/oauth/token", "status": 401}
    )
    with pytest.raises(Ima2Error) as failed:
        await refresh(auth_rpc, "codex", rejected=fresh.secret)
    assert failed.value.code == "AUTH_CHATGPT_EXPIRED" and failed.value.status == 401

    # An expired token whose refresh fails is not handed out: the clear error instead.
    saved = json.loads(auth_file(stack, "grok").read_text())
    auth_file(stack, "grok").write_text(
        json.dumps({**saved, "expiresAt": int(time.time() * 1000) - 1000, "refreshToken": "xrt-revoked"})
    )
    with pytest.raises(Ima2Error) as failed:
        await get_credential(auth_rpc, "grok")
    assert failed.value.code == "GROK_AUTH_FAILED"

    with pytest.raises(Ima2Error) as failed:
        await refresh(auth_rpc, "openai")
    assert failed.value.code == "INVALID_PROVIDER"
    auth_file(stack, "codex").unlink()
    assert (await get_credential(auth_rpc, "codex")).source == "none"
    with pytest.raises(Ima2Error) as failed:
        await refresh(auth_rpc, "codex")
    assert failed.value.code == "OAUTH_SESSION_REQUIRED"
    quota = (await client.get("/api/quota")).json()
    assert quota["codex"] == {
        "provider": "codex",
        "windows": [],
        "authenticated": False,
        "error": "not_logged_in",
    }
    assert quota["grok"]["authenticated"] is False
