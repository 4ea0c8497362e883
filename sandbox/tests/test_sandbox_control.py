"""The /_sandbox control API: faults, the request log, settings."""

from __future__ import annotations

import asyncio
import base64
import time

import httpx
import pytest

from ima2_sandbox.control import DroppedConnection

KEY = {"Authorization": "Bearer sk-test-sandbox-key"}
XAI = {"Authorization": "Bearer xai-test-sandbox-key"}


async def test_health(client: httpx.AsyncClient) -> None:
    data = (await client.get("/_sandbox/health")).json()
    assert data["status"] == "ok" and "xai" in data["upstreams"]


async def test_429_fault_with_headers_count_and_reset(client: httpx.AsyncClient) -> None:
    created = await client.post("/_sandbox/faults", json={"upstream": "openai", "status": 429, "count": 2})
    assert created.status_code == 201
    for _ in range(2):
        limited = await client.get("/openai/v1/models", headers=KEY)
        assert limited.status_code == 429
        assert limited.headers["retry-after"] == "1"
        assert limited.headers["x-ratelimit-remaining-requests"] == "0"
        assert limited.json()["error"]["code"] == "rate_limit_exceeded"
    assert (await client.get("/openai/v1/models", headers=KEY)).status_code == 200

    await client.post("/_sandbox/faults", json={"upstream": "*", "status": 503, "count": 0})
    for _ in range(3):
        assert (await client.get("/openai/v1/models", headers=KEY)).status_code == 503
    assert (await client.get("/_sandbox/faults")).json()["faults"][0]["hits"] == 3
    assert (await client.delete("/_sandbox/faults")).json() == {"cleared": 1}
    assert (await client.get("/openai/v1/models", headers=KEY)).status_code == 200


async def test_fault_per_upstream_family(client: httpx.AsyncClient) -> None:
    await client.post("/_sandbox/faults", json={"upstream": "xai", "status": 429, "path": "/images/"})
    assert (await client.get("/xai/v1/models", headers=XAI)).status_code == 200  # path does not match
    limited = await client.post("/xai/v1/images/generations", json={"prompt": "x"}, headers=XAI)
    assert limited.status_code == 429 and "retry-after" in limited.headers
    assert limited.json()["code"] == "Some resource has been exhausted"
    assert "x-ratelimit-remaining-requests" not in limited.headers

    await client.post("/_sandbox/faults", json={"upstream": "gemini", "status": 429})
    google = await client.get("/gemini/v1beta/models", headers={"x-goog-api-key": "AIza-test"})
    assert google.json()["error"]["status"] == "RESOURCE_EXHAUSTED"
    assert any(d["@type"].endswith("RetryInfo") for d in google.json()["error"]["details"])


async def test_custom_body_headers_and_malformed(client: httpx.AsyncClient) -> None:
    await client.post(
        "/_sandbox/faults",
        json={
            "upstream": "xai",
            "status": 429,
            "body": {"code": 429, "error": "You ran out of credits."},
            "headers": {"retry-after": "7"},
        },
    )
    response = await client.get("/xai/v1/models", headers=XAI)
    assert response.json() == {"code": 429, "error": "You ran out of credits."}
    assert response.headers.get_list("retry-after") == ["7"]
    await client.post("/_sandbox/faults", json={"upstream": "openai", "status": 200, "body": "not json {"})
    assert (await client.get("/openai/v1/models", headers=KEY)).text == "not json {"


async def test_delay_only_fault_is_latency(client: httpx.AsyncClient) -> None:
    await client.post("/_sandbox/faults", json={"upstream": "openai", "delay": 0.2})
    started = time.monotonic()
    response = await client.get("/openai/v1/models", headers=KEY)
    assert response.status_code == 200
    assert time.monotonic() - started >= 0.2


async def test_hang_waits_without_blocking(client: httpx.AsyncClient) -> None:
    await client.post("/_sandbox/faults", json={"upstream": "openai", "mode": "hang"})
    hung = asyncio.ensure_future(client.get("/openai/v1/models", headers=KEY))
    await asyncio.sleep(0.2)
    assert not hung.done()
    assert (await client.get("/_sandbox/health")).status_code == 200  # the loop is free
    hung.cancel()
    with pytest.raises(asyncio.CancelledError):
        await hung


async def test_drop_fault_breaks_the_response(client: httpx.AsyncClient) -> None:
    await client.post("/_sandbox/faults", json={"upstream": "openai", "mode": "drop"})
    with pytest.raises((DroppedConnection, httpx.HTTPError)):
        await client.get("/openai/v1/models", headers=KEY)


async def test_bad_fault_and_settings_requests(client: httpx.AsyncClient) -> None:
    assert (await client.post("/_sandbox/faults", json={"upstream": "nope"})).status_code == 400
    assert (await client.post("/_sandbox/faults", json={"mode": "explode"})).status_code == 400
    assert (await client.put("/_sandbox/settings", json={"unknown": 1})).status_code == 400
    assert (await client.put("/_sandbox/settings", json={"videoPolls": "2"})).status_code == 400
    updated = await client.put("/_sandbox/settings", json={"videoPolls": 0, "progrokLoggedIn": False})
    assert updated.json()["settings"]["videoPolls"] == 0
    assert (await client.get("/_sandbox/settings")).json()["settings"]["progrokLoggedIn"] is False
    assert (await client.post("/_sandbox/reset")).status_code == 200
    assert (await client.get("/_sandbox/settings")).json()["settings"]["videoPolls"] == 2


async def test_request_log_masks_and_shrinks(client: httpx.AsyncClient) -> None:
    blob = base64.b64encode(b"\x89PNG" + b"x" * 600).decode()
    body = {
        "model": "gpt-5.4",
        "stream": False,
        "input": [
            {
                "role": "user",
                "content": [
                    {"type": "input_image", "image_url": f"data:image/png;base64,{blob}"},
                    {"type": "input_text", "text": "short prompt"},
                ],
            }
        ],
    }
    await client.post("/openai/v1/responses", json=body, headers=KEY)
    await client.get("/gemini/v1beta/models", headers={"x-goog-api-key": "AIzaSecretSecret"})
    await client.get("/gemini/v1beta/models?key=AIzaQuerySecret")
    await client.post("/google-oauth/token", data={"grant_type": "x", "assertion": "a.b.c"})
    entries = (await client.get("/_sandbox/requests")).json()["requests"]
    assert [e["upstream"] for e in entries] == ["openai", "gemini", "gemini", "google-oauth"]
    openai = entries[0]
    assert openai["method"] == "POST" and openai["path"] == "/openai/v1/responses"
    assert openai["headers"]["authorization"] == "Bearer sk-tes…"
    parts = openai["json"]["input"][0]["content"]
    assert parts[0]["image_url"] == f"<b64:{len('data:image/png;base64,') + len(blob)} chars>"
    assert parts[1]["text"] == "short prompt"
    assert entries[1]["headers"]["x-goog-api-key"] == "AIzaSe…"
    assert entries[2]["query"]["key"] == "AIzaQu…"
    assert entries[3]["form"] == {"grant_type": "x", "assertion": "a.b.c"}
    assert isinstance(openai["at"], float)
    only = (await client.get("/_sandbox/requests?upstream=gemini")).json()["requests"]
    assert len(only) == 2
    await client.delete("/_sandbox/requests")
    assert (await client.get("/_sandbox/requests")).json()["requests"] == []


async def test_request_log_is_bounded(client: httpx.AsyncClient, state: object) -> None:
    from ima2_sandbox.state import REQUEST_LOG_LIMIT, SandboxState

    assert isinstance(state, SandboxState)
    assert state.requests.maxlen == REQUEST_LOG_LIMIT


async def test_fault_recorded_before_applied(client: httpx.AsyncClient) -> None:
    await client.post("/_sandbox/faults", json={"upstream": "openai", "status": 500})
    assert (await client.get("/openai/v1/models", headers=KEY)).status_code == 500
    entries = (await client.get("/_sandbox/requests?upstream=openai")).json()["requests"]
    assert len(entries) == 1
