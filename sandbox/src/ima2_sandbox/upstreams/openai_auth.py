"""OpenAI device auth (§3.3 b) at `/openai-auth`: deviceauth usercode/token and `/oauth/token`
(authorization_code, form-encoded; refresh_token, JSON). Tokens are HS256 JWTs signed with a
fixed sandbox secret whose claims carry `https://api.openai.com/auth.chatgpt_account_id` and an email."""

from __future__ import annotations

import hashlib
import secrets
import string
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response

from ima2_sandbox import jwt_util
from ima2_sandbox.control import Call, begin
from ima2_sandbox.errors import oauth2_error, openai_error
from ima2_sandbox.state import DeviceGrant, new_user_code

UPSTREAM = "openai-auth"
ISSUER = "https://auth.openai.com"
REDIRECT_URIS = ("https://auth.openai.com/deviceauth/callback", "http://localhost:1455/auth/callback")
CODE_ALPHABET = string.ascii_uppercase + string.digits
AUTH_CLAIM = "https://api.openai.com/auth"


def account_id(email: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"sandbox-chatgpt:{email}"))


def mint_tokens(call: Call, email: str, client_id: str) -> dict[str, Any]:
    state = call.state
    now = int(time.time())
    ttl = int(state.setting("accessTokenTtl"))
    auth = {
        "chatgpt_account_id": account_id(email),
        "chatgpt_plan_type": state.setting("codexPlan"),
        "chatgpt_user_id": f"user-{account_id(email)[:12]}",
    }
    sub = f"auth0|{account_id(email)[:16]}"
    access_token = jwt_util.encode(
        {
            "iss": ISSUER,
            "aud": ["https://api.openai.com/v1"],
            "sub": sub,
            "iat": now,
            "exp": now + ttl,
            AUTH_CLAIM: auth,
            "https://api.openai.com/profile": {"email": email, "email_verified": True},
            "scp": ["openid", "profile", "email", "offline_access"],
            "client_id": client_id,
        }
    )
    id_token = jwt_util.encode(
        {
            "iss": ISSUER,
            "aud": client_id,
            "sub": sub,
            "iat": now,
            "exp": now + ttl,
            "email": email,
            "email_verified": True,
            AUTH_CLAIM: auth,
        }
    )
    refresh_token = f"rt_{secrets.token_urlsafe(32)}"
    state.issued_tokens.add(access_token)
    state.refresh_tokens[refresh_token] = {
        "kind": "openai",
        "email": email,
        "client_id": client_id,
        "used": False,
    }
    return {
        "id_token": id_token,
        "access_token": access_token,
        "refresh_token": refresh_token,
        "expires_in": ttl,
        "token_type": "Bearer",
        "scope": "openid profile email offline_access",
    }


def _device_error(status: int, message: str, code: str) -> Response:
    return openai_error(status, message, "invalid_request_error", code)


def _poll(call: Call) -> Response:
    body = call.body or {}
    grant = call.state.devices.get(str(body.get("device_auth_id") or ""))
    if grant is None or grant.kind != "openai":
        return _device_error(400, "Unknown device authorization.", "invalid_request")
    if str(body.get("user_code") or "").upper() != grant.user_code:
        return _device_error(
            400, "The user code does not match this device authorization.", "invalid_request"
        )
    if time.time() > grant.expires_at:
        return _device_error(410, "The device code has expired.", "expired_token")
    if grant.status == "denied":
        return _device_error(400, "The user denied the authorization request.", "access_denied")
    if grant.status == "consumed":
        return _device_error(400, "The device code has already been used.", "invalid_grant")
    grant.polls += 1
    call.state.auto_approve(grant)
    if grant.status == "pending":
        return _device_error(403, "Device authorization is pending.", "deviceauth_authorization_pending")
    if not grant.authorization_code:
        grant.authorization_code = f"ac_{secrets.token_urlsafe(24)}"
        grant.code_verifier = secrets.token_urlsafe(48)
    challenge = jwt_util.b64url(hashlib.sha256(grant.code_verifier.encode()).digest())
    return JSONResponse(
        {
            "authorization_code": grant.authorization_code,
            "code_challenge": challenge,
            "code_verifier": grant.code_verifier,
        }
    )


def _exchange(call: Call, params: dict[str, Any]) -> Response:
    code = str(params.get("code") or "")
    grant = next(
        (
            g
            for g in call.state.devices.values()
            if g.kind == "openai" and code and g.authorization_code == code
        ),
        None,
    )
    if grant is None or grant.status == "consumed":
        return oauth2_error(400, "invalid_grant", "Invalid or already used authorization code.")
    if params.get("code_verifier") != grant.code_verifier:
        return oauth2_error(400, "invalid_grant", "code_verifier does not match the code challenge.")
    if params.get("redirect_uri") not in REDIRECT_URIS:
        return oauth2_error(400, "invalid_grant", "redirect_uri does not match.")
    grant.status = "consumed"
    return JSONResponse(mint_tokens(call, grant.email, grant.client_id))


def _refresh(call: Call, params: dict[str, Any]) -> Response:
    info = call.state.refresh_tokens.get(str(params.get("refresh_token") or ""))
    if info is None or info["kind"] != "openai":
        return openai_error(
            401,
            "Your refresh token is invalid. Please try signing in again.",
            "invalid_request_error",
            "refresh_token_invalidated",
        )
    if info["used"]:
        return openai_error(
            401,
            "Your refresh token has already been used to generate a new access token. "
            "Please try signing in again.",
            "invalid_request_error",
            "refresh_token_reused",
        )
    info["used"] = True
    return JSONResponse(mint_tokens(call, info["email"], info["client_id"]))


def build_router() -> APIRouter:
    router = APIRouter(prefix="/openai-auth")

    @router.post("/api/accounts/deviceauth/usercode")
    async def usercode(request: Request) -> Response:
        call = await begin(request, UPSTREAM)
        if call.response is not None:
            return call.response
        client_id = str((call.body or {}).get("client_id") or "")
        if not client_id:
            return _device_error(400, "client_id is required.", "invalid_request")
        state = call.state
        expires_at = time.time() + int(state.setting("deviceExpiresIn"))
        grant = DeviceGrant(
            "openai",
            f"deviceauth_{secrets.token_hex(12)}",
            new_user_code(CODE_ALPHABET, 4, 5),
            client_id,
            "",
            int(state.setting("deviceInterval")),
            expires_at,
        )
        state.devices[grant.device_code] = grant
        return JSONResponse(
            {
                "device_auth_id": grant.device_code,
                "user_code": grant.user_code,
                "interval": str(grant.interval),
                "expires_at": datetime.fromtimestamp(expires_at, UTC).isoformat(),
            }
        )

    @router.post("/api/accounts/deviceauth/token")
    async def device_token(request: Request) -> Response:
        call = await begin(request, UPSTREAM)
        return call.response or _poll(call)

    @router.post("/oauth/token")
    async def token(request: Request) -> Response:
        call = await begin(request, UPSTREAM)
        if call.response is not None:
            return call.response
        params = call.form if call.form is not None else (call.body or {})
        if not params.get("client_id"):
            return oauth2_error(400, "invalid_request", "client_id is required.")
        if params.get("grant_type") == "authorization_code":
            return _exchange(call, params)
        if params.get("grant_type") == "refresh_token":
            return _refresh(call, params)
        return oauth2_error(
            400, "unsupported_grant_type", f"Unsupported grant_type: {params.get('grant_type')}"
        )

    @router.get("/codex/device")
    async def device_page(request: Request) -> Response:
        call = await begin(request, UPSTREAM)
        return call.response or PlainTextResponse(
            'ima2 sandbox: approve this device with POST /_sandbox/device/approve {"userCode": "…"}.'
        )

    return router
