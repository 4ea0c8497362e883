"""/api/health, /api/providers, /api/capabilities report the real state; request ids flow everywhere."""

from __future__ import annotations

import asyncio
import os
import signal

import httpx

from ima2_common import limits
from tests.stackctl import RunningStack


async def test_health_reports_every_part(client: httpx.AsyncClient, stack: RunningStack) -> None:
    health = (await client.get("/api/health")).json()
    assert health["ok"] is True and health["sandbox"] is True
    assert {name: s["status"] for name, s in health["services"].items()} == dict.fromkeys(
        ("image", "video", "library", "auth"), "up"
    )
    assert health["nats"]["status"] == "up"
    assert health["runtime"]["backend"]["actualPort"] == stack.info["port"]
    assert health["runtime"]["oauth"]["status"] == "ready"
    assert isinstance(health["activeJobs"], int) and health["pid"] != stack.info["pid"]


async def test_a_stopped_service_shows_as_down_then_recovers(
    client: httpx.AsyncClient, stack: RunningStack
) -> None:
    os.kill(stack.info["stack"]["pids"]["svc-video"], signal.SIGKILL)
    for _ in range(40):
        health = (await client.get("/api/health")).json()
        if health["services"]["video"]["status"] == "down":
            break
        await asyncio.sleep(0.05)
    assert health["services"]["video"]["status"] == "down"
    assert health["ok"] is False and health["status"] == "degraded"
    for _ in range(200):
        health = (await client.get("/api/health")).json()
        if health["ok"]:
            break
        await asyncio.sleep(0.1)
    assert health["services"]["video"]["status"] == "up"


async def test_providers_show_key_sources_and_readiness(client: httpx.AsyncClient) -> None:
    providers = (await client.get("/api/providers")).json()
    assert providers["apiKey"] is True and providers["apiKeySource"] == "config"
    assert providers["providers"]["api"]["available"] is True
    assert providers["providers"]["oauth"]["status"] == "ready"
    assert providers["oauthUrl"].startswith("http://127.0.0.1:")
    assert providers["keys"]["openai"]["source"] == "config"


async def test_capabilities(client: httpx.AsyncClient) -> None:
    caps = (await client.get("/api/capabilities")).json()
    assert caps["limits"]["maxParallel"] == limits.MAX_PARALLEL_JOBS
    assert caps["limits"]["maxRefCount"] == limits.MAX_REFERENCES
    assert caps["providerSurfaces"]["api"]["generate"] is True
    assert "gpt-5.4" in caps["models"]["api"] and "low" in caps["qualities"]
    video = caps["video"]
    assert video["available"] is True and video["status"] == "up"
    assert video["providers"] == ["grok", "grok-api"] and "grok-imagine-video" in video["models"]
    assert video["maxReferenceImages"] == limits.VIDEO_MAX_REFERENCES


async def test_request_id_is_echoed_and_reaches_every_log(
    client: httpx.AsyncClient, stack: RunningStack
) -> None:
    assert (await client.get("/api/health", headers={"X-Request-Id": "abc.123:x"})).headers[
        "x-request-id"
    ] == "abc.123:x"
    minted = (await client.get("/api/health", headers={"X-Request-Id": "bad id!"})).headers["x-request-id"]
    assert minted.startswith("req_") and minted != "bad id!"
    trace = "trace-ids-everywhere-42"
    response = await client.post(
        "/api/generate", json={"prompt": "p", "provider": "api"}, headers={"X-Request-Id": trace}
    )
    assert response.status_code == 200 and response.json()["requestId"] == trace
    for _ in range(40):  # the job's last log line may land just after the response
        logs = stack.logs()
        missing = [
            part for part in ("gateway.log", "svc-image.log", "svc-library.log") if trace not in logs[part]
        ]
        if not missing:
            break
        await asyncio.sleep(0.05)
    assert missing == []


async def test_unknown_route_is_a_nested_404(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/nope")
    assert response.status_code == 404 and response.json()["error"]["code"] == "NOT_FOUND"
