"""The xAI (Grok) device-code login, RFC 8628 (reference upstream-apis §3.4), and token refresh.

Endpoints come from the issuer's OIDC discovery document and are trusted only when they sit on
the configured issuer's origin (`IMA2_XAI_AUTH_URL`) or on auth.x.ai / accounts.x.ai over https.
"""

from __future__ import annotations

import logging
import time
from typing import Any
from urllib.parse import urlsplit

import httpx

from ima2_auth import jwt
from ima2_auth.oauth.device import (
    HTTP_TIMEOUT_SECONDS,
    DeviceStart,
    PollOutcome,
    RefreshFailed,
    StartFailed,
    oauth_error_code,
)
from ima2_auth.oauth.tokens import OAuthToken, merged
from ima2_common.logging import log_fields
from ima2_common.settings import Settings

log = logging.getLogger("ima2.auth.xai")
CLIENT_ID = "b1a00492-073a-47ea-816f-4c329264a828"
SCOPE = "openid profile email offline_access grok-cli:access api:access"
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
TRUSTED_HOSTS = ("auth.x.ai", "accounts.x.ai")
DEFAULT_INTERVAL = 5
DEFAULT_LIFETIME = 900


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme.lower(), parts.netloc.lower()


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


class XaiDeviceLogin:
    provider = "grok"

    def __init__(self, settings: Settings, http: httpx.AsyncClient) -> None:
        self.issuer = settings.xai_auth_url.rstrip("/")
        self.http = http
        self._discovery: dict[str, str] | None = None

    def trusted(self, url: str) -> bool:
        scheme, netloc = _origin(url)
        if (scheme, netloc) == _origin(self.issuer):
            return True
        return scheme == "https" and netloc in TRUSTED_HOSTS

    async def endpoints(self) -> dict[str, str]:
        if self._discovery is not None:
            return self._discovery
        response = await self.http.get(
            f"{self.issuer}/.well-known/openid-configuration", timeout=HTTP_TIMEOUT_SECONDS
        )
        body = _json(response)
        if response.status_code >= 300 or not isinstance(body, dict):
            raise StartFailed(f"The xAI OIDC discovery failed (HTTP {response.status_code}).")
        found = {}
        for key in ("device_authorization_endpoint", "token_endpoint"):
            url = body.get(key)
            if not isinstance(url, str) or not self.trusted(url):
                raise StartFailed(f"The xAI OIDC discovery named an untrusted {key}.")
            found[key] = url
        self._discovery = found
        return found

    async def start(self) -> DeviceStart:
        try:
            endpoints = await self.endpoints()
            response = await self.http.post(
                endpoints["device_authorization_endpoint"],
                data={"client_id": CLIENT_ID, "scope": SCOPE},
                timeout=HTTP_TIMEOUT_SECONDS,
            )
        except httpx.HTTPError as exc:
            raise StartFailed(f"auth.x.ai could not be reached ({type(exc).__name__}).") from None
        body = _json(response)
        if response.status_code >= 300 or not isinstance(body, dict) or not body.get("device_code"):
            raise StartFailed(f"auth.x.ai refused the login (HTTP {response.status_code}).")
        verification = body.get("verification_uri_complete") or body.get("verification_uri") or ""
        try:
            interval = max(1, int(body.get("interval") or DEFAULT_INTERVAL))
            lifetime = max(1, int(body.get("expires_in") or DEFAULT_LIFETIME))
        except (TypeError, ValueError):
            interval, lifetime = DEFAULT_INTERVAL, DEFAULT_LIFETIME
        return DeviceStart(
            str(body["device_code"]), str(body.get("user_code") or ""), str(verification), interval, lifetime
        )

    def _token(self, body: dict[str, Any], token_endpoint: str, old: OAuthToken | None = None) -> OAuthToken:
        id_claims = jwt.claims(str(body.get("id_token") or ""))
        access = str(body.get("access_token") or "")
        expires_in = body.get("expires_in")
        expires = (
            int((time.time() + expires_in) * 1000)
            if isinstance(expires_in, int | float)
            else jwt.expiry_ms(access)
        )
        token = OAuthToken(
            access_token=access,
            refresh_token=str(body.get("refresh_token") or ""),
            expires_at_ms=expires,
            id_token=str(body.get("id_token") or ""),
            account_id=str(id_claims.get("sub") or ""),
            email=str(id_claims.get("email") or ""),
            token_endpoint=token_endpoint,
        )
        return merged(old, token) if old else token

    async def poll(self, start: DeviceStart) -> PollOutcome:
        try:
            endpoint = (await self.endpoints())["token_endpoint"]
            response = await self.http.post(
                endpoint,
                data={"grant_type": DEVICE_GRANT, "client_id": CLIENT_ID, "device_code": start.device_code},
                timeout=HTTP_TIMEOUT_SECONDS,
            )
        except (httpx.HTTPError, StartFailed):
            return PollOutcome("retry", message="auth.x.ai could not be reached.")
        status = response.status_code
        body = _json(response)
        if 200 <= status < 300 and isinstance(body, dict) and body.get("access_token"):
            return PollOutcome("complete", token=self._token(body, endpoint))
        code = oauth_error_code(body)
        if code == "authorization_pending":
            return PollOutcome("pending")
        if code == "slow_down":
            return PollOutcome("slow_down")
        if code == "expired_token":
            return PollOutcome("expired", message="The device code expired.")
        if code == "access_denied":
            return PollOutcome("denied", message="The login was denied.")
        if status == 429 or status >= 500:
            return PollOutcome("retry", message=f"auth.x.ai answered HTTP {status}.")
        return PollOutcome("error", message=f"auth.x.ai refused the login (HTTP {status}).")

    async def refresh(self, token: OAuthToken) -> OAuthToken:
        if not token.refresh_token:
            raise RefreshFailed("No refresh token is stored.", terminal=True)
        try:
            endpoint = (
                token.token_endpoint
                if token.token_endpoint and self.trusted(token.token_endpoint)
                else (await self.endpoints())["token_endpoint"]
            )
            response = await self.http.post(
                endpoint,
                data={
                    "grant_type": "refresh_token",
                    "client_id": CLIENT_ID,
                    "refresh_token": token.refresh_token,
                },
                timeout=HTTP_TIMEOUT_SECONDS,
            )
        except (httpx.HTTPError, StartFailed) as exc:
            raise RefreshFailed(f"auth.x.ai could not be reached ({type(exc).__name__}).", False) from None
        status = response.status_code
        body = _json(response)
        if 200 <= status < 300 and isinstance(body, dict) and body.get("access_token"):
            return self._token(body, endpoint, token)
        code = oauth_error_code(body)
        log.warning("grok refresh refused", extra=log_fields(status=status, code=code))
        if status == 429 or status >= 500:
            raise RefreshFailed(f"auth.x.ai answered HTTP {status}.", terminal=False)
        raise RefreshFailed("The Grok session can no longer be refreshed.", terminal=True)
