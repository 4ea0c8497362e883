"""gemini-api against the sandbox's Gemini, Vertex and Google token emulators."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from image_testkit import Collected, Creds, SandboxControl, dimensions, image_b64, make_call

from ima2_common.errors import Ima2Error
from ima2_common.net import free_port
from ima2_common.settings import Settings
from ima2_image.providers.gemini import GeminiImageProvider
from ima2_image.providers.registry import ProviderRegistry
from ima2_image.providers.vertex_auth import VertexTokenCache, parse_service_account, signed_assertion

GEMINI_KEY = "AIsandbox-provider-tests"
PROJECT = "ima2-tests"
MakeGemini = Callable[..., GeminiImageProvider]


@pytest.fixture(scope="session")
def private_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def service_account(private_key: rsa.RSAPrivateKey, sandbox_url: str) -> Callable[..., str]:
    def make(email: str = "ima2@ima2-tests.iam.gserviceaccount.com", **overrides: Any) -> str:
        pem = private_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode()
        account = {
            "type": "service_account",
            "project_id": PROJECT,
            "private_key_id": "k1",
            "private_key": pem,
            "client_email": email,
            "token_uri": f"{sandbox_url}/google-oauth/token",
        }
        account.update(overrides)
        return json.dumps(account)

    return make


@pytest.fixture
def gemini(settings: Settings, http: httpx.AsyncClient, creds: Creds) -> MakeGemini:
    tokens = VertexTokenCache()

    def make(timeout: float | None = None, gemini_base_url: str | None = None) -> GeminiImageProvider:
        if timeout is None and gemini_base_url is None:
            registry = ProviderRegistry(settings, http, None, credentials=creds)
            registry.vertex_tokens = tokens
            provider = registry.create("gemini-api")
            assert isinstance(provider, GeminiImageProvider)
            return provider
        return GeminiImageProvider(
            gemini_base_url or settings.gemini_base_url,
            settings.vertex_base_url,
            http,
            creds,
            tokens,
            timeout_seconds=timeout or settings.gemini_timeout_seconds,
        )

    return make


async def expect_error(provider: GeminiImageProvider, code: str, status: int, **call: Any) -> Ima2Error:
    with pytest.raises(Ima2Error) as caught:
        await provider.generate(make_call(**call))
    assert (caught.value.code, caught.value.status) == (code, status)
    return caught.value


def only(entries: list[dict[str, Any]]) -> dict[str, Any]:
    assert len(entries) == 1, [e["path"] for e in entries]
    return entries[0]


# --- direct API ----------------------------------------------------------------------------------


async def test_direct_api_sends_snake_case_enums(
    gemini: MakeGemini, sandbox: SandboxControl, creds: Creds
) -> None:
    creds.set("gemini", GEMINI_KEY)
    references = [image_b64("JPEG"), image_b64("PNG", data_url=True)]
    result = await gemini().generate(
        make_call(size="1536x1024", references=references, model="nano-banana-2")
    )
    sent = only(await sandbox.requests("gemini"))
    assert sent["path"] == "/gemini/v1beta/models/gemini-3.1-flash-image:generateContent"
    assert sent["headers"]["x-goog-api-key"] == "AIsand…" and "authorization" not in sent["headers"]
    body = sent["json"]
    assert body["generation_config"] == {
        "response_modalities": ["TEXT", "IMAGE"],
        "response_format": {
            "image": {"aspect_ratio": "ASPECT_RATIO_THREE_BY_TWO", "image_size": "IMAGE_SIZE_TWO_K"}
        },
    }
    assert "generationConfig" not in body
    parts = body["contents"][0]["parts"]
    assert [next(iter(p)) for p in parts] == ["inlineData", "inlineData", "text"]  # references first
    assert [p["inlineData"]["mimeType"] for p in parts[:2]] == ["image/jpeg", "image/png"]
    assert parts[2]["text"] == "a red fox in fresh snow"
    image = result.images[0]
    assert image.mime == "image/png" and dimensions(image.data) == (2048, 1365)
    assert image.revised_prompt.startswith("Here is the image")
    assert result.web_search_calls == 0
    assert result.usage["costUsd"] == 0.004
    assert result.usage["totalTokens"] == result.usage["promptTokens"] + result.usage["candidatesTokens"]


async def test_auto_omits_the_image_config(gemini: MakeGemini, sandbox: SandboxControl, creds: Creds) -> None:
    creds.set("gemini", GEMINI_KEY)
    result = await gemini().generate(make_call(size="auto"))
    assert only(await sandbox.requests("gemini"))["json"]["generation_config"] == {
        "response_modalities": ["TEXT", "IMAGE"]
    }
    assert result.usage["costUsd"] == 0.003  # billed as the default 1K tier


async def test_last_inline_image_wins_over_thought_images(
    gemini: MakeGemini, sandbox: SandboxControl, creds: Creds
) -> None:
    creds.set("gemini", GEMINI_KEY)
    await sandbox.settings(geminiThoughtImage=True)
    result = await gemini().generate(make_call(size="1024x1024"))
    assert dimensions(result.images[0].data) == (1024, 1024)  # not the 256 px thought draft
    assert "draft" not in result.images[0].revised_prompt


async def test_count_and_multimode(gemini: MakeGemini, sandbox: SandboxControl, creds: Creds) -> None:
    creds.set("gemini", GEMINI_KEY)
    result = await gemini().generate(make_call(count=2, model="nano-banana-pro", size="3840x2160"))
    assert len(result.images) == 2 and result.usage["costUsd"] == 0.026
    sent = await sandbox.requests("gemini")
    assert len(sent) == 2 and all("gemini-3-pro-image:" in s["path"] for s in sent)
    await sandbox.reset()
    seen = Collected()
    result = await gemini().generate(make_call(max_images=4, on_image=seen.on_image))
    assert len(result.images) == 1 and [i for i, _ in seen.images] == [0]
    assert len(await sandbox.requests("gemini")) == 1


# --- Vertex AI --------------------------------------------------------------------------------------


async def test_vertex_sends_camel_case_with_a_token_from_the_token_uri(
    gemini: MakeGemini, sandbox: SandboxControl, creds: Creds, service_account: Callable[..., str]
) -> None:
    creds.set("vertex", service_account(), auth_mode="vertex")
    creds.set("gemini", GEMINI_KEY, auth_mode="vertex")  # both configured, mode vertex: Vertex
    result = await gemini().generate(
        make_call(size="2048x1152", model="nano-banana-pro", references=[image_b64()])
    )
    assert len(result.images) == 1 and result.usage["costUsd"] == 0.007
    token_call = only(await sandbox.requests("google-oauth"))
    assert token_call["form"]["grant_type"] == "urn:ietf:params:oauth:grant-type:jwt-bearer"
    assert token_call["form"]["assertion"]
    assert not await sandbox.requests("gemini")
    sent = only(await sandbox.requests("vertex"))
    assert sent["path"] == (
        f"/vertex/v1/projects/{PROJECT}/locations/global/publishers/google/models/gemini-3-pro-image:generateContent"
    )
    assert sent["headers"]["authorization"] == "Bearer ya29.s…"  # the sandbox only accepts tokens it issued
    assert "x-goog-api-key" not in sent["headers"]
    body = sent["json"]
    assert body["generationConfig"] == {
        "responseModalities": ["TEXT", "IMAGE"],
        "imageConfig": {"aspectRatio": "16:9", "imageSize": "2K"},
    }
    assert "generation_config" not in body
    assert [next(iter(p)) for p in body["contents"][0]["parts"]] == ["inlineData", "text"]

    await gemini().generate(make_call(size="auto"))  # the cached token is reused
    assert len(await sandbox.requests("google-oauth")) == 1
    later = await sandbox.requests("vertex")
    assert later[-1]["json"]["generationConfig"] == {"responseModalities": ["TEXT", "IMAGE"]}


async def test_the_saved_auth_mode_picks_the_route_when_both_are_configured(
    gemini: MakeGemini, sandbox: SandboxControl, creds: Creds, service_account: Callable[..., str]
) -> None:
    creds.set("vertex", service_account(), auth_mode="apikey")
    creds.set("gemini", GEMINI_KEY, auth_mode="apikey")
    provider = gemini()
    await provider.generate(make_call(size="1024x1024"))
    assert provider.auth_mode == "apikey"
    assert only(await sandbox.requests("gemini"))["headers"]["x-goog-api-key"] == "AIsand…"
    assert not await sandbox.requests("vertex") and not await sandbox.requests("google-oauth")
    await sandbox.reset()
    creds.set("gemini", "", auth_mode="apikey")  # apikey mode but no key: the service account is used
    provider = gemini()
    await provider.generate(make_call(size="1024x1024"))
    assert provider.auth_mode == "vertex" and len(await sandbox.requests("vertex")) == 1
    await sandbox.reset()
    creds.set("vertex", "", auth_mode="vertex")  # vertex mode without an account: the key is used
    creds.set("gemini", GEMINI_KEY, auth_mode="vertex")
    provider = gemini()
    await provider.generate(make_call(size="1024x1024"))
    assert provider.auth_mode == "apikey" and len(await sandbox.requests("gemini")) == 1


async def test_vertex_mints_a_new_token_after_a_401(
    gemini: MakeGemini, sandbox: SandboxControl, creds: Creds, service_account: Callable[..., str]
) -> None:
    creds.set("vertex", service_account())
    await gemini().generate(make_call())
    await sandbox.fault("vertex", ":generateContent", status=401, count=1)
    result = await gemini().generate(make_call())
    assert len(result.images) == 1
    assert len(await sandbox.requests("google-oauth")) == 2 and len(await sandbox.requests("vertex")) == 3


async def test_vertex_renews_a_token_near_expiry(
    gemini: MakeGemini, sandbox: SandboxControl, creds: Creds, service_account: Callable[..., str]
) -> None:
    await sandbox.settings(googleTokenTtl=60)  # inside the renewal margin
    creds.set("vertex", service_account())
    await gemini().generate(make_call())
    await gemini().generate(make_call())
    assert len(await sandbox.requests("google-oauth")) == 2


async def test_vertex_account_problems(
    gemini: MakeGemini, sandbox: SandboxControl, creds: Creds, service_account: Callable[..., str]
) -> None:
    creds.set("vertex", service_account(email="deleted-account@ima2-tests.iam.gserviceaccount.com"))
    err = await expect_error(gemini(), "GEMINI_API_BAD_REQUEST", 400)
    assert (err.upstream_code, err.upstream_type) == ("invalid_client", "vertex_token")
    assert not await sandbox.requests("vertex")
    creds.set("vertex", '{"type": "service_account"')
    err = await expect_error(gemini(), "GEMINI_API_BAD_REQUEST", 400)
    assert err.upstream_type == "service_account"
    creds.set(
        "vertex",
        service_account(private_key="-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----\n"),
    )
    err = await expect_error(gemini(), "GEMINI_API_BAD_REQUEST", 400)
    assert err.upstream_code == "invalid_private_key"


def test_assertion_is_an_rs256_jwt_signed_with_the_account_key(
    private_key: rsa.RSAPrivateKey, service_account: Callable[..., str]
) -> None:
    account = parse_service_account(service_account())
    assertion = signed_assertion(account, now=1_800_000_000)
    header_b64, claims_b64, signature_b64 = assertion.split(".")

    def decode(part: str) -> bytes:
        return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))

    assert json.loads(decode(header_b64)) == {"alg": "RS256", "typ": "JWT", "kid": "k1"}
    claims = json.loads(decode(claims_b64))
    assert claims == {
        "iss": account.client_email,
        "scope": "https://www.googleapis.com/auth/cloud-platform",
        "aud": account.token_uri,
        "iat": 1_800_000_000,
        "exp": 1_800_003_600,
    }
    private_key.public_key().verify(
        decode(signature_b64), f"{header_b64}.{claims_b64}".encode(), padding.PKCS1v15(), hashes.SHA256()
    )


# --- credentials and errors -----------------------------------------------------------------------------


async def test_missing_credentials_and_masks(
    gemini: MakeGemini, sandbox: SandboxControl, creds: Creds
) -> None:
    with pytest.raises(Ima2Error) as caught:
        await gemini().check_ready()
    assert (caught.value.code, caught.value.status) == ("GEMINI_API_KEY_MISSING", 401)
    creds.set("gemini", GEMINI_KEY)
    await expect_error(gemini(), "GEMINI_MASK_UNSUPPORTED", 400, mask=image_b64(), edit=True)
    assert await sandbox.requests() == []


@pytest.mark.parametrize(
    ("fault", "code", "status"),
    [
        ({"status": 429}, "GEMINI_API_RATE_LIMITED", 429),
        ({"status": 400}, "GEMINI_API_BAD_REQUEST", 400),
        ({"status": 403}, "GEMINI_API_BAD_REQUEST", 403),
        ({"status": 500}, "GEMINI_API_UPSTREAM_ERROR", 502),
        ({"status": 503}, "GEMINI_API_UPSTREAM_ERROR", 502),
        ({"mode": "safety"}, "GEMINI_API_SAFETY_BLOCKED", 400),
        ({"mode": "safety", "reason": "IMAGE_SAFETY"}, "GEMINI_API_SAFETY_BLOCKED", 400),
        ({"mode": "safety", "reason": "IMAGE_PROHIBITED_CONTENT"}, "GEMINI_API_SAFETY_BLOCKED", 400),
        ({"mode": "safety", "blockReason": "SAFETY"}, "GEMINI_API_SAFETY_BLOCKED", 400),
        ({"mode": "safety", "blockReason": "OTHER"}, "GEMINI_API_SAFETY_BLOCKED", 400),
        ({"mode": "empty"}, "GEMINI_API_NO_IMAGE", 502),
        ({"mode": "empty", "reason": "NO_IMAGE"}, "GEMINI_API_NO_IMAGE", 502),
        ({"mode": "empty", "reason": "RECITATION"}, "GEMINI_API_NO_IMAGE", 502),
        ({"mode": "drop"}, "GEMINI_API_NETWORK_FAILED", 502),
    ],
)
async def test_upstream_failures(
    gemini: MakeGemini, sandbox: SandboxControl, creds: Creds, fault: dict[str, Any], code: str, status: int
) -> None:
    creds.set("gemini", GEMINI_KEY)
    await sandbox.fault("gemini", ":generateContent", **fault)
    err = await expect_error(gemini(), code, status)
    if "status" in fault:
        assert err.upstream_code  # Google's canonical status, e.g. RESOURCE_EXHAUSTED
        assert "Quota" not in err.message and "quota" not in err.message


async def test_vertex_failures_map_the_same_way(
    gemini: MakeGemini, sandbox: SandboxControl, creds: Creds, service_account: Callable[..., str]
) -> None:
    creds.set("vertex", service_account())
    await sandbox.fault("vertex", ":generateContent", status=429)
    await expect_error(gemini(), "GEMINI_API_RATE_LIMITED", 429)
    await sandbox.fault("vertex", ":generateContent", mode="safety", reason="IMAGE_SAFETY")
    await expect_error(gemini(), "GEMINI_API_SAFETY_BLOCKED", 400)


async def test_bad_key_unknown_model_timeout_and_network(
    gemini: MakeGemini, sandbox: SandboxControl, creds: Creds
) -> None:
    creds.set("gemini", "AIinvalid-key")
    err = await expect_error(gemini(), "GEMINI_API_BAD_REQUEST", 400)
    assert (err.upstream_code, err.upstream_type) == ("INVALID_ARGUMENT", "API_KEY_INVALID")
    creds.set("gemini", GEMINI_KEY)
    await expect_error(gemini(), "GEMINI_API_UPSTREAM_ERROR", 502, model="nano-banana-9")
    assert (await sandbox.requests("gemini"))[-1]["path"].endswith("/models/nano-banana-9:generateContent")
    await sandbox.fault("gemini", ":generateContent", mode="hang")
    await expect_error(gemini(timeout=0.5), "GENERATION_TIMEOUT", 504)
    closed = f"http://127.0.0.1:{free_port()}/v1beta"
    await expect_error(gemini(gemini_base_url=closed), "GEMINI_API_NETWORK_FAILED", 502)
