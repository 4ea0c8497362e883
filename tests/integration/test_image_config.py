"""Provider status routes, the Grok planner model (shared by every svc-image replica through
JetStream KV, and what the Grok pipeline sends upstream), and the session style sheet."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest

from ima2_cli.launcher.stack import sandbox_environment
from ima2_common import catalog
from ima2_common.net import free_port
from tests.image_support import history_rows, rid, spawn_gateway, stored, upstream_calls
from tests.stackctl import RunningStack, start_stack


async def test_status_routes(client: httpx.AsyncClient, stack: RunningStack) -> None:
    oauth = (await client.get("/api/oauth/status")).json()
    assert oauth["status"] == "ready" and oauth["models"]
    assert oauth["runtime"]["backend"]["actualPort"] == stack.info["port"]
    assert oauth["runtime"]["oauth"]["status"] == "ready" and oauth["runtime"]["oauth"]["url"].startswith(
        "http"
    )
    grok = (await client.get("/api/grok/status")).json()
    assert grok["status"] == "ready" and any(m.startswith("grok-imagine") for m in grok["models"])
    agy = (await client.get("/api/agy/status")).json()
    assert agy["installed"] is True and agy["status"] == "ready" and agy["version"]


async def test_status_routes_follow_the_upstreams(
    client: httpx.AsyncClient, sandbox: httpx.AsyncClient
) -> None:
    await sandbox.post("/_sandbox/faults", json={"upstream": "oauth", "path": "/models", "status": 503})
    oauth = (await client.get("/api/oauth/status")).json()
    assert oauth["status"] == "error" and oauth["runtime"]["oauth"]["status"] == "error"
    await sandbox.put("/_sandbox/settings", json={"progrokLoggedIn": False})
    try:
        grok = (await client.get("/api/grok/status")).json()
        assert grok["status"] == "auth_required" and grok["reason"] == "login_required"
    finally:
        await sandbox.put("/_sandbox/settings", json={"progrokLoggedIn": True})
    await sandbox.post("/_sandbox/faults", json={"upstream": "progrok", "path": "/models", "mode": "hang"})
    offline = (await client.get("/api/grok/status")).json()
    assert offline["status"] == "offline"


async def test_planner_model_get_patch_and_what_grok_sends(
    client: httpx.AsyncClient, sandbox: httpx.AsyncClient
) -> None:
    first = (await client.get("/api/config/grok-planner")).json()
    assert first == {"model": "grok-4.3", "options": list(catalog.GROK_PLANNER_MODELS)}
    try:
        changed = await client.patch("/api/config/grok-planner", json={"model": "grok-4"})
        assert changed.status_code == 200 and changed.json() == {"model": "grok-4"}
        assert (await client.get("/api/config/grok-planner")).json()["model"] == "grok-4"
        await sandbox.delete("/_sandbox/requests")
        response = await client.post("/api/generate", json={"prompt": "a comet", "provider": "grok"})
        assert response.status_code == 200, response.text
        calls = await upstream_calls(sandbox, "grok")
        planner = next(c for c in calls if c["path"].endswith("/chat/completions"))
        search = next(c for c in calls if c["path"].endswith("/responses"))
        assert planner["json"]["model"] == "grok-4" and search["json"]["model"] == "grok-4"
        for bad in ({"model": "gpt-5.4"}, {"model": 4}, {}):
            refused = await client.patch("/api/config/grok-planner", json=bad)
            assert refused.status_code == 400 and refused.json()["code"] == "INVALID_PLANNER_MODEL"
            assert isinstance(refused.json()["error"], str)
        assert (await client.get("/api/config/grok-planner")).json()["model"] == "grok-4"
    finally:
        await client.patch("/api/config/grok-planner", json={"model": "grok-4.3"})


@pytest.fixture(scope="module")
def replicated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[RunningStack, str]]:
    """A stack plus a second svc-image replica and a second gateway that talks only to it."""
    stack = start_stack(tmp_path_factory.mktemp("replicas"))
    image_addr = f"127.0.0.1:{free_port()}"
    env = {
        **stack.env,
        **sandbox_environment(stack.sandbox_url, stack.home),
        "IMA2_NATS_URL": stack.nats_url,
        "IMA2_IMAGE_ADDR": image_addr,
        **{f"IMA2_{n.upper()}_ADDR": a for n, a in stack.info["stack"]["services"].items() if n != "image"},
    }
    image = subprocess.Popen(
        [sys.executable, "-m", "ima2_image"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    gateway, url = spawn_gateway(stack, {"IMA2_IMAGE_ADDR": image_addr})
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/api/health", timeout=2).json()["services"]["image"]["status"] == "up":
                break
        except (httpx.HTTPError, ValueError, KeyError):
            pass
        time.sleep(0.1)
    yield stack, url
    for proc in (gateway, image):
        proc.terminate()
        proc.wait(10)
    stack.stop()


async def test_planner_model_is_shared_by_every_replica(replicated: tuple[RunningStack, str]) -> None:
    stack, other = replicated
    async with (
        httpx.AsyncClient(base_url=stack.url, timeout=30) as one,
        httpx.AsyncClient(base_url=other, timeout=30) as two,
        httpx.AsyncClient(base_url=stack.sandbox_url, timeout=10) as sandbox,
    ):
        assert (await two.get("/api/config/grok-planner")).json()["model"] == "grok-4.3"
        assert (await one.patch("/api/config/grok-planner", json={"model": "grok-4"})).status_code == 200
        assert (await two.get("/api/config/grok-planner")).json()["model"] == "grok-4"
        await sandbox.delete("/_sandbox/requests")
        response = await two.post("/api/generate", json={"prompt": "replica", "provider": "grok-api"})
        assert response.status_code == 200, response.text
        planner = next(c for c in await upstream_calls(sandbox, "grok-api", "/chat/completions"))
        assert planner["json"]["model"] == "grok-4"


async def test_session_style_sheet_is_applied_and_recorded(
    client: httpx.AsyncClient, sandbox: httpx.AsyncClient, stack: RunningStack
) -> None:
    created = await client.post("/api/sessions", json={"title": "styled"})
    assert created.status_code == 201, created.text
    session_id = created.json()["session"]["id"]
    sheet = {"palette": ["teal", "amber"], "mood": "calm, misty", "negative": ["text"]}
    saved = await client.put(
        f"/api/sessions/{session_id}/style-sheet", json={"styleSheet": sheet, "enabled": True}
    )
    assert saved.status_code == 200, saved.text

    await sandbox.delete("/_sandbox/requests")
    request_id = rid()
    response = await client.post(
        "/api/node/generate",
        json={"prompt": "a harbour", "provider": "api", "sessionId": session_id, "requestId": request_id},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["styleSheetApplied"] is True
    kept = stored(stack, body["filename"])
    assert kept.sidecar["styleSheetApplied"] is True and kept.xmp["styleSheetApplied"] is True
    assert kept.sidecar["prompt"] == "a harbour"  # the user's prompt is what is kept
    [call] = await upstream_calls(sandbox, "api", "/responses")
    sent = json.dumps(call["json"])
    assert "teal, amber" in sent and "calm, misty" in sent and "a harbour" in sent
    assert [row["filename"] for row in await history_rows(client, requestId=request_id)] == [body["filename"]]

    off = await client.patch(f"/api/sessions/{session_id}/style-sheet/enabled", json={"enabled": False})
    assert off.status_code == 200
    await sandbox.delete("/_sandbox/requests")
    plain = (
        await client.post(
            "/api/generate", json={"prompt": "a harbour", "provider": "api", "sessionId": session_id}
        )
    ).json()
    assert "styleSheetApplied" not in plain
    assert "styleSheetApplied" not in stored(stack, plain["filename"]).sidecar
    [call] = await upstream_calls(sandbox, "api", "/responses")
    assert "teal" not in json.dumps(call["json"])
