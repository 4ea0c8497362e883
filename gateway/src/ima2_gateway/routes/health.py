"""GET /api/health, /api/providers, /api/capabilities: each reports the real state of each part."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from fastapi import APIRouter, Request

from ima2_common import catalog, limits
from ima2_common.errors import Ima2Error
from ima2_common.replicas import ReplicaProbe
from ima2_gateway.context import Gateway, gateway
from ima2_gateway.models.status import Capabilities, Health, Providers
from ima2_gateway.openapi import contract
from ima2_proto.v1 import common_pb2, image_pb2

router = APIRouter(tags=["status"])
HEALTH_TIMEOUT = 1.0
IMPLEMENTED_SURFACES = {"generate", "edit", "node", "multimode"}


_probes: dict[str, ReplicaProbe] = {}


def replica_probe(address: str) -> ReplicaProbe:
    """One probe per address setting, kept for the gateway's life (its channels reconnect on their own)."""
    probe = _probes.get(address)
    if probe is None:
        probe = _probes[address] = ReplicaProbe(address)
    return probe


async def service_states(gw: Gateway) -> dict[str, dict[str, Any]]:
    """Each service: up when its balanced channel answers, and the state of each listed replica."""
    clients = gw.services.all()
    results, replicas = await asyncio.gather(
        asyncio.gather(*(client.healthy(HEALTH_TIMEOUT) for client in clients.values())),
        asyncio.gather(*(replica_probe(c.address).states(HEALTH_TIMEOUT) for c in clients.values())),
    )
    return {
        name: {"status": "up" if ok else "down", "address": client.address, "replicas": states}
        for (name, client), ok, states in zip(clients.items(), results, replicas, strict=True)
    }


async def nats_state(gw: Gateway) -> dict[str, Any]:
    if not gw.nc.is_connected:
        return {"status": "down"}
    try:
        bounds = await asyncio.wait_for(gw.events.bounds(), HEALTH_TIMEOUT)
    except Exception:
        return {"status": "down"}
    connected = gw.nc.connected_url
    return {
        "status": "up",
        "lastEventId": bounds.last,
        "connectedTo": connected.netloc if connected else None,  # one node of a cluster: the one in use
        "servers": len(gw.nc.servers),  # every node this gateway knows (listed and discovered)
    }


def backend_runtime(gw: Gateway) -> dict[str, Any]:
    settings = gw.settings
    host = "localhost" if settings.host in ("127.0.0.1", "::1", "localhost") else settings.host
    url = f"http://{host}:{settings.port}"
    return {
        "configuredPort": settings.configured_port or settings.port,
        "actualPort": settings.port,
        "url": url,
    }


async def oauth_runtime(gw: Gateway) -> dict[str, Any]:
    url = gw.settings.oauth_proxy_url.removesuffix("/v1")
    port = urlparse(url).port
    status = await provider_status(gw, "oauth")
    return {"configuredPort": port, "actualPort": port, "url": url, "status": status.get("status", "offline")}


async def provider_status(gw: Gateway, provider: str) -> dict[str, Any]:
    try:
        image = gw.services.image
        reply = await image.unary(
            image.stub.GetProviderStatus, image_pb2.ProviderStatusRequest(provider=provider), timeout=4.0
        )
    except Ima2Error:
        return {"status": "offline", "reason": "image_service_down"}
    result: dict[str, Any] = {"status": reply.status}
    if reply.reason:
        result["reason"] = reply.reason
    if reply.models:
        result["models"] = list(reply.models)
    return result


def data_paths(gw: Gateway) -> dict[str, Any]:
    """Where this server keeps its data (the support notes' "paths")."""
    settings = gw.settings
    return {
        "configDir": str(settings.home_dir),
        "configFile": str(settings.config_file),
        "generatedDir": str(settings.generated_path),
        "logsDir": str(settings.logs_dir),
        "serverFile": str(settings.server_file),
        "database": "postgresql" if settings.database_url else str(settings.sqlite_path),
        "overrides": {
            "generatedDir": settings.generated_dir is not None,
            "configDir": settings.home_dir != Path("~/.ima2").expanduser().resolve(),
        },
    }


def provider_policy() -> dict[str, Any]:
    return {
        "default": "oauth",
        "providers": list(catalog.IMAGE_PROVIDERS),
        "videoProviders": list(catalog.VIDEO_PROVIDERS),
        "defaultModels": {p: catalog.default_model(p) for p in catalog.IMAGE_PROVIDERS},
    }


@router.get(
    "/api/health",
    operation_id="health",
    summary="Health of every part (services, NATS), version and runtime ports",
    **contract(Health, errors="flat"),
)
async def health(request: Request) -> dict[str, Any]:
    gw = gateway(request)
    services, nats, oauth = await asyncio.gather(service_states(gw), nats_state(gw), oauth_runtime(gw))
    try:
        active_jobs = await asyncio.wait_for(gw.registry.active_count(), HEALTH_TIMEOUT)
    except Exception:
        active_jobs = None
    healthy = nats["status"] == "up" and all(s["status"] == "up" for s in services.values())
    return {
        "ok": healthy,
        "status": "ok" if healthy else "degraded",
        "version": gw.settings.version,
        "provider": "oauth",
        "sandbox": gw.settings.sandbox,
        "uptimeSec": round(time.monotonic() - gw.started_monotonic, 1),
        "activeJobs": active_jobs,
        "pid": gw.pid,
        "startedAt": gw.started_at_ms,
        "services": services,
        "nats": nats,
        "runtime": {"backend": backend_runtime(gw), "oauth": oauth},
        "paths": data_paths(gw),
        "providerPolicy": provider_policy(),
    }


async def key_status(gw: Gateway) -> dict[str, Any] | None:
    try:
        auth = gw.services.auth
        status = await auth.unary(auth.stub.GetKeyStatus, common_pb2.Empty(), timeout=HEALTH_TIMEOUT * 2)
    except Ima2Error:
        return None
    return {
        name: {"configured": s.configured, "source": s.source}
        for name, s in (
            ("openai", status.openai),
            ("xai", status.xai),
            ("gemini", status.gemini),
            ("vertex", status.vertex),
            ("codex", status.codex),  # stored OAuth logins: source oauth | none
            ("grok", status.grok),
        )
    }


@router.get(
    "/api/providers",
    operation_id="providers",
    summary="Provider availability, key sources and runtime ports",
    **contract(Providers, errors="flat"),
)
async def providers(request: Request) -> dict[str, Any]:
    gw = gateway(request)
    keys, oauth, *states = await asyncio.gather(
        key_status(gw), oauth_runtime(gw), *(provider_status(gw, p) for p in catalog.IMAGE_PROVIDERS)
    )
    openai = (keys or {}).get("openai", {"configured": False, "source": "none"})
    per_provider = {
        provider: {"available": state.get("status") == "ready", **state}
        for provider, state in zip(catalog.IMAGE_PROVIDERS, states, strict=True)
    }
    return {
        "apiKey": bool(openai["configured"]),
        "oauth": oauth["status"] == "ready",
        "oauthPort": oauth["configuredPort"],
        "oauthActualPort": oauth["actualPort"],
        "oauthUrl": oauth["url"],
        "apiKeyDisabled": False,
        "apiKeySource": openai["source"],
        "sandbox": gw.settings.sandbox,
        "keys": keys,
        "providers": per_provider,
        "runtime": {"backend": backend_runtime(gw), "oauth": oauth},
    }


async def video_capabilities(gw: Gateway) -> dict[str, Any]:
    """What video can do here, and whether svc-video answers right now."""
    up = await gw.services.video.healthy(HEALTH_TIMEOUT)
    return {
        "available": up,
        "status": "up" if up else "down",
        "providers": list(catalog.VIDEO_PROVIDERS),
        "models": list(catalog.VIDEO_MODELS),
        "defaultModel": catalog.GROK_VIDEO_BASE_MODEL,
        "editModels": [catalog.GROK_VIDEO_BASE_MODEL],
        "resolutions": list(catalog.VIDEO_RESOLUTIONS),
        "aspectRatios": list(catalog.VIDEO_ASPECT_RATIOS),
        "modes": list(catalog.VIDEO_MODES),
        "duration": {
            "min": limits.VIDEO_MIN_DURATION,
            "max": limits.VIDEO_MAX_DURATION,
            "default": limits.VIDEO_DEFAULT_DURATION,
            "referenceMax": limits.VIDEO_R2V_MAX_DURATION,
            "extendMin": limits.VIDEO_EXTEND_MIN_DURATION,
            "extendMax": limits.VIDEO_EXTEND_MAX_DURATION,
        },
        "maxReferenceImages": limits.VIDEO_MAX_REFERENCES,
        "surfaces": ["generate", "continue", "edit", "extend", "frame", "analyze"],
    }


@router.get(
    "/api/capabilities",
    operation_id="capabilities",
    summary="Providers, models, options and limits this build accepts",
    **contract(Capabilities, errors="flat"),
)
async def capabilities(request: Request) -> dict[str, Any]:
    gw = gateway(request)
    video = await video_capabilities(gw)
    states = await asyncio.gather(*(provider_status(gw, p) for p in catalog.IMAGE_PROVIDERS))
    in_build = {
        p for p, s in zip(catalog.IMAGE_PROVIDERS, states, strict=True) if s.get("reason") != "not_in_build"
    }
    models = {
        "oauth": list(catalog.OPENAI_IMAGE_MODELS),
        "api": list(catalog.OPENAI_IMAGE_MODELS),
        "grok": list(catalog.GROK_IMAGE_MODELS),
        "grok-api": list(catalog.GROK_IMAGE_MODELS),
        "gemini-api": list(catalog.GEMINI_MODELS),
        "agy": [catalog.AGY_MODEL],
    }
    return {
        "version": gw.settings.version,
        "providers": list(catalog.IMAGE_PROVIDERS),
        "models": models,
        "defaultModels": {p: catalog.default_model(p) for p in catalog.IMAGE_PROVIDERS},
        "qualities": list(catalog.QUALITIES),
        "formats": list(catalog.FORMATS),
        "moderations": list(catalog.MODERATIONS),
        "reasoningEfforts": list(catalog.REASONING_EFFORTS),
        "videoModels": list(catalog.VIDEO_MODELS),
        "video": video,
        "limits": {
            "maxGeneratedImages": limits.MAX_GENERATED_IMAGES,
            "maxParallel": gw.settings.max_parallel,
            "maxRefCount": limits.MAX_REFERENCES,
            "maxRefB64Bytes": limits.MAX_REF_B64_BYTES,
            "maxMultimodeImages": limits.MAX_MULTIMODE_IMAGES,
            "sseMaxListeners": gw.settings.sse_max_listeners,
        },
        # features this server serves (card news only when IMA2_CARD_NEWS / features.cardNews is on)
        "features": {
            "cardNews": gw.settings.card_news,
            "promptBuilder": True,
            "promptImport": True,
            "comfyExport": True,
        },
        "promptBuilder": {
            "backends": list(catalog.PROMPT_BUILDER_BACKENDS),
            "models": {k: list(v) for k, v in catalog.PROMPT_BUILDER_MODELS.items()},
            "autoOrder": list(catalog.PROMPT_BUILDER_AUTO_ORDER),
        },
        "promptImport": {
            "extensions": ["md", "markdown", "txt"],
            "maxFileBytes": limits.PROMPT_IMPORT_MAX_FILE_BYTES,
            "maxCandidatesPerImport": limits.PROMPT_IMPORT_MAX_CANDIDATES_PER_IMPORT,
            "maxFolderFiles": limits.PROMPT_IMPORT_MAX_FOLDER_FILES,
            "maxFolderPreviewFiles": limits.PROMPT_IMPORT_MAX_FOLDER_PREVIEW_FILES,
            "maxPathDepth": limits.PROMPT_IMPORT_MAX_PATH_DEPTH,
            "requestsPerMinute": gw.settings.prompt_import_requests_per_minute,
        },
        "providerSurfaces": {
            p: {surface: p in in_build for surface in sorted(IMPLEMENTED_SURFACES)}
            for p in catalog.IMAGE_PROVIDERS
        },
    }
