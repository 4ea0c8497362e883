"""Google's token endpoint (§4.4) at `/google-oauth/token`: a service-account JWT bearer exchange.

The RS256 signature cannot be checked without the caller's public key, so the assertion is
checked for structure instead: three base64url parts, header alg RS256, a plausible signature
length, claims iss/scope/aud/iat/exp with exp - iat <= 3600 and a current timeframe.
"""

from __future__ import annotations

import secrets
import time
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from ima2_sandbox import jwt_util
from ima2_sandbox.control import begin
from ima2_sandbox.errors import oauth2_error

JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
MIN_SIGNATURE_BYTES = 128  # a 1024-bit RSA signature; 2048-bit keys give 256
CLOCK_SKEW = 300
SHORT_LIVED = (
    "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. "
    "Check your iat and exp values in the JWT claim."
)


def check_assertion(assertion: str) -> tuple[dict[str, Any] | None, str]:
    """(claims, "") when acceptable, else (None, error_description)."""
    parsed = jwt_util.split(assertion)
    if parsed is None:
        return None, "Invalid JWT Signature."
    header, claims, signature = parsed
    if header.get("alg") != "RS256" or len(signature) < MIN_SIGNATURE_BYTES:
        return None, "Invalid JWT Signature."
    if not all(isinstance(claims.get(k), str) and claims[k] for k in ("iss", "scope", "aud")):
        return None, "Invalid JWT Signature."
    iat, exp = claims.get("iat"), claims.get("exp")
    if not isinstance(iat, int | float) or not isinstance(exp, int | float):
        return None, SHORT_LIVED
    now = time.time()
    if exp - iat > 3600 or exp <= iat or exp < now - CLOCK_SKEW or iat > now + CLOCK_SKEW:
        return None, SHORT_LIVED
    return claims, ""


def build_router() -> APIRouter:
    router = APIRouter(prefix="/google-oauth")

    @router.post("/token")
    async def token(request: Request) -> Response:
        call = await begin(request, "google-oauth")
        if call.response is not None:
            return call.response
        params = call.form if call.form is not None else (call.body or {})
        grant_type = params.get("grant_type")
        if grant_type != JWT_BEARER:
            return oauth2_error(400, "unsupported_grant_type", f"Invalid grant_type: {grant_type}")
        claims, problem = check_assertion(str(params.get("assertion") or ""))
        if claims is None:
            return oauth2_error(400, "invalid_grant", problem)
        if "deleted" in claims["iss"] or "unknown" in claims["iss"]:
            return oauth2_error(401, "invalid_client", "The OAuth client was not found.")
        ttl = int(call.state.setting("googleTokenTtl"))
        access_token = f"ya29.sandbox-{secrets.token_urlsafe(32)}"
        call.state.google_tokens[access_token] = {
            "expires_at": time.time() + ttl,
            "iss": claims["iss"],
            "scope": claims["scope"],
        }
        return JSONResponse({"access_token": access_token, "expires_in": ttl, "token_type": "Bearer"})

    return router
