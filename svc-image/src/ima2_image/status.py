"""Provider readiness probes (GetProviderStatus, behind /api/providers, /api/health and the status routes).

- oauth: `GET /models` through the local OAuth proxy, or the Codex backend's model list when svc-auth
  holds a Codex session;
- grok: `GET /models` through the progrok base: ready when a model id starts with `grok-imagine`,
  `auth_required` / `login_required` when the proxy or xAI refuses the session;
- agy: `agy --version` (3 s) → `installed`;
- api, grok-api, gemini-api: the configured credentials (the provider's own check_ready).
"""

from __future__ import annotations

from typing import Any

import httpx

from ima2_common.errors import Ima2Error
from ima2_common.grok_route import grok_route
from ima2_image.providers.agy import AgyImageProvider
from ima2_image.providers.codex import account_id_of
from ima2_image.providers.credentials import Credential
from ima2_image.providers.registry import ProviderRegistry
from ima2_proto.v1 import image_pb2

PROBE_TIMEOUT = 3.0
CODEX_CLIENT_VERSION = "0.157.0"
GROK_IMAGE_PREFIX = "grok-imagine"


class ProviderStatusProbe:
    def __init__(self, registry: ProviderRegistry, http: httpx.AsyncClient) -> None:
        self.registry = registry
        self.http = http

    async def status_of(self, provider: str) -> str:
        """Just the status word (ready | offline | auth_required | …)."""
        return (await self.status(provider)).status

    async def status(self, provider: str) -> image_pb2.ProviderStatus:
        if provider not in self.registry.available():
            return image_pb2.ProviderStatus(provider=provider, status="offline", reason="not_in_build")
        if provider == "oauth":
            return await self._oauth()
        if provider == "grok":
            return await self._grok()
        if provider == "agy":
            return await self._agy()
        try:
            await self.registry.create(provider).check_ready()
        except Ima2Error as err:
            return image_pb2.ProviderStatus(provider=provider, status="auth_required", reason=err.code)
        return image_pb2.ProviderStatus(provider=provider, status="ready")

    async def _credential(self, name: str) -> Credential:
        try:
            return await self.registry.credentials.get(name)
        except Ima2Error:
            return Credential()

    async def _oauth(self) -> image_pb2.ProviderStatus:
        settings = self.registry.settings
        credential = await self._credential("codex")
        token = credential.secret.strip()
        if not token:
            return await self._probe_models("oauth", settings.oauth_proxy_url, {})
        headers = {
            "Authorization": f"Bearer {token}",
            "chatgpt-account-id": credential.account_id or account_id_of(token),
        }
        return await self._probe_models(
            "oauth", settings.codex_base_url, headers, params={"client_version": CODEX_CLIENT_VERSION}
        )

    async def _grok(self) -> image_pb2.ProviderStatus:
        token = (await self._credential("grok")).secret
        try:
            route = grok_route(self.registry.settings, token)
        except Ima2Error:
            return image_pb2.ProviderStatus(provider="grok", status="auth_required", reason="login_required")
        status = await self._probe_models("grok", route.base_url, {"Authorization": f"Bearer {route.bearer}"})
        if status.status == "auth_required":
            status.reason = "login_required"
        elif status.status == "ready" and not any(m.startswith(GROK_IMAGE_PREFIX) for m in status.models):
            status.status = "no_image_model"
        return status

    async def _agy(self) -> image_pb2.ProviderStatus:
        provider = self.registry.create("agy")
        assert isinstance(provider, AgyImageProvider)
        version = await provider.version()
        if version is None:
            return image_pb2.ProviderStatus(
                provider="agy", status="offline", installed=False, reason="not_installed"
            )
        return image_pb2.ProviderStatus(provider="agy", status="ready", installed=True, reason=version[:120])

    async def _probe_models(
        self, provider: str, base_url: str, headers: dict[str, str], params: dict[str, str] | None = None
    ) -> image_pb2.ProviderStatus:
        url = base_url.rstrip("/")
        try:
            response = await self.http.get(
                f"{url}/models", headers=headers, params=params, timeout=PROBE_TIMEOUT
            )
        except httpx.HTTPError:
            return image_pb2.ProviderStatus(provider=provider, status="offline", url=url)
        if response.status_code in (401, 403):
            return image_pb2.ProviderStatus(provider=provider, status="auth_required", url=url)
        if response.status_code >= 400:
            return image_pb2.ProviderStatus(
                provider=provider, status="error", url=url, reason=f"http_{response.status_code}"
            )
        return image_pb2.ProviderStatus(
            provider=provider, status="ready", models=_model_ids(response), url=url
        )


def _model_ids(response: httpx.Response) -> list[str]:
    """OpenAI-style `{data:[{id}]}` or the Codex backend's `{models:[{slug, visibility}]}`."""
    try:
        body: Any = response.json()
    except ValueError:
        return []
    if not isinstance(body, dict):
        return []
    ids = [str(m.get("id")) for m in body.get("data") or [] if isinstance(m, dict) and m.get("id")]
    ids += [
        str(m.get("slug"))
        for m in body.get("models") or []
        if isinstance(m, dict) and m.get("slug") and m.get("visibility") != "hide"
    ]
    return ids
