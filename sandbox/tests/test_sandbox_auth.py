"""Device-code logins (xAI RFC 8628, OpenAI deviceauth), token refresh and Grok billing (§3, §1.7)."""

from __future__ import annotations

import hashlib
from typing import Any

import httpx

from ima2_sandbox.jwt_util import b64url, claims_of


def jwt_claims(token: str) -> dict[str, Any]:
    found = claims_of(token)
    assert found is not None, "not a JWT"
    return found


XAI_CLIENT = "b1a00492-073a-47ea-816f-4c329264a828"
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
OPENAI_CLIENT = "app_EMoamEEZ73f0CkXaXp7hrann"


async def discovery(client: httpx.AsyncClient) -> dict[str, Any]:
    document: dict[str, Any] = (await client.get("/xai-auth/.well-known/openid-configuration")).json()
    return document


async def start_xai(client: httpx.AsyncClient) -> dict[str, Any]:
    config = await discovery(client)
    response = await client.post(
        config["device_authorization_endpoint"],
        data={"client_id": XAI_CLIENT, "scope": "openid email offline_access"},
    )
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


async def poll_xai(client: httpx.AsyncClient, device_code: str) -> httpx.Response:
    config = await discovery(client)
    return await client.post(
        config["token_endpoint"],
        data={"grant_type": DEVICE_GRANT, "client_id": XAI_CLIENT, "device_code": device_code},
    )


async def test_discovery_points_back_at_sandbox(client: httpx.AsyncClient) -> None:
    config = await discovery(client)
    assert config["issuer"] == "http://sandbox.test/xai-auth"
    for key in ("token_endpoint", "device_authorization_endpoint", "userinfo_endpoint", "jwks_uri"):
        assert config[key].startswith("http://sandbox.test/xai-auth/")


async def test_xai_device_flow_approve(client: httpx.AsyncClient) -> None:
    await client.put("/_sandbox/settings", json={"deviceInterval": 0})
    device = await start_xai(client)
    assert device["interval"] == 0 and device["expires_in"] == 900
    assert device["verification_uri_complete"].endswith(device["user_code"])
    pending = await poll_xai(client, device["device_code"])
    assert pending.status_code == 400 and pending.json()["error"] == "authorization_pending"
    approved = await client.post(
        "/_sandbox/device/approve", json={"userCode": device["user_code"], "email": "ada@example.com"}
    )
    assert approved.json()["status"] == "approved"
    token = await poll_xai(client, device["device_code"])
    assert token.status_code == 200
    tokens = token.json()
    assert tokens["token_type"] == "Bearer" and tokens["expires_in"] == 3600
    assert jwt_claims(tokens["id_token"])["email"] == "ada@example.com"
    again = await poll_xai(client, device["device_code"])
    assert again.json()["error"] == "invalid_grant"
    # the access token works against the xAI API, userinfo and billing
    bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert (await client.get("/xai/v1/models", headers=bearer)).status_code == 200
    assert (await client.get("/xai-auth/oauth2/userinfo", headers=bearer)).json()[
        "email"
    ] == "ada@example.com"
    assert (await client.get("/grok-cli/v1/user", headers=bearer)).json()["email"] == "ada@example.com"
    # refresh rotates; the old refresh token is then rejected
    refresh = {
        "grant_type": "refresh_token",
        "client_id": XAI_CLIENT,
        "refresh_token": tokens["refresh_token"],
    }
    rotated = await client.post("/xai-auth/oauth2/token", data=refresh)
    assert rotated.status_code == 200 and rotated.json()["refresh_token"] != tokens["refresh_token"]
    reused = await client.post("/xai-auth/oauth2/token", data=refresh)
    assert reused.status_code == 400 and reused.json()["error"] == "refresh_token_reused"


async def test_xai_slow_down(client: httpx.AsyncClient) -> None:
    await client.put("/_sandbox/settings", json={"deviceInterval": 30})
    device = await start_xai(client)
    assert (await poll_xai(client, device["device_code"])).json()["error"] == "authorization_pending"
    slow = await poll_xai(client, device["device_code"])
    assert slow.status_code == 400 and slow.json()["error"] == "slow_down"


async def test_xai_denial_and_expiry(client: httpx.AsyncClient) -> None:
    await client.put("/_sandbox/settings", json={"deviceInterval": 0})
    denied = await start_xai(client)
    await client.post("/_sandbox/device/deny", json={"userCode": denied["user_code"]})
    assert (await poll_xai(client, denied["device_code"])).json()["error"] == "access_denied"
    expired = await start_xai(client)
    await client.post("/_sandbox/device/expire", json={"userCode": expired["user_code"]})
    assert (await poll_xai(client, expired["device_code"])).json()["error"] == "expired_token"
    assert (await poll_xai(client, "nope")).json()["error"] == "invalid_grant"
    assert (await client.post("/_sandbox/device/approve", json={"userCode": "ZZZZ-ZZZZ"})).status_code == 404


async def test_xai_auto_approve(client: httpx.AsyncClient) -> None:
    await client.put(
        "/_sandbox/settings", json={"deviceInterval": 0, "autoApproveDevice": True, "autoApprovePolls": 2}
    )
    device = await start_xai(client)
    assert (await poll_xai(client, device["device_code"])).status_code == 400
    assert (await poll_xai(client, device["device_code"])).status_code == 400
    token = await poll_xai(client, device["device_code"])
    assert token.status_code == 200
    assert jwt_claims(token.json()["access_token"])["email"] == "sandbox-user@example.com"


async def test_openai_device_flow(client: httpx.AsyncClient) -> None:
    start = await client.post(
        "/openai-auth/api/accounts/deviceauth/usercode", json={"client_id": OPENAI_CLIENT}
    )
    assert start.status_code == 200
    device = start.json()
    assert isinstance(device["interval"], str)
    code = device["user_code"]
    assert len(code) == 10 and code[4] == "-"
    poll = {"device_auth_id": device["device_auth_id"], "user_code": code}
    pending = await client.post("/openai-auth/api/accounts/deviceauth/token", json=poll)
    assert pending.status_code == 403
    await client.post("/_sandbox/device/approve", json={"userCode": code, "email": "grace@example.com"})
    granted = await client.post("/openai-auth/api/accounts/deviceauth/token", json=poll)
    assert granted.status_code == 200
    grant = granted.json()
    expected = b64url(hashlib.sha256(grant["code_verifier"].encode()).digest())
    assert grant["code_challenge"] == expected
    exchange = {
        "grant_type": "authorization_code",
        "client_id": OPENAI_CLIENT,
        "code": grant["authorization_code"],
        "code_verifier": grant["code_verifier"],
        "redirect_uri": "https://auth.openai.com/deviceauth/callback",
    }
    bad = await client.post("/openai-auth/oauth/token", data={**exchange, "code_verifier": "wrong"})
    assert bad.status_code == 400
    tokens = await client.post("/openai-auth/oauth/token", data=exchange)
    assert tokens.status_code == 200
    body = tokens.json()
    claims = jwt_claims(body["access_token"])
    account = claims["https://api.openai.com/auth"]["chatgpt_account_id"]
    assert account and jwt_claims(body["id_token"])["email"] == "grace@example.com"
    assert (await client.post("/openai-auth/oauth/token", data=exchange)).status_code == 400  # code used
    codex = {"Authorization": f"Bearer {body['access_token']}", "chatgpt-account-id": account}
    usage = await client.get("/codex/backend-api/wham/usage", headers=codex)
    assert usage.json()["email"] == "grace@example.com"
    refresh = {
        "grant_type": "refresh_token",
        "refresh_token": body["refresh_token"],
        "client_id": OPENAI_CLIENT,
    }
    refreshed = await client.post("/openai-auth/oauth/token", json=refresh)
    assert refreshed.status_code == 200 and refreshed.json()["access_token"]
    reused = await client.post("/openai-auth/oauth/token", json=refresh)
    assert reused.status_code == 401 and reused.json()["error"]["code"] == "refresh_token_reused"


async def test_openai_device_denied_and_expired(client: httpx.AsyncClient) -> None:
    for action, status in (("deny", 400), ("expire", 410)):
        device = (
            await client.post(
                "/openai-auth/api/accounts/deviceauth/usercode", json={"client_id": OPENAI_CLIENT}
            )
        ).json()
        await client.post(f"/_sandbox/device/{action}", json={"userCode": device["user_code"]})
        poll = await client.post(
            "/openai-auth/api/accounts/deviceauth/token",
            json={"device_auth_id": device["device_auth_id"], "user_code": device["user_code"]},
        )
        assert poll.status_code == status


async def test_billing(client: httpx.AsyncClient) -> None:
    bearer = {"Authorization": "Bearer sandbox-grok-token"}
    monthly = (await client.get("/grok-cli/v1/billing", headers=bearer)).json()["config"]
    assert monthly["monthlyLimit"]["val"] == 15000 and monthly["used"]["val"] == 1234
    assert (await client.get("/grok-cli/v1/billing?format=credits", headers=bearer)).status_code == 426
    credits = await client.get(
        "/grok-cli/v1/billing?format=credits", headers={**bearer, "x-grok-client-version": "1.0.0"}
    )
    assert credits.json()["config"]["creditUsagePercent"] == 37
    assert (await client.get("/grok-cli/v1/billing")).status_code == 401
