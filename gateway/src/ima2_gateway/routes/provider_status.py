"""GET /api/oauth/status, /api/grok/status, /api/agy/status: svc-image probes the provider."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from ima2_gateway.context import Gateway, gateway
from ima2_gateway.models.status import AgyStatus, OAuthStatus, ProviderState
from ima2_gateway.openapi import contract
from ima2_gateway.routes.health import backend_runtime
from ima2_proto.v1 import image_pb2

router = APIRouter(tags=["status"])
STATUS_TIMEOUT = 6.0


async def probe(gw: Gateway, provider: str) -> image_pb2.ProviderStatus:
    image = gw.services.image
    return await image.unary(
        image.stub.GetProviderStatus,
        image_pb2.ProviderStatusRequest(provider=provider),
        timeout=STATUS_TIMEOUT,
    )


def _status(reply: image_pb2.ProviderStatus) -> dict[str, Any]:
    body: dict[str, Any] = {"status": reply.status}
    if reply.models:
        body["models"] = list(reply.models)
    if reply.reason:
        body["reason"] = reply.reason
    return body


@router.get(
    "/api/oauth/status",
    operation_id="oauthStatus",
    summary="Codex OAuth proxy status and models",
    **contract(OAuthStatus, errors="flat"),
)
async def oauth_status(request: Request) -> dict[str, Any]:
    gw = gateway(request)
    reply = await probe(gw, "oauth")
    url = reply.url.removesuffix("/v1") if reply.url else gw.settings.oauth_proxy_url.removesuffix("/v1")
    port = url.rsplit(":", 1)[-1].split("/", 1)[0]
    oauth = {
        "configuredPort": int(port) if port.isdigit() else None,
        "actualPort": int(port) if port.isdigit() else None,
        "url": url,
        "status": reply.status,
    }
    return {**_status(reply), "runtime": {"backend": backend_runtime(gw), "oauth": oauth}}


@router.get(
    "/api/grok/status",
    operation_id="grokStatus",
    summary="Grok (progrok) status and image models",
    **contract(ProviderState, errors="flat"),
)
async def grok_status(request: Request) -> dict[str, Any]:
    return _status(await probe(gateway(request), "grok"))


@router.get(
    "/api/agy/status",
    operation_id="agyStatus",
    summary="Antigravity CLI install status",
    **contract(AgyStatus, errors="flat"),
)
async def agy_status(request: Request) -> dict[str, Any]:
    reply = await probe(gateway(request), "agy")
    body: dict[str, Any] = {"installed": reply.installed, "status": reply.status}
    if reply.installed and reply.reason:
        body["version"] = reply.reason  # `agy --version`
    return body
