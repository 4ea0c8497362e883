"""Bad input and upstream faults on /api/generate, in the flat generation error envelope."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from ima2_common import limits
from tests.image_support import calls_under_test
from tests.stackctl import RunningStack, start_stack

PNG_B64 = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\0" * 32).decode()
FLAT_KEYS = {"error", "code", "requestId", "upstreamCode", "upstreamType", "upstreamParam"}


async def post(client: httpx.AsyncClient, **fields: object) -> httpx.Response:
    return await client.post("/api/generate", json={"prompt": "p", "provider": "api", **fields})


@pytest.mark.parametrize(
    ("fields", "status", "code"),
    [
        ({"prompt": ""}, 400, "PROMPT_REQUIRED"),
        ({"prompt": 7}, 400, "PROMPT_REQUIRED"),
        ({"moderation": "high"}, 400, "INVALID_MODERATION"),
        ({"quality": "ultra"}, 400, "INVALID_QUALITY"),
        ({"size": "huge"}, 400, "INVALID_SIZE"),
        ({"format": "gif"}, 400, "INVALID_FORMAT"),
        ({"provider": "dalle"}, 400, "INVALID_PROVIDER"),
        ({"model": "gpt-2"}, 400, "INVALID_IMAGE_MODEL"),
        ({"model": "gpt-5.3-codex-spark"}, 400, "IMAGE_MODEL_UNSUPPORTED"),
        ({"provider": "grok", "model": "gpt-5.4"}, 400, "INVALID_GROK_IMAGE_MODEL"),
        ({"references": "x"}, 400, "REF_NOT_ARRAY"),
        ({"references": [PNG_B64] * (limits.MAX_REFERENCES + 1)}, 400, "REF_TOO_MANY"),
        ({"references": [3]}, 400, "REF_NOT_STRING"),
        ({"references": ["data:image/png;base64,"]}, 400, "REF_EMPTY"),
        ({"references": ["not base64 !!"]}, 400, "REF_NOT_BASE64"),
        ({"references": ["A" * (limits.MAX_REF_B64_BYTES + 4)]}, 400, "REF_TOO_LARGE"),
        ({"provider": "grok", "references": [PNG_B64] * 4}, 400, "GROK_REF_TOO_MANY"),
        ({"provider": "agy", "references": [PNG_B64] * 4}, 400, "AGY_REF_TOO_MANY"),
        ({"n": 0}, 400, "INVALID_COUNT"),
        ({"requestId": "bad id with spaces"}, 400, "INVALID_REQUEST_ID"),
    ],
)
async def test_bad_input_is_refused_before_any_job(
    client: httpx.AsyncClient, sandbox: httpx.AsyncClient, fields: dict[str, object], status: int, code: str
) -> None:
    await sandbox.delete("/_sandbox/requests")
    response = await post(client, **fields)
    assert response.status_code == status, response.text
    body = response.json()
    assert body["code"] == code and set(body) >= FLAT_KEYS
    assert body["requestId"] == response.headers["x-request-id"]
    assert await calls_under_test(sandbox) == []  # refused before any upstream call
    assert body["requestId"] not in {
        job["requestId"] for job in (await client.get("/api/inflight")).json()["jobs"]
    }


async def test_malformed_and_oversized_bodies(client: httpx.AsyncClient, sandbox: httpx.AsyncClient) -> None:
    await sandbox.delete("/_sandbox/requests")
    bad = await client.post("/api/generate", content=b"{nope", headers={"content-type": "application/json"})
    assert bad.status_code == 400 and bad.json()["code"] == "INVALID_BODY"
    big = await client.post("/api/generate", content=b"x" * (limits.BODY_LIMIT_BYTES + 1))
    assert big.status_code == 413 and big.json()["code"] == "PAYLOAD_TOO_LARGE"
    assert await calls_under_test(sandbox) == []


@pytest.mark.parametrize(
    ("fault", "status", "code"),
    [
        ({"status": 429}, 429, "RATE_LIMITED"),
        ({"status": 500, "count": 2}, 502, "UPSTREAM_5XX"),
        ({"status": 401}, 401, "AUTH_API_KEY_INVALID"),
        ({"mode": "safety", "count": 2}, 422, "SAFETY_REFUSAL"),
        (
            {
                "status": 400,
                "body": {
                    "error": {
                        "message": "Invalid value: 'size'",
                        "type": "invalid_request_error",
                        "param": "tools[0].size",
                        "code": "invalid_value",
                    }
                },
            },
            400,
            "INVALID_REQUEST",
        ),
    ],
)
async def test_upstream_failures_map_to_documented_codes(
    client: httpx.AsyncClient, sandbox: httpx.AsyncClient, fault: dict[str, object], status: int, code: str
) -> None:
    await sandbox.delete("/_sandbox/requests")
    await sandbox.post("/_sandbox/faults", json={"upstream": "openai", "path": "/responses", **fault})
    response = await post(client)
    assert response.status_code == status, response.text
    body = response.json()
    assert body["code"] == code
    calls = [c for c in await calls_under_test(sandbox) if str(c["path"]).endswith("/responses")]
    retried = fault.get("count") == 2  # a 5xx or a refusal is tried once more; the others are not
    assert len(calls) == (2 if retried else 1), calls
    assert "Invalid value" not in body["error"]  # upstream text never passes through
    if code == "INVALID_REQUEST":
        assert body["upstreamCode"] == "invalid_value" and body["upstreamParam"] == "tools[0].size"


async def test_a_single_5xx_is_retried_once(client: httpx.AsyncClient, sandbox: httpx.AsyncClient) -> None:
    await sandbox.delete("/_sandbox/requests")
    await sandbox.post("/_sandbox/faults", json={"upstream": "openai", "path": "/responses", "status": 503})
    response = await post(client)
    assert response.status_code == 200, response.text
    assert len([c for c in await calls_under_test(sandbox) if str(c["path"]).endswith("/responses")]) == 2


async def test_an_upstream_that_hangs_times_out(
    client: httpx.AsyncClient, sandbox: httpx.AsyncClient
) -> None:
    await sandbox.delete("/_sandbox/requests")
    await sandbox.post("/_sandbox/faults", json={"upstream": "openai", "path": "/responses", "mode": "hang"})
    response = await post(client)
    assert response.status_code == 504 and response.json()["code"] == "RESPONSES_IMAGE_TIMEOUT"
    calls = [c for c in await calls_under_test(sandbox) if str(c["path"]).endswith("/responses")]
    assert len(calls) == 1  # a timeout is not retried


@pytest.fixture(scope="module")
def keyless_stack(stack: RunningStack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    running = start_stack(
        tmp_path_factory.mktemp("keyless"),
        sandbox=False,
        extra_env={"IMA2_OPENAI_BASE_URL": f"{stack.sandbox_url}/openai/v1"},
    )
    yield running
    running.stop()


async def test_api_provider_without_key_fails_before_upstream(
    keyless_stack: RunningStack, sandbox: httpx.AsyncClient
) -> None:
    await sandbox.delete("/_sandbox/requests")
    async with httpx.AsyncClient(base_url=keyless_stack.url) as http:
        for extra in ({}, {"async": True, "requestId": "req_nokey"}):
            response = await http.post("/api/generate", json={"prompt": "p", "provider": "api", **extra})
            assert response.status_code == 401 and response.json()["code"] == "API_KEY_REQUIRED"
        assert (await http.get("/api/inflight")).json()["jobs"] == []
    assert await calls_under_test(sandbox) == []


def test_keyless_stack_reports_no_key(keyless_stack: RunningStack) -> None:
    providers = httpx.get(f"{keyless_stack.url}/api/providers", timeout=10).json()
    assert providers["apiKey"] is False and providers["apiKeySource"] == "none"
    assert providers["providers"]["api"]["available"] is False
    assert Path(keyless_stack.home / "server.json").exists()
