"""Every documented error of /api/edit, /api/node/generate and /api/generate/multimode, through the
public API, in each route's envelope; nothing is admitted and nothing reaches an upstream."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from ima2_common import limits
from tests.image_support import b64, calls_under_test, data_url, jpeg_bytes, png_bytes, rid, sse_post
from tests.stackctl import RunningStack, start_stack

FLAT_KEYS = {"error", "code", "requestId", "upstreamCode", "upstreamType", "upstreamParam"}
IMAGE = b64(png_bytes(32, 32, "RGB"))
MASK = b64(png_bytes(32, 32, "RGBA", (0, 0, 0, 0)))
REF = b64(png_bytes(4, 4))

# (fields, status, code) shared by every route that takes the common image-job options
COMMON_CASES: list[tuple[dict[str, Any], int, str]] = [
    ({"moderation": "high"}, 400, "INVALID_MODERATION"),
    ({"quality": "ultra"}, 400, "INVALID_QUALITY"),
    ({"size": "big"}, 400, "INVALID_SIZE"),
    ({"format": "gif"}, 400, "INVALID_FORMAT"),
    ({"provider": "dalle"}, 400, "INVALID_PROVIDER"),
    ({"model": "gpt-2"}, 400, "INVALID_IMAGE_MODEL"),
    ({"provider": "gemini-api", "model": "imagen"}, 400, "INVALID_IMAGE_MODEL"),
    ({"model": "gpt-5.3-codex-spark"}, 400, "IMAGE_MODEL_UNSUPPORTED"),
    ({"provider": "grok", "model": "gpt-5.4"}, 400, "INVALID_GROK_IMAGE_MODEL"),
    ({"provider": "grok-api", "model": "grok-imagine-video"}, 400, "INVALID_GROK_IMAGE_MODEL"),
    ({"reasoningEffort": "max"}, 400, "INVALID_REASONING_EFFORT"),
    ({"references": "x"}, 400, "REF_NOT_ARRAY"),
    ({"references": [REF] * (limits.MAX_REFERENCES + 1)}, 400, "REF_TOO_MANY"),
    ({"references": [3]}, 400, "REF_NOT_STRING"),
    ({"references": ["data:image/png;base64,"]}, 400, "REF_EMPTY"),
    ({"references": ["   "]}, 400, "REF_EMPTY"),
    ({"references": ["not base64 !!"]}, 400, "REF_NOT_BASE64"),
    ({"references": ["A" * (limits.MAX_REF_B64_BYTES + 4)]}, 400, "REF_TOO_LARGE"),
    ({"requestId": "bad id with spaces"}, 400, "INVALID_REQUEST_ID"),
]


def assert_flat(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["code"] == code and set(body) >= FLAT_KEYS and isinstance(body["error"], str)
    assert body["requestId"] == response.headers["x-request-id"]


def assert_node_envelope(response: httpx.Response, status: int, code: str, parent: str | None = None) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["error"]["code"] == code and isinstance(body["error"]["message"], str)
    assert body["status"] == status and body["parentNodeId"] == parent
    assert {"upstreamCode", "upstreamType", "upstreamParam"} <= set(body)


# -- /api/edit ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "status", "code"),
    [
        *COMMON_CASES,
        ({"prompt": ""}, 400, "IMAGE_REQUIRED"),
        ({"prompt": None}, 400, "IMAGE_REQUIRED"),
        ({"image": ""}, 400, "IMAGE_REQUIRED"),
        ({"image": None}, 400, "IMAGE_REQUIRED"),
        ({"image": "%%% not base64"}, 400, "INVALID_IMAGE"),
        ({"image": b64(b"plain text, not an image")}, 400, "INVALID_IMAGE"),
        ({"mask": 7}, 400, "INVALID_EDIT_MASK"),
        ({"mask": "!!! not base64 !!!"}, 400, "INVALID_EDIT_MASK_BASE64"),
        ({"mask": b64(b"GIF89a not a png at all")}, 400, "INVALID_EDIT_MASK_PNG"),
        ({"mask": data_url(jpeg_bytes(32, 32), "image/jpeg")}, 400, "INVALID_EDIT_MASK_PNG"),
        ({"mask": "A" * (limits.MAX_EDIT_MASK_B64_BYTES + 4)}, 400, "EDIT_MASK_TOO_LARGE"),
        ({"mask": b64(png_bytes(32, 32, "RGB"))}, 400, "EDIT_MASK_NO_ALPHA"),
        ({"mask": b64(png_bytes(32, 32, "P"))}, 400, "EDIT_MASK_NO_ALPHA"),
        ({"mask": b64(png_bytes(16, 32, "RGBA"))}, 400, "EDIT_MASK_DIMENSION_MISMATCH"),
        ({"image": b64(jpeg_bytes(40, 32)), "mask": MASK}, 400, "EDIT_MASK_DIMENSION_MISMATCH"),
        ({"provider": "grok", "mask": MASK}, 400, "GROK_MASK_UNSUPPORTED"),
        ({"provider": "grok-api", "mask": MASK}, 400, "GROK_MASK_UNSUPPORTED"),
        ({"provider": "agy", "mask": MASK}, 400, "AGY_MASK_UNSUPPORTED"),
        ({"provider": "gemini-api", "mask": MASK}, 400, "GEMINI_MASK_UNSUPPORTED"),
        # the edited image counts against the three-image caps
        ({"provider": "grok", "references": [REF] * 3}, 400, "GROK_REF_TOO_MANY"),
        ({"provider": "grok-api", "references": [REF] * 3}, 400, "GROK_REF_TOO_MANY"),
        ({"provider": "agy", "references": [REF] * 3}, 400, "AGY_REF_TOO_MANY"),
    ],
)
async def test_edit_refuses_bad_input(
    client: httpx.AsyncClient, fields: dict[str, Any], status: int, code: str
) -> None:
    body = {"prompt": "p", "image": IMAGE, "provider": "api", **fields}
    assert_flat(await client.post("/api/edit", json=body), status, code)


async def test_edit_mask_checks_accept_a_good_mask_of_any_source_format(
    client: httpx.AsyncClient, sandbox: httpx.AsyncClient
) -> None:
    for image in (IMAGE, b64(jpeg_bytes(32, 32))):
        body = {"prompt": "p", "image": image, "mask": data_url(base64.b64decode(MASK)), "provider": "api"}
        response = await client.post("/api/edit", json=body)
        assert response.status_code == 200, response.text


# -- /api/node/generate -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "status", "code"),
    [
        *COMMON_CASES,
        ({"prompt": ""}, 400, "PROMPT_REQUIRED"),
        ({"contextMode": "ancestry"}, 400, "CONTEXT_MODE_UNSUPPORTED"),
        ({"contextMode": "everything"}, 400, "CONTEXT_MODE_UNSUPPORTED"),
        ({"searchMode": "always"}, 400, "INVALID_REQUEST"),
        ({"externalSrc": "https://example.com/cat.png"}, 400, "INVALID_REQUEST"),
        ({"externalSrc": "/generated/..%2Fserver.json"}, 400, "INVALID_FILENAME"),
        ({"externalSrc": "data:image/png;base64,%%%"}, 400, "REF_NOT_BASE64"),
        (
            {"provider": "grok", "parentNodeId": "n_0123456789", "references": [REF] * 3},
            400,
            "GROK_REF_TOO_MANY",
        ),
        (
            {"provider": "grok-api", "externalSrc": f"data:image/png;base64,{REF}", "references": [REF] * 3},
            400,
            "GROK_REF_TOO_MANY",
        ),
        (
            {"provider": "agy", "parentNodeId": "n_0123456789", "references": [REF] * 3},
            400,
            "AGY_REF_TOO_MANY",
        ),
        ({"parentNodeId": "n_ffffffffff"}, 404, "NODE_NOT_FOUND"),
        ({"externalSrc": "/generated/1_00000000_0.png"}, 404, "ASSET_NOT_FOUND"),
    ],
)
async def test_node_refuses_bad_input_in_the_nested_envelope(
    client: httpx.AsyncClient, sandbox: httpx.AsyncClient, fields: dict[str, Any], status: int, code: str
) -> None:
    await sandbox.delete("/_sandbox/requests")
    body = {"prompt": "p", "provider": "api", **fields}
    parent = fields.get("parentNodeId")
    response = await client.post("/api/node/generate", json=body)
    assert_node_envelope(response, status, code, parent if isinstance(parent, str) else None)
    sse = await client.post("/api/node/generate", json=body, headers={"Accept": "text/event-stream"})
    assert_node_envelope(sse, status, code, parent if isinstance(parent, str) else None)
    assert await calls_under_test(sandbox) == []


async def test_grok_node_with_parent_and_two_refs_is_within_the_cap(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/node/generate",
        json={"prompt": "p", "provider": "grok", "parentNodeId": "n_ffffffffff", "references": [REF] * 2},
    )
    assert_node_envelope(response, 404, "NODE_NOT_FOUND", "n_ffffffffff")  # passed the cap, then no parent


async def test_node_body_errors(client: httpx.AsyncClient) -> None:
    bad = await client.post(
        "/api/node/generate", content=b"[1, 2", headers={"content-type": "application/json"}
    )
    assert_node_envelope(bad, 400, "INVALID_BODY")
    big = await client.post("/api/node/generate", content=b"x" * (limits.BODY_LIMIT_BYTES + 1))
    assert big.status_code == 413 and big.json()["error"]["code"] == "PAYLOAD_TOO_LARGE"


# -- /api/generate/multimode --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "status", "code"),
    [
        *COMMON_CASES,
        ({"prompt": None}, 400, "PROMPT_REQUIRED"),
        ({"maxImages": 0}, 400, "INVALID_COUNT"),
        ({"maxImages": limits.MAX_MULTIMODE_IMAGES + 1}, 400, "INVALID_COUNT"),
        ({"maxImages": 2.5}, 400, "INVALID_COUNT"),
        ({"provider": "grok", "references": [REF] * 4}, 400, "GROK_REF_TOO_MANY"),
        ({"provider": "agy", "references": [REF] * 4}, 400, "AGY_REF_TOO_MANY"),
    ],
)
async def test_multimode_refuses_bad_input_as_sse_and_as_json(
    client: httpx.AsyncClient, fields: dict[str, Any], status: int, code: str
) -> None:
    body = {"prompt": "p", "provider": "api", **fields}
    result = await sse_post(client, "/api/generate/multimode", body)
    assert result.status == 200
    [frame] = result.frames
    assert frame.event == "error" and frame.data["code"] == code and frame.data["status"] == status
    assert frame.data["requestId"] == result.headers["x-request-id"]
    assert_flat(await client.post("/api/generate/multimode", json={**body, "async": True}), status, code)


async def test_multimode_malformed_body(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/generate/multimode", content=b"{oops", headers={"content-type": "application/json"}
    )
    assert response.headers["content-type"].startswith("text/event-stream")
    assert '"code":"INVALID_BODY"' in response.text


# -- upstream failures and missing credentials ---------------------------------------------------


async def test_upstream_failures_keep_each_route_envelope(
    client: httpx.AsyncClient, sandbox: httpx.AsyncClient
) -> None:
    fault = {"upstream": "openai", "path": "/responses", "status": 401}
    await sandbox.post("/_sandbox/faults", json=fault)
    assert_flat(
        await client.post("/api/edit", json={"prompt": "p", "image": IMAGE, "provider": "api"}),
        401,
        "AUTH_API_KEY_INVALID",
    )
    await sandbox.post("/_sandbox/faults", json={**fault, "status": 400, "mode": "safety", "count": 2})
    assert_node_envelope(
        await client.post("/api/node/generate", json={"prompt": "p", "provider": "api"}),
        422,
        "SAFETY_REFUSAL",
    )
    await sandbox.post("/_sandbox/faults", json={**fault, "status": 500, "count": 2})
    result = await sse_post(client, "/api/generate/multimode", {"prompt": "p", "provider": "api"})
    assert result.last.event == "error" and result.last.data["code"] == "UPSTREAM_5XX"


@pytest.fixture(scope="module")
def keyless_stack(stack: RunningStack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    running = start_stack(
        tmp_path_factory.mktemp("keyless-routes"),
        sandbox=False,
        extra_env={"IMA2_OPENAI_BASE_URL": f"{stack.sandbox_url}/openai/v1"},
    )
    yield running
    running.stop()


async def test_api_key_required_before_upstream_on_every_route(
    keyless_stack: RunningStack, sandbox: httpx.AsyncClient
) -> None:
    await sandbox.delete("/_sandbox/requests")
    async with httpx.AsyncClient(base_url=keyless_stack.url, timeout=30) as http:
        for extra in ({}, {"async": True, "requestId": rid()}):
            edit = await http.post(
                "/api/edit", json={"prompt": "p", "image": IMAGE, "provider": "api", **extra}
            )
            assert_flat(edit, 401, "API_KEY_REQUIRED")
            node = await http.post("/api/node/generate", json={"prompt": "p", "provider": "api", **extra})
            assert_node_envelope(node, 401, "API_KEY_REQUIRED")
        multi = await http.post(
            "/api/generate/multimode", json={"prompt": "p", "provider": "api", "async": True}
        )
        assert_flat(multi, 401, "API_KEY_REQUIRED")
        result = await sse_post(http, "/api/generate/multimode", {"prompt": "p", "provider": "api"})
        assert [f.event for f in result.frames] == ["error"] and result.frames[0].data[
            "code"
        ] == "API_KEY_REQUIRED"
        assert (await http.get("/api/inflight")).json()["jobs"] == []
    assert await calls_under_test(sandbox) == []


def test_agy_status_without_the_cli(keyless_stack: RunningStack) -> None:
    agy = httpx.get(f"{keyless_stack.url}/api/agy/status", timeout=10).json()
    assert agy == {"installed": False, "status": "offline"}
