"""The ChatGPT/Codex device-code login (reference upstream-apis §3.3 b) and token refresh (§3.2)."""

from __future__ import annotations

import logging
import time
from typing import Any

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
from ima2_auth.oauth.tokens import OAuthToken, chatgpt_account_id, merged, token_email
from ima2_common.logging import log_fields
from ima2_common.settings import Settings

log = logging.getLogger("ima2.auth.codex")
CLIENT_ID = "app_EMoamEEZ73f0CkXaXp7hrann"
REDIRECT_URI = "https://auth.openai.com/deviceauth/callback"
DEVICE_LIFETIME_SECONDS = 15 * 60
DEFAULT_INTERVAL = 5


def _json(response: httpx.Response) -> object:
    try:
        return response.json()
    except ValueError:
        return None


def _token_from(body: dict[str, Any], old: OAuthToken | None = None) -> OAuthToken:
    access = str(body.get("access_token") or "")
    id_token = str(body.get("id_token") or "")
    expires = jwt.expiry_ms(access)
    if not expires and isinstance(body.get("expires_in"), int | float):
        expires = int((time.time() + body["expires_in"]) * 1000)
    token = OAuthToken(
        access_token=access,
        refresh_token=str(body.get("refresh_token") or ""),
        expires_at_ms=expires,
        id_token=id_token,
        account_id=chatgpt_account_id(id_token, access),
        email=token_email(id_token, access),
    )
    return merged(old, token) if old else token


class CodexDeviceLogin:
    provider = "codex"

    def __init__(self, settings: Settings, http: httpx.AsyncClient) -> None:
        self.base = settings.openai_auth_url.rstrip("/")
        self.http = http

    async def start(self) -> DeviceStart:
        try:
            response = await self.http.post(
                f"{self.base}/api/accounts/deviceauth/usercode",
                json={"client_id": CLIENT_ID},
                timeout=HTTP_TIMEOUT_SECONDS,
            )
        except httpx.HTTPError as exc:
            raise StartFailed(f"auth.openai.com could not be reached ({type(exc).__name__}).") from None
        if response.status_code == 404:
            raise StartFailed("Device-code login is not enabled for this account.")
        if response.status_code == 429:
            raise StartFailed("auth.openai.com rate-limited the login; retry shortly.")
        body = _json(response)
        if response.status_code >= 300 or not isinstance(body, dict):
            raise StartFailed(f"auth.openai.com refused the login (HTTP {response.status_code}).")
        device = str(body.get("device_auth_id") or "")
        user_code = str(body.get("user_code") or body.get("usercode") or "")
        if not device or not user_code:
            raise StartFailed("auth.openai.com answered without a device code.")
        try:
            interval = max(1, int(body.get("interval") or DEFAULT_INTERVAL))
        except (TypeError, ValueError):
            interval = DEFAULT_INTERVAL
        return DeviceStart(device, user_code, f"{self.base}/codex/device", interval, DEVICE_LIFETIME_SECONDS)

    async def poll(self, start: DeviceStart) -> PollOutcome:
        try:
            response = await self.http.post(
                f"{self.base}/api/accounts/deviceauth/token",
                json={"device_auth_id": start.device_code, "user_code": start.user_code},
                timeout=HTTP_TIMEOUT_SECONDS,
            )
        except httpx.HTTPError:
            return PollOutcome("retry", message="auth.openai.com could not be reached.")
        status = response.status_code
        if status in (403, 404):
            return PollOutcome("pending")
        body = _json(response)
        code = oauth_error_code(body)
        if status == 429 or status >= 500:
            return PollOutcome("retry", message=f"auth.openai.com answered HTTP {status}.")
        if status == 410 or code in ("expired_token", "device_code_expired"):
            return PollOutcome("expired", message="The device code expired.")
        if code == "access_denied":
            return PollOutcome("denied", message="The login was denied.")
        if status >= 300 or not isinstance(body, dict) or not body.get("authorization_code"):
            return PollOutcome("error", message=f"auth.openai.com refused the login (HTTP {status}).")
        return await self._exchange(str(body["authorization_code"]), str(body.get("code_verifier") or ""))

    async def _exchange(self, code: str, verifier: str) -> PollOutcome:
        try:
            response = await self.http.post(
                f"{self.base}/oauth/token",
                data={
                    "grant_type": "authorization_code",
                    "client_id": CLIENT_ID,
                    "code": code,
                    "code_verifier": verifier,
                    "redirect_uri": REDIRECT_URI,
                },
                timeout=HTTP_TIMEOUT_SECONDS,
            )
        except httpx.HTTPError:
            return PollOutcome("error", message="auth.openai.com could not be reached for the token.")
        body = _json(response)
        if response.status_code >= 300 or not isinstance(body, dict) or not body.get("access_token"):
            return PollOutcome("error", message=f"The token exchange failed (HTTP {response.status_code}).")
        return PollOutcome("complete", token=_token_from(body))

    async def refresh(self, token: OAuthToken) -> OAuthToken:
        if not token.refresh_token:
            raise RefreshFailed("No refresh token is stored.", terminal=True)
        try:
            response = await self.http.post(
                f"{self.base}/oauth/token",
                json={
                    "grant_type": "refresh_token",
                    "refresh_token": token.refresh_token,
                    "client_id": CLIENT_ID,
                },
                timeout=HTTP_TIMEOUT_SECONDS,
            )
        except httpx.HTTPError as exc:
            raise RefreshFailed(
                f"auth.openai.com could not be reached ({type(exc).__name__}).", False
            ) from None
        body = _json(response)
        status = response.status_code
        if status == 429 or status >= 500:
            raise RefreshFailed(f"auth.openai.com answered HTTP {status}.", terminal=False)
        if status >= 300 or not isinstance(body, dict) or not body.get("access_token"):
            log.warning("codex refresh refused", extra=log_fields(status=status, code=oauth_error_code(body)))
            raise RefreshFailed("The ChatGPT session can no longer be refreshed.", terminal=True)
        return _token_from(body, token)
