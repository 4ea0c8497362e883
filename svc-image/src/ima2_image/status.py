"""Provider readiness probes (/api/providers, /api/oauth/status)."""

from __future__ import annotations

import httpx

from ima2_common.errors import Ima2Error
from ima2_image.providers.registry import ProviderRegistry
from ima2_proto.v1 import image_pb2

PROBE_TIMEOUT = 3.0


class ProviderStatusProbe:
    def __init__(self, registry: ProviderRegistry, http: httpx.AsyncClient) -> None:
        self.registry = registry
        self.http = http

    async def status(self, provider: str) -> image_pb2.ProviderStatus:
        if provider not in self.registry.available():
            return image_pb2.ProviderStatus(provider=provider, status="offline", reason="not_in_build")
        if provider == "oauth":
            return await self._probe_models(provider, self.registry.settings.oauth_proxy_url, None)
        try:
            await self.registry.create(provider).check_ready()
        except Ima2Error as err:
            return image_pb2.ProviderStatus(provider=provider, status="auth_required", reason=err.code)
        return image_pb2.ProviderStatus(provider=provider, status="ready")

    async def _probe_models(self, provider: str, base_url: str, key: str | None) -> image_pb2.ProviderStatus:
        url = base_url.rstrip("/")
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        try:
            response = await self.http.get(f"{url}/models", headers=headers, timeout=PROBE_TIMEOUT)
        except httpx.HTTPError:
            return image_pb2.ProviderStatus(provider=provider, status="offline", url=url)
        if response.status_code in (401, 403):
            return image_pb2.ProviderStatus(provider=provider, status="auth_required", url=url)
        if response.status_code >= 400:
            return image_pb2.ProviderStatus(
                provider=provider, status="error", url=url, reason=f"http_{response.status_code}"
            )
        try:
            models = [str(m.get("id")) for m in response.json().get("data", []) if isinstance(m, dict)]
        except ValueError:
            models = []
        return image_pb2.ProviderStatus(provider=provider, status="ready", models=models, url=url)
