"""Where the `grok` provider (the stored Grok OAuth login) sends its xAI calls.

`IMA2_GROK_TRANSPORT`:
- `auto` (default): xAI directly with the stored login's bearer when one is stored (refreshed by
  svc-auth on expiry or a 401), else the progrok proxy with a dummy bearer (the proxy keeps its own
  session);
- `direct`: always xAI directly; without a stored login the call fails with GROK_AUTH_FAILED;
- `proxy`: always the progrok proxy (`IMA2_GROK_PROXY_URL`), with the stored bearer when present.
"""

from __future__ import annotations

from dataclasses import dataclass

from ima2_common.errors import Ima2Error
from ima2_common.settings import Settings

TRANSPORTS = ("auto", "direct", "proxy")
DUMMY_BEARER = "dummy"


@dataclass(frozen=True)
class GrokRoute:
    base_url: str
    bearer: str
    direct: bool  # True: api.x.ai with the stored login; False: the progrok proxy


def grok_route(settings: Settings, stored_secret: str) -> GrokRoute:
    secret = stored_secret.strip()
    transport = settings.grok_transport if settings.grok_transport in TRANSPORTS else "auto"
    if transport == "proxy" or (transport == "auto" and not secret):
        return GrokRoute(settings.grok_proxy_url.rstrip("/"), secret or DUMMY_BEARER, False)
    if not secret:
        raise Ima2Error("GROK_AUTH_FAILED", "No Grok login is stored. Use Switch Account to sign in.")
    return GrokRoute(settings.xai_base_url.rstrip("/"), secret, True)
