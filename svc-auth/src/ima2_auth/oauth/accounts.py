"""The stored OAuth logins (codex, grok): read per use, refreshed near expiry, refreshed once on demand.

One refresh at a time per provider (xAI rotates refresh tokens, so two concurrent refreshes would
burn the session). A caller that saw a 401 names the token it was refused with; when the stored
token already differs, another caller refreshed it and that token is returned as is.
"""

from __future__ import annotations

import asyncio
import logging
import time

from ima2_auth.oauth.device import DeviceLoginClient, RefreshFailed
from ima2_auth.oauth.tokens import OAuthToken, TokenFile
from ima2_common.errors import Ima2Error
from ima2_common.logging import log_fields

log = logging.getLogger("ima2.auth.accounts")
REFRESH_MARGIN_MS = 5 * 60 * 1000  # refresh a token this close to its expiry
REFRESH_DEBOUNCE_SECONDS = 10.0  # a forced refresh right after another returns that one
FAILED_REFRESH_BACKOFF_SECONDS = 30.0  # a failed refresh near expiry is not retried sooner
AUTH_ERRORS = {"codex": "AUTH_CHATGPT_EXPIRED", "grok": "GROK_AUTH_FAILED"}
MISSING_ERRORS = {"codex": "OAUTH_SESSION_REQUIRED", "grok": "GROK_AUTH_FAILED"}
OAUTH_PROVIDERS = ("codex", "grok")


def now_ms() -> int:
    return int(time.time() * 1000)


class OAuthAccounts:
    def __init__(self, files: dict[str, TokenFile], clients: dict[str, DeviceLoginClient]) -> None:
        self.files = files
        self.clients = clients
        self._locks = {provider: asyncio.Lock() for provider in files}
        self._last_refresh: dict[str, tuple[str, float]] = {}
        self._last_failure: dict[str, float] = {}

    async def current(self, provider: str) -> OAuthToken | None:
        return await asyncio.to_thread(self.files[provider].read)

    async def save(self, provider: str, token: OAuthToken) -> None:
        async with self._locks[provider]:
            await asyncio.to_thread(self.files[provider].write, token)
        log.info("oauth login stored", extra=log_fields(provider=provider, expiresAt=token.expires_at_ms))

    @staticmethod
    def _near_expiry(token: OAuthToken) -> bool:
        return bool(token.refresh_token and token.expires_at_ms) and (
            token.expires_at_ms - now_ms() < REFRESH_MARGIN_MS
        )

    async def get(self, provider: str) -> OAuthToken | None:
        """The stored token, refreshed first when it is close to expiry."""
        token = await self.current(provider)
        if token is None or not self._near_expiry(token):
            return token
        failed_at = self._last_failure.get(provider, 0.0)
        if time.monotonic() - failed_at < FAILED_REFRESH_BACKOFF_SECONDS and not token.expired():
            return token
        async with self._locks[provider]:
            token = await self.current(provider)
            if token is None or not self._near_expiry(token):
                return token
            try:
                return await self._refresh_locked(provider, token)
            except RefreshFailed as exc:
                self._last_failure[provider] = time.monotonic()
                if token.expired():
                    raise Ima2Error(AUTH_ERRORS[provider], f"{exc} Sign in again.") from None
                return token

    async def refresh(self, provider: str, rejected: str = "") -> OAuthToken:
        """Force one refresh (after an upstream 401); AUTH_CHATGPT_EXPIRED / GROK_AUTH_FAILED when it fails."""
        async with self._locks[provider]:
            token = await self.current(provider)
            if token is None:
                raise Ima2Error(MISSING_ERRORS[provider])
            if rejected and token.access_token != rejected:
                return token
            last = self._last_refresh.get(provider)
            if (
                not rejected
                and last
                and last[0] == token.access_token
                and time.monotonic() - last[1] < REFRESH_DEBOUNCE_SECONDS
            ):
                return token
            try:
                return await self._refresh_locked(provider, token)
            except RefreshFailed as exc:
                raise Ima2Error(AUTH_ERRORS[provider], f"{exc} Sign in again.") from None

    async def _refresh_locked(self, provider: str, token: OAuthToken) -> OAuthToken:
        fresh = await self.clients[provider].refresh(token)
        await asyncio.to_thread(self.files[provider].write, fresh)
        self._last_refresh[provider] = (fresh.access_token, time.monotonic())
        self._last_failure.pop(provider, None)
        log.info("oauth token refreshed", extra=log_fields(provider=provider, expiresAt=fresh.expires_at_ms))
        return fresh
