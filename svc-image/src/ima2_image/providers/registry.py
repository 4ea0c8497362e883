"""Builds the providers this build supports from settings; no provider knows about the sandbox."""

from __future__ import annotations

import httpx

from ima2_common.errors import Ima2Error
from ima2_common.grok_route import grok_route
from ima2_common.settings import Settings
from ima2_image.clients import AuthClient
from ima2_image.providers.agy import AgyImageProvider
from ima2_image.providers.base import ImageProvider
from ima2_image.providers.codex import OAuthImageProvider
from ima2_image.providers.credentials import AuthServiceCredentials, CredentialSource
from ima2_image.providers.gemini import GeminiImageProvider
from ima2_image.providers.grok import GrokImageProvider
from ima2_image.providers.openai_responses import ResponsesImageProvider
from ima2_image.providers.vertex_auth import VertexTokenCache

PROVIDERS = ("oauth", "api", "grok", "grok-api", "gemini-api", "agy")


class ProviderRegistry:
    def __init__(
        self,
        settings: Settings,
        http: httpx.AsyncClient,
        auth: AuthClient | None,
        credentials: CredentialSource | None = None,
    ) -> None:
        self.settings = settings
        self.http = http
        self.auth = auth
        if credentials is None:
            if auth is None:
                raise ValueError("a ProviderRegistry needs svc-auth or a credential source")
            credentials = AuthServiceCredentials(auth)
        self.credentials = credentials
        self.vertex_tokens = VertexTokenCache()  # shared by every job: tokens live about an hour

    async def _secret(self, provider: str) -> str:
        return (await self.credentials.get(provider)).secret

    def create(self, provider: str) -> ImageProvider:
        """A fresh provider object per job (they hold the credential for that call)."""
        settings = self.settings
        if provider == "api":
            return ResponsesImageProvider(
                "api",
                settings.openai_base_url,
                self.http,
                lambda: self._secret("openai"),
                missing_key_code="API_KEY_REQUIRED",
                timeout_code="RESPONSES_IMAGE_TIMEOUT",
                unreachable_code="NETWORK_FAILED",
                timeout_seconds=settings.openai_image_timeout_seconds,
            )
        if provider == "oauth":
            return OAuthImageProvider(
                settings.oauth_proxy_url,
                settings.codex_base_url,
                self.http,
                self.credentials,
                timeout_seconds=settings.openai_image_timeout_seconds,
            )
        if provider in ("grok", "grok-api"):
            oauth = provider == "grok"
            return GrokImageProvider(
                provider,
                settings.grok_proxy_url if oauth else settings.xai_base_url,
                self.http,
                self.credentials,
                credential_name="grok" if oauth else "xai",
                oauth=oauth,
                planner_model=settings.grok_planner_model,
                search_timeout=settings.grok_search_timeout_ms / 1000,
                planner_timeout=settings.grok_planner_timeout_ms / 1000,
                image_timeout=settings.grok_image_timeout_ms / 1000,
                router=(lambda secret: grok_route(settings, secret)) if oauth else None,
            )
        if provider == "gemini-api":
            return GeminiImageProvider(
                settings.gemini_base_url,
                settings.vertex_base_url,
                self.http,
                self.credentials,
                self.vertex_tokens,
                timeout_seconds=settings.gemini_timeout_seconds,
            )
        if provider == "agy":
            return AgyImageProvider(settings.agy_bin, settings.agy_timeout_seconds)
        raise Ima2Error("INVALID_PROVIDER", f"Provider {provider!r} is not available in this build.")

    @staticmethod
    def available() -> tuple[str, ...]:
        return PROVIDERS
