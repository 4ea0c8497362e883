"""xAI OIDC (§3.4) at `/xai-auth`: discovery, RFC 8628 device code, token (device_code and
refresh_token grants) and userinfo. Devices are approved through `/_sandbox/device/approve`
(or automatically, see the `autoApproveDevice` switch)."""

from __future__ import annotations

import secrets
import time
import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response

from ima2_sandbox import jwt_util
from ima2_sandbox.control import Call, base_url, begin
from ima2_sandbox.errors import oauth2_error
from ima2_sandbox.state import DeviceGrant, new_user_code

UPSTREAM = "xai-auth"
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
USER_CODE_LETTERS = "BCDFGHJKLMNPQRSTVWXZ"
DEFAULT_SCOPE = "openid profile email offline_access grok-cli:access api:access"


def issuer(request: Request) -> str:
    return f"{base_url(request)}/xai-auth"


def mint_tokens(call: Call, email: str, client_id: str, scope: str) -> dict[str, Any]:
    state = call.state
    now = int(time.time())
    ttl = int(state.setting("accessTokenTtl"))
    sub = str(uuid.uuid5(uuid.NAMESPACE_DNS, email))
    base = {"iss": issuer(call.request), "sub": sub, "aud": client_id, "iat": now, "exp": now + ttl}
    access_token = jwt_util.encode({**base, "email": email, "scope": scope, "jti": secrets.token_hex(8)})
    id_token = jwt_util.encode({**base, "email": email, "email_verified": True, "name": email.split("@")[0]})
    refresh_token = f"xrt-{secrets.token_urlsafe(24)}"
    state.issued_tokens.add(access_token)
    state.refresh_tokens[refresh_token] = {
        "kind": "xai",
        "email": email,
        "client_id": client_id,
        "scope": scope,
        "used": False,
    }
    return {
        "access_token": access_token,
        "refresh_token": refresh_token,
        "id_token": id_token,
        "expires_in": ttl,
        "token_type": "Bearer",
        "scope": scope,
    }


def _device_token(call: Call, params: dict[str, Any]) -> Response:
    state = call.state
    grant = state.devices.get(str(params.get("device_code") or ""))
    if grant is None or grant.kind != "xai":
        return oauth2_error(400, "invalid_grant", "Unknown device code.")
    if grant.status == "consumed":
        return oauth2_error(400, "invalid_grant", "The device code has already been used.")
    now = time.time()
    if now > grant.expires_at:
        return oauth2_error(400, "expired_token", "The device code has expired.")
    if grant.status == "denied":
        return oauth2_error(400, "access_denied", "The user denied the authorization request.")
    if grant.last_poll and now - grant.last_poll < grant.interval:
        grant.last_poll = now
        grant.interval += 5
        return oauth2_error(400, "slow_down", f"Polling too fast; wait {grant.interval} seconds.")
    grant.last_poll = now
    grant.polls += 1
    state.auto_approve(grant)
    if grant.status == "pending":
        return oauth2_error(400, "authorization_pending", "The user has not yet approved the device.")
    grant.status = "consumed"
    return JSONResponse(mint_tokens(call, grant.email, grant.client_id, grant.scope))


def _refresh(call: Call, params: dict[str, Any]) -> Response:
    token = str(params.get("refresh_token") or "")
    info = call.state.refresh_tokens.get(token)
    if info is None or info["kind"] != "xai":
        return oauth2_error(400, "invalid_grant", "Unknown refresh token.")
    if info["used"]:
        return oauth2_error(400, "refresh_token_reused", "The refresh token has already been used.")
    info["used"] = True  # xAI rotates refresh tokens
    return JSONResponse(mint_tokens(call, info["email"], info["client_id"], info["scope"]))


def build_router() -> APIRouter:
    router = APIRouter(prefix="/xai-auth")

    @router.get("/.well-known/openid-configuration")
    async def discovery(request: Request) -> Response:
        call = await begin(request, UPSTREAM)
        if call.response is not None:
            return call.response
        root = issuer(request)
        return JSONResponse(
            {
                "issuer": root,
                "authorization_endpoint": f"{root}/oauth2/auth",
                "token_endpoint": f"{root}/oauth2/token",
                "device_authorization_endpoint": f"{root}/oauth2/device/code",
                "userinfo_endpoint": f"{root}/oauth2/userinfo",
                "jwks_uri": f"{root}/.well-known/jwks.json",
                "grant_types_supported": ["authorization_code", "refresh_token", DEVICE_GRANT],
                "response_types_supported": ["code"],
                "scopes_supported": DEFAULT_SCOPE.split(),
                "token_endpoint_auth_methods_supported": ["none", "client_secret_post"],
                "id_token_signing_alg_values_supported": ["HS256"],
            }
        )

    @router.get("/.well-known/jwks.json")
    async def jwks(request: Request) -> Response:
        call = await begin(request, UPSTREAM)
        return call.response or JSONResponse({"keys": []})

    @router.post("/oauth2/device/code")
    async def device_code(request: Request) -> Response:
        call = await begin(request, UPSTREAM)
        if call.response is not None:
            return call.response
        params = call.form if call.form is not None else (call.body or {})
        client_id = str(params.get("client_id") or "")
        if not client_id:
            return oauth2_error(400, "invalid_client", "client_id is required.")
        state = call.state
        expires_in = int(state.setting("deviceExpiresIn"))
        grant = DeviceGrant(
            "xai",
            secrets.token_urlsafe(32),
            new_user_code(USER_CODE_LETTERS, 4, 4),
            client_id,
            str(params.get("scope") or DEFAULT_SCOPE),
            int(state.setting("deviceInterval")),
            time.time() + expires_in,
        )
        state.devices[grant.device_code] = grant
        verify = f"{issuer(request)}/device"
        return JSONResponse(
            {
                "device_code": grant.device_code,
                "user_code": grant.user_code,
                "verification_uri": verify,
                "verification_uri_complete": f"{verify}?user_code={grant.user_code}",
                "expires_in": expires_in,
                "interval": grant.interval,
            }
        )

    @router.post("/oauth2/token")
    async def token(request: Request) -> Response:
        call = await begin(request, UPSTREAM)
        if call.response is not None:
            return call.response
        params = call.form if call.form is not None else (call.body or {})
        grant_type = params.get("grant_type")
        if grant_type == DEVICE_GRANT:
            return _device_token(call, params)
        if grant_type == "refresh_token":
            return _refresh(call, params)
        return oauth2_error(400, "unsupported_grant_type", f"Unsupported grant_type: {grant_type}")

    @router.get("/oauth2/userinfo")
    async def userinfo(request: Request) -> Response:
        call = await begin(request, UPSTREAM)
        if call.response is not None:
            return call.response
        token = call.bearer()
        claims = jwt_util.claims_of(token) if token in call.state.issued_tokens else None
        if claims is None or jwt_util.expired(claims):
            return oauth2_error(401, "invalid_token", "The access token is invalid or expired.")
        return JSONResponse(
            {
                "sub": claims["sub"],
                "email": claims["email"],
                "email_verified": True,
                "name": claims["email"].split("@")[0],
            }
        )

    @router.get("/device")
    async def device_page(request: Request) -> Response:
        call = await begin(request, UPSTREAM)
        return call.response or PlainTextResponse(
            'ima2 sandbox: approve this device with POST /_sandbox/device/approve {"userCode": "…"}.'
        )

    return router
