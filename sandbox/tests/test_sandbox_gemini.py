"""Gemini direct API, Vertex AI and the Google token endpoint (§4)."""

from __future__ import annotations

import asyncio
import base64
import io
import json
import os
import time
from typing import Any

import httpx
import pytest
from PIL import Image

from ima2_sandbox.jwt_util import b64url

KEY = {"x-goog-api-key": "AIzaSandboxKey"}
MODEL_URL = "/gemini/v1beta/models/gemini-3.1-flash-image:generateContent"


def contents(text: str = "a mountain lake") -> list[dict[str, Any]]:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (0, 0, 255)).save(out, "PNG")
    ref = base64.b64encode(out.getvalue()).decode()
    return [
        {"role": "user", "parts": [{"inlineData": {"mimeType": "image/png", "data": ref}}, {"text": text}]}
    ]


def image_of(data: dict[str, Any]) -> Image.Image:
    parts = data["candidates"][0]["content"]["parts"]
    inline = [p for p in parts if "inlineData" in p][-1]["inlineData"]
    return Image.open(io.BytesIO(base64.b64decode(inline["data"])))


CONFIG_FORMS = [
    (
        {
            "generation_config": {
                "response_modalities": ["TEXT", "IMAGE"],
                "response_format": {
                    "image": {
                        "aspect_ratio": "ASPECT_RATIO_SIXTEEN_BY_NINE",
                        "image_size": "IMAGE_SIZE_ONE_K",
                    }
                },
            }
        },
        (1024, 576),
    ),
    (
        {
            "generationConfig": {
                "responseModalities": ["TEXT", "IMAGE"],
                "responseFormat": {"image": {"aspectRatio": "9:16", "imageSize": "512"}},
            }
        },
        (288, 512),
    ),
    (
        {
            "generationConfig": {
                "responseModalities": ["TEXT", "IMAGE"],
                "imageConfig": {"aspectRatio": "4:3", "imageSize": "2K"},
            }
        },
        (2048, 1536),
    ),
    ({"generation_config": {"image_config": {"aspect_ratio": "1:1", "image_size": "4K"}}}, (2048, 2048)),
    ({}, (1024, 1024)),
]


@pytest.mark.parametrize(("config", "size"), CONFIG_FORMS)
async def test_config_forms(client: httpx.AsyncClient, config: dict[str, Any], size: tuple[int, int]) -> None:
    response = await client.post(MODEL_URL, json={"contents": contents(), **config}, headers=KEY)
    assert response.status_code == 200, response.text
    data = response.json()
    parts = data["candidates"][0]["content"]["parts"]
    assert (
        parts[0]["text"] and "inlineData" in parts[-1] and parts[-1]["inlineData"]["mimeType"] == "image/png"
    )
    assert data["candidates"][0]["finishReason"] == "STOP"
    assert image_of(data).size == size
    assert set(data["usageMetadata"]) == {"promptTokenCount", "candidatesTokenCount", "totalTokenCount"}


async def test_bad_values_keys_and_models(client: httpx.AsyncClient) -> None:
    bad = {"contents": contents(), "generationConfig": {"imageConfig": {"aspectRatio": "7:3"}}}
    response = await client.post(MODEL_URL, json=bad, headers=KEY)
    assert response.status_code == 400 and response.json()["error"]["status"] == "INVALID_ARGUMENT"
    broken = [{"parts": [{"inline_data": {"mime_type": "image/png", "data": "!!!"}}, {"text": "x"}]}]
    assert (await client.post(MODEL_URL, json={"contents": broken}, headers=KEY)).status_code == 400
    for headers in ({"x-goog-api-key": "sk-wrong"}, {"x-goog-api-key": "AIinvalid"}):
        denied = await client.post(MODEL_URL, json={"contents": contents()}, headers=headers)
        assert denied.status_code == 400
        assert denied.json()["error"]["details"][0]["reason"] == "API_KEY_INVALID"
    assert (await client.post(MODEL_URL, json={"contents": contents()})).status_code == 403
    unknown = await client.post("/gemini/v1beta/models/gemini-x:generateContent", json={}, headers=KEY)
    assert unknown.status_code == 404 and unknown.json()["error"]["status"] == "NOT_FOUND"
    models = (await client.get("/gemini/v1beta/models", headers=KEY)).json()["models"]
    assert any(m["name"] == "models/gemini-3-pro-image" for m in models)


async def test_safety_and_empty_faults(client: httpx.AsyncClient) -> None:
    body = {"contents": contents()}
    await client.post("/_sandbox/faults", json={"upstream": "gemini", "mode": "safety"})
    blocked = (await client.post(MODEL_URL, json=body, headers=KEY)).json()
    assert blocked["candidates"][0]["finishReason"] == "SAFETY" and "content" not in blocked["candidates"][0]
    await client.post(
        "/_sandbox/faults", json={"upstream": "gemini", "mode": "safety", "reason": "IMAGE_SAFETY"}
    )
    assert (await client.post(MODEL_URL, json=body, headers=KEY)).json()["candidates"][0][
        "finishReason"
    ] == "IMAGE_SAFETY"
    await client.post(
        "/_sandbox/faults", json={"upstream": "gemini", "mode": "safety", "blockReason": "OTHER"}
    )
    prompt_blocked = (await client.post(MODEL_URL, json=body, headers=KEY)).json()
    assert "candidates" not in prompt_blocked
    assert prompt_blocked["promptFeedback"]["blockReason"] == "OTHER"
    await client.post("/_sandbox/faults", json={"upstream": "gemini", "mode": "empty", "reason": "NO_IMAGE"})
    text_only = (await client.post(MODEL_URL, json=body, headers=KEY)).json()
    assert text_only["candidates"][0]["finishReason"] == "NO_IMAGE"
    assert all("inlineData" not in p for p in text_only["candidates"][0]["content"]["parts"])


async def test_thought_image_switch(client: httpx.AsyncClient) -> None:
    await client.put("/_sandbox/settings", json={"geminiThoughtImage": True})
    data = (await client.post(MODEL_URL, json={"contents": contents()}, headers=KEY)).json()
    parts = data["candidates"][0]["content"]["parts"]
    assert parts[0].get("thought") is True and "thoughtSignature" in parts[-1]
    assert image_of(data).size == (1024, 1024)  # the last inline image is the final one


def service_account_jwt(lifetime: int = 3600, alg: str = "RS256", iat_offset: int = 0) -> str:
    now = int(time.time()) + iat_offset
    header = {"alg": alg, "typ": "JWT", "kid": "key-1"}
    claims = {
        "iss": "robot@sandbox-project.iam.gserviceaccount.com",
        "scope": "https://www.googleapis.com/auth/cloud-platform",
        "aud": "https://oauth2.googleapis.com/token",
        "iat": now,
        "exp": now + lifetime,
    }
    parts = [
        b64url(json.dumps(header).encode()),
        b64url(json.dumps(claims).encode()),
        b64url(os.urandom(256)),
    ]
    return ".".join(parts)


VERTEX_URL = (
    "/vertex/v1/projects/sandbox-project/locations/global/publishers/google/models/"
    "gemini-3-pro-image:generateContent"
)


async def test_vertex_token_flow(client: httpx.AsyncClient) -> None:
    grant = {"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer", "assertion": service_account_jwt()}
    token = await client.post("/google-oauth/token", data=grant)
    assert token.status_code == 200
    access = token.json()
    assert access["access_token"].startswith("ya29.") and access["token_type"] == "Bearer"
    assert 0 < access["expires_in"] <= 3600
    body = {
        "contents": contents(),
        "generationConfig": {
            "responseModalities": ["TEXT", "IMAGE"],
            "imageConfig": {"aspectRatio": "16:9", "imageSize": "2K", "outputMimeType": "image/jpeg"},
        },
    }
    auth = {"Authorization": f"Bearer {access['access_token']}"}
    response = await client.post(VERTEX_URL, json=body, headers=auth)
    assert response.status_code == 200, response.text
    image = image_of(response.json())
    assert image.format == "JPEG" and image.size == (2048, 1152)
    assert (await client.post(VERTEX_URL, json=body)).json()["error"]["status"] == "UNAUTHENTICATED"
    wrong = await client.post(VERTEX_URL, json=body, headers={"Authorization": "Bearer ya29.made-up"})
    assert wrong.status_code == 401
    enum_form = {
        "contents": contents(),
        "generationConfig": {"responseFormat": {"image": {"aspectRatio": "1:1"}}},
    }
    assert (await client.post(VERTEX_URL, json=enum_form, headers=auth)).status_code == 400
    enums = {
        "contents": contents(),
        "generationConfig": {"imageConfig": {"aspectRatio": "ASPECT_RATIO_ONE_BY_ONE"}},
    }
    assert (await client.post(VERTEX_URL, json=enums, headers=auth)).status_code == 400


async def test_vertex_token_expiry(client: httpx.AsyncClient) -> None:
    await client.put("/_sandbox/settings", json={"googleTokenTtl": 0})
    grant = {"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer", "assertion": service_account_jwt()}
    access = (await client.post("/google-oauth/token", data=grant)).json()["access_token"]
    await asyncio.sleep(0.01)
    expired = await client.post(
        VERTEX_URL, json={"contents": contents()}, headers={"Authorization": f"Bearer {access}"}
    )
    assert expired.status_code == 401


@pytest.mark.parametrize(
    "assertion",
    [
        "not-a-jwt",
        service_account_jwt(alg="HS256"),
        service_account_jwt(lifetime=7200),
        service_account_jwt(iat_offset=-7200),
        "a.b.c",
    ],
)
async def test_invalid_assertions(client: httpx.AsyncClient, assertion: str) -> None:
    response = await client.post(
        "/google-oauth/token",
        data={"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer", "assertion": assertion},
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"
    assert response.json()["error_description"].startswith("Invalid JWT")


async def test_wrong_grant_type(client: httpx.AsyncClient) -> None:
    response = await client.post("/google-oauth/token", data={"grant_type": "password"})
    assert response.status_code == 400 and response.json()["error"] == "unsupported_grant_type"
