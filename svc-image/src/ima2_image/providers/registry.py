"""Builds the providers this build supports from settings; no provider knows about the sandbox."""

from __future__ import annotations

import httpx

from ima2_common.errors import Ima2Error
from ima2_common.grpc_client import ServiceClient
from ima2_common.settings import Settings
from ima2_image.providers.base import ImageProvider
from ima2_image.providers.openai_responses import ResponsesImageProvider
from ima2_proto.v1 import auth_pb2


class ProviderRegistry:
    def __init__(self, settings: Settings, http: httpx.AsyncClient, auth: ServiceClient) -> None:
        self.settings = settings
        self.http = http
        self.auth = auth

    async def _secret(self, provider: str) -> str:
        credential = await self.auth.call("GetCredential", auth_pb2.GetCredentialRequest(provider=provider))
        return str(credential.secret)

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
            return ResponsesImageProvider(
                "oauth",
                settings.oauth_proxy_url,
                self.http,
                None,
                missing_key_code="OAUTH_UNAVAILABLE",
                timeout_code="OAUTH_IMAGE_TIMEOUT",
                unreachable_code="OAUTH_UNAVAILABLE",
                timeout_seconds=settings.openai_image_timeout_seconds,
            )
        raise Ima2Error("INVALID_PROVIDER", f"Provider {provider!r} is not available in this build.")

    @staticmethod
    def available() -> tuple[str, ...]:
        return ("oauth", "api")
