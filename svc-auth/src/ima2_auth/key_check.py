"""The upstream check of a key before it is saved: one GET of the provider's models endpoint."""

from __future__ import annotations

import logging

import httpx

from ima2_common.errors import Ima2Error
from ima2_common.logging import log_fields
from ima2_common.settings import Settings

log = logging.getLogger("ima2.auth.keycheck")
CHECK_TIMEOUT_SECONDS = 10.0
LABELS = {"openai": "OpenAI", "xai": "xAI", "gemini": "Gemini"}


class KeyChecker:
    def __init__(self, settings: Settings, http: httpx.AsyncClient) -> None:
        self.settings = settings
        self.http = http

    def _request(self, provider: str, key: str) -> tuple[str, dict[str, str]]:
        if provider == "gemini":
            return f"{self.settings.gemini_base_url.rstrip('/')}/models", {"x-goog-api-key": key}
        base = self.settings.openai_base_url if provider == "openai" else self.settings.xai_base_url
        return f"{base.rstrip('/')}/models", {"Authorization": f"Bearer {key}"}

    async def check(self, provider: str, key: str) -> None:
        """Return when the upstream accepts the key.

        A refusal (any 4xx but 429) is KEY_VALIDATION_FAILED; no answer, a 429 or a 5xx is
        KEY_CHECK_FAILED, since it says nothing about the key. Upstream bodies are never relayed."""
        url, headers = self._request(provider, key)
        label = LABELS[provider]
        try:
            response = await self.http.get(url, headers=headers, timeout=CHECK_TIMEOUT_SECONDS)
        except httpx.HTTPError as exc:
            log.warning(
                "key check unreachable", extra=log_fields(provider=provider, error=type(exc).__name__)
            )
            raise Ima2Error("KEY_CHECK_FAILED", f"{label} could not be reached to check the key.") from None
        status = response.status_code
        log.info("key check", extra=log_fields(provider=provider, status=status))
        if 200 <= status < 300:
            return
        if status == 429 or status >= 500:
            raise Ima2Error("KEY_CHECK_FAILED", f"{label} could not check the key (HTTP {status}).")
        raise Ima2Error("KEY_VALIDATION_FAILED", f"{label} rejected the key (HTTP {status}).")
