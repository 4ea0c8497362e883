"""grok and grok-api against the sandbox's xAI and progrok emulators: what reaches the upstream, what
comes back, and every documented failure from a sandbox fault."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from image_testkit import (
    CUSTOM,
    SPEC_TABLE,
    Collected,
    Creds,
    SandboxControl,
    dimensions,
    image_b64,
    make_call,
)

from ima2_common.errors import Ima2Error, spec_for
from ima2_common.net import free_port
from ima2_common.settings import Settings
from ima2_image.providers.base import ImageProvider
from ima2_image.providers.credentials import Credential
from ima2_image.providers.grok import GrokImageProvider
from ima2_image.providers.registry import ProviderRegistry

XAI_KEY = "xai-sandbox-provider-tests"
PLAN_SUFFIX = ", detailed composition, soft cinematic lighting"  # what the sandbox planner appends
TICKS = 200_000_000  # sandbox price of one grok-imagine-image

MakeGrok = Callable[..., GrokImageProvider]


@pytest.fixture
def grok(settings: Settings, http: httpx.AsyncClient, creds: Creds) -> MakeGrok:
    """grok-api (the default) or grok, through the registry or with explicit knobs."""

    def make(name: str = "grok-api", **knobs: Any) -> GrokImageProvider:
        if name == "grok-api" and "xai" not in creds.values:
            creds.set("xai", XAI_KEY)
        if not knobs:
            provider = ProviderRegistry(settings, http, None, credentials=creds).create(name)
            assert isinstance(provider, GrokImageProvider)
            return provider
        oauth = name == "grok"
        options: dict[str, Any] = {
            "credential_name": "grok" if oauth else "xai",
            "oauth": oauth,
            "planner_model": settings.grok_planner_model,
            "search_timeout": 20.0,
            "planner_timeout": 20.0,
            "image_timeout": 20.0,
        }
        options.update(knobs)
        base = options.pop("base_url", settings.grok_proxy_url if oauth else settings.xai_base_url)
        return GrokImageProvider(name, base, http, creds, **options)

    return make


async def expect_error(provider: ImageProvider, code: str, status: int, **call: Any) -> Ima2Error:
    with pytest.raises(Ima2Error) as caught:
        await provider.generate(make_call(**call))
    assert (caught.value.code, caught.value.status) == (code, status)
    return caught.value


def only(entries: list[dict[str, Any]]) -> dict[str, Any]:
    assert len(entries) == 1, [e["path"] for e in entries]
    return entries[0]


# --- the pipeline ---------------------------------------------------------------------------------


async def test_three_phases_for_count_three(grok: MakeGrok, sandbox: SandboxControl) -> None:
    result = await grok().generate(make_call(count=3))
    planned = "a red fox in fresh snow" + PLAN_SUFFIX
    assert len(result.images) == 3 and not result.failures
    assert {image.mime for image in result.images} == {"image/jpeg"}
    assert all(image.revised_prompt == planned for image in result.images)
    assert all((image.provider_url or "").startswith(f"{sandbox.url}/files/imgs/") for image in result.images)
    assert result.web_search_calls == 1
    assert result.usage == {"grok_cost_usd_ticks": 3 * TICKS}

    search = only(await sandbox.requests("xai", "/xai/v1/responses"))
    assert search["headers"]["authorization"].startswith("Bearer xai-sa")
    assert search["json"]["model"] == "grok-4.3" and search["json"]["stream"] is False
    assert search["json"]["tools"] == [{"type": "web_search"}]
    assert search["json"]["tool_choice"] == "required"
    assert search["json"]["input"][1] == {"role": "user", "content": "a red fox in fresh snow"}

    planner = only(await sandbox.requests("xai", "/chat/completions"))["json"]
    assert planner["model"] == "grok-4.3" and planner["parallel_tool_calls"] is False
    assert planner["tool_choice"] == {"type": "function", "function": {"name": "generate_image"}}
    assert [t["function"]["name"] for t in planner["tools"]] == ["generate_image"]
    user_text = planner["messages"][1]["content"][0]["text"]
    assert "Research brief (sandbox)" in user_text  # the search brief reached the planner
    assert user_text.rstrip().endswith("User prompt:\na red fox in fresh snow")

    images = await sandbox.requests("xai", "/images/")
    assert len(images) == 3
    for entry in images:
        assert entry["path"] == "/xai/v1/images/generations"
        assert entry["json"] == {
            "model": "grok-imagine-image",
            "prompt": planned,
            "n": 1,
            "response_format": "url",
            "aspect_ratio": "1:1",
            "resolution": "1k",
        }
    downloads = await sandbox.requests("xai", "/files/imgs/")
    assert len(downloads) == 3 and all("authorization" not in d["headers"] for d in downloads)


@pytest.mark.parametrize(("size", "ratio", "resolution"), SPEC_TABLE + CUSTOM)
async def test_size_reaches_xai_as_ratio_and_resolution(
    grok: MakeGrok, sandbox: SandboxControl, size: str, ratio: str, resolution: str
) -> None:
    result = await grok().generate(make_call(size=size))
    sent = only(await sandbox.requests("xai", "/images/generations"))["json"]
    assert (sent["aspect_ratio"], sent["resolution"]) == (ratio, resolution)
    assert "size" not in sent and "quality" not in sent
    width, height = dimensions(result.images[0].data)
    assert max(width, height) == (2048 if resolution == "2k" else 1024)
    planner = only(await sandbox.requests("xai", "/chat/completions"))["json"]
    assert f"Requested ima2 size: {size}" in planner["messages"][1]["content"][0]["text"]


async def test_auto_size_sends_no_resolution(grok: MakeGrok, sandbox: SandboxControl) -> None:
    await grok().generate(make_call(size="auto"))
    sent = only(await sandbox.requests("xai", "/images/generations"))["json"]
    assert sent["aspect_ratio"] == "auto" and "resolution" not in sent


async def test_quality_high_and_the_users_model_win(grok: MakeGrok, sandbox: SandboxControl) -> None:
    # The prompt mentions grok-imagine-image-2.0, so the sandbox planner proposes that model.
    await grok().generate(make_call(prompt="poster in the grok-imagine-image-2.0 style"))
    assert only(await sandbox.requests("xai", "/images/generations"))["json"]["model"] == "grok-imagine-image"
    await sandbox.reset()
    await grok().generate(make_call(quality="high"))
    sent = only(await sandbox.requests("xai", "/images/generations"))["json"]
    assert sent["model"] == "grok-imagine-image-quality"


async def test_planner_model_override(grok: MakeGrok, sandbox: SandboxControl) -> None:
    await grok().generate(make_call(planner_model="grok-4"))
    assert only(await sandbox.requests("xai", "/responses"))["json"]["model"] == "grok-4"
    assert only(await sandbox.requests("xai", "/chat/completions"))["json"]["model"] == "grok-4"


async def test_one_reference_uses_image_on_edits(grok: MakeGrok, sandbox: SandboxControl) -> None:
    parent = image_b64("PNG", (300, 200))
    result = await grok().generate(make_call(references=[parent], edit=True, size="1024x1024"))
    planner = only(await sandbox.requests("xai", "/chat/completions"))["json"]
    parts = planner["messages"][1]["content"]
    assert [p["type"] for p in parts] == ["text", "image_url"]
    assert parts[1]["image_url"]["detail"] == "high"
    assert "Reference images attached: 1" in parts[0]["text"]
    sent = only(await sandbox.requests("xai", "/images/edits"))["json"]
    assert sent["image"]["type"] == "image_url" and "images" not in sent
    assert not await sandbox.requests("xai", "/images/generations")
    assert dimensions(result.images[0].data) == (1024, 683)  # a single-image edit keeps the input's ratio


async def test_several_references_use_images(grok: MakeGrok, sandbox: SandboxControl) -> None:
    references = [image_b64("PNG"), image_b64("JPEG", color="red", data_url=True), image_b64("WEBP")]
    await grok().generate(make_call(references=references, size="1536x1024"))
    sent = only(await sandbox.requests("xai", "/images/edits"))["json"]
    assert "image" not in sent and len(sent["images"]) == 3
    assert (sent["aspect_ratio"], sent["resolution"]) == ("3:2", "1k")
    planner = only(await sandbox.requests("xai", "/chat/completions"))["json"]
    assert sum(p["type"] == "image_url" for p in planner["messages"][1]["content"]) == 3


async def test_direct_edit_skips_search_and_planner(grok: MakeGrok, sandbox: SandboxControl) -> None:
    result = await grok().generate(make_call(references=[image_b64()], edit=True, direct_edit=True))
    assert result.web_search_calls == 0 and len(result.images) == 1
    assert not await sandbox.requests("xai", "/responses")
    assert not await sandbox.requests("xai", "/chat/completions")
    assert only(await sandbox.requests("xai", "/images/edits"))["json"]["prompt"] == "a red fox in fresh snow"


async def test_multimode_calls_the_images_api_per_image(grok: MakeGrok, sandbox: SandboxControl) -> None:
    seen = Collected()
    result = await grok().generate(make_call(max_images=3, size="1824x1024", on_image=seen.on_image))
    assert len(result.images) == 3 and result.web_search_calls == 0
    assert [index for index, _ in seen.images] == [0, 1, 2]
    assert not await sandbox.requests("xai", "/responses")
    sent = await sandbox.requests("xai", "/images/generations")
    assert len(sent) == 3 and {(s["json"]["aspect_ratio"], s["json"]["resolution"]) for s in sent} == {
        ("16:9", "1k")
    }


async def test_partial_successes_are_kept(grok: MakeGrok, sandbox: SandboxControl) -> None:
    await sandbox.fault("xai", "/images/generations", status=500, count=1)
    result = await grok().generate(make_call(count=3))
    assert len(result.images) == 2
    assert [f.code if isinstance(f, Ima2Error) else repr(f) for f in result.failures] == [
        "GROK_UPSTREAM_ERROR"
    ]
    assert len(await sandbox.requests("xai", "/images/generations")) == 3  # the failed one was not retried
    assert len(await sandbox.requests("xai", "/responses")) == 1


# --- checks before anything goes upstream ----------------------------------------------------------


async def test_rejections_before_upstream(grok: MakeGrok, sandbox: SandboxControl, creds: Creds) -> None:
    await expect_error(grok(), "GROK_MASK_UNSUPPORTED", 400, mask=image_b64(), edit=True)
    await expect_error(grok(), "GROK_REF_TOO_MANY", 400, references=[image_b64()] * 4)
    await expect_error(grok(), "INVALID_GROK_IMAGE_MODEL", 400, model="gpt-5.4")
    creds.set("xai", "")
    with pytest.raises(Ima2Error) as caught:
        await grok().check_ready()
    assert (caught.value.code, caught.value.status) == ("GROK_API_KEY_MISSING", 401)
    assert await sandbox.requests() == []


# --- grok through progrok (the Grok OAuth path) -----------------------------------------------------


async def test_grok_without_a_session_sends_bearer_dummy(grok: MakeGrok, sandbox: SandboxControl) -> None:
    result = await grok("grok").generate(make_call())
    assert len(result.images) == 1
    sent = await sandbox.requests("progrok")
    assert [e["path"] for e in sent] == [
        "/progrok/v1/responses",
        "/progrok/v1/chat/completions",
        "/progrok/v1/images/generations",
    ]
    assert {e["headers"]["authorization"] for e in sent} == {"Bearer dummy…"}


async def test_grok_with_a_stored_login_calls_xai_directly_and_refreshes_once_on_401(
    grok: MakeGrok, sandbox: SandboxControl, creds: Creds
) -> None:
    creds.set("grok", "sandbox-old-1")
    creds.refreshed["grok"] = Credential(secret="sandbox-new-2", source="oauth")
    await sandbox.fault("xai", "/responses", status=401, count=1)
    result = await grok("grok").generate(make_call())
    assert len(result.images) == 1 and creds.refreshes == ["grok"] and creds.rejected == ["sandbox-old-1"]
    assert len(await sandbox.requests("xai", "/responses")) == 2  # refused, refreshed, sent again
    assert len(await sandbox.requests("xai", "/images/generations")) == 1
    assert not await sandbox.requests("progrok")  # the proxy is not needed with a stored login


async def test_grok_auth_failed_after_one_refresh(
    grok: MakeGrok, sandbox: SandboxControl, creds: Creds
) -> None:
    creds.set("grok", "sandbox-expired-1")  # the sandbox answers 401 to "expired" tokens
    creds.refreshed["grok"] = Credential(secret="sandbox-expired-2", source="oauth")
    await expect_error(grok("grok"), "GROK_AUTH_FAILED", 502)
    assert creds.refreshes == ["grok"] and len(await sandbox.requests("xai", "/responses")) == 2
    await sandbox.reset()
    await sandbox.settings(progrokLoggedIn=False)
    creds.refreshes.clear()
    creds.values.pop("grok")  # no stored login: the proxy with Bearer dummy, nothing to refresh
    err = await expect_error(grok("grok"), "GROK_AUTH_FAILED", 502)
    assert err.upstream_type == "auth_error" and creds.refreshes == []
    assert len(await sandbox.requests("progrok", "/responses")) == 1


async def test_grok_transport_setting(
    settings: Settings, http: httpx.AsyncClient, sandbox: SandboxControl, creds: Creds
) -> None:
    proxy = ProviderRegistry(settings.model_copy(update={"grok_transport": "proxy"}), http, None, creds)
    creds.set("grok", "sandbox-old-1")
    await proxy.create("grok").generate(make_call())  # proxy: the stored bearer goes to progrok
    searches = await sandbox.requests("progrok", "/responses")
    assert [s["headers"]["authorization"] for s in searches] == ["Bearer sandbo…"]
    assert not await sandbox.requests("xai", "/responses")
    direct = ProviderRegistry(settings.model_copy(update={"grok_transport": "direct"}), http, None, creds)
    creds.values.pop("grok")
    await expect_error(direct.create("grok"), "GROK_AUTH_FAILED", 502)  # direct needs a stored login
    assert not await sandbox.requests("xai", "/responses")


# --- failures per phase --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "status", "code", "expected_status"),
    [
        ("/responses", 429, "GROK_RATE_LIMITED", 429),
        ("/responses", 403, "GROK_AUTH_FAILED", 502),
        ("/responses", 400, "GROK_SEARCH_BAD_REQUEST", 400),
        ("/responses", 404, "GROK_SEARCH_BAD_REQUEST", 404),
        ("/chat/completions", 429, "GROK_RATE_LIMITED", 429),
        ("/chat/completions", 401, "GROK_AUTH_FAILED", 502),
        ("/chat/completions", 400, "GROK_PLANNER_BAD_REQUEST", 400),
        ("/chat/completions", 422, "GROK_PLANNER_BAD_REQUEST", 422),
        ("/images/generations", 429, "GROK_RATE_LIMITED", 429),
        ("/images/generations", 401, "GROK_AUTH_FAILED", 502),
        ("/images/generations", 403, "GROK_AUTH_FAILED", 502),
        ("/images/generations", 400, "GROK_BAD_REQUEST", 400),
        ("/images/generations", 404, "GROK_BAD_REQUEST", 404),
        ("/images/generations", 500, "GROK_UPSTREAM_ERROR", 502),
        ("/images/generations", 503, "GROK_UPSTREAM_ERROR", 502),
    ],
)
async def test_http_failures_map_per_phase(
    grok: MakeGrok, sandbox: SandboxControl, path: str, status: int, code: str, expected_status: int
) -> None:
    await sandbox.fault("xai", path, status=status, count=0)
    err = await expect_error(grok(), code, expected_status)
    assert err.upstream_code  # xAI's own `code` text
    assert err.message == spec_for(code).message  # never the upstream message


async def test_search_and_planner_are_retried_on_5xx_and_resets(
    grok: MakeGrok, sandbox: SandboxControl
) -> None:
    await sandbox.fault("xai", "/responses", status=503, count=1)
    await sandbox.fault("xai", "/chat/completions", mode="drop", count=1)
    result = await grok().generate(make_call())
    assert len(result.images) == 1
    assert len(await sandbox.requests("xai", "/responses")) == 2
    assert len(await sandbox.requests("xai", "/chat/completions")) == 2


async def test_persistent_5xx_on_search_gives_up(grok: MakeGrok, sandbox: SandboxControl) -> None:
    await sandbox.fault("xai", "/responses", status=500, count=0)
    await expect_error(grok(), "GROK_UPSTREAM_ERROR", 502)
    assert len(await sandbox.requests("xai", "/responses")) == 3
    assert not await sandbox.requests("xai", "/chat/completions")


async def test_the_image_call_is_never_retried(grok: MakeGrok, sandbox: SandboxControl) -> None:
    await sandbox.fault("xai", "/images/generations", mode="drop", count=1)
    await expect_error(grok(), "GROK_IMAGE_NETWORK_FAILED", 502)
    assert len(await sandbox.requests("xai", "/images/generations")) == 1


async def test_network_failures_per_phase(grok: MakeGrok, sandbox: SandboxControl) -> None:
    closed = f"http://127.0.0.1:{free_port()}/v1"
    await expect_error(grok(base_url=closed), "GROK_SEARCH_NETWORK_FAILED", 502)
    await sandbox.fault("xai", "/chat/completions", mode="drop", count=0)
    await expect_error(grok(), "GROK_PLANNER_NETWORK_FAILED", 502)


@pytest.mark.parametrize(
    ("path", "code", "knob"),
    [
        ("/responses", "GROK_SEARCH_TIMEOUT", "search_timeout"),
        ("/chat/completions", "GROK_PLANNER_TIMEOUT", "planner_timeout"),
        ("/images/generations", "GROK_IMAGE_TIMEOUT", "image_timeout"),
    ],
)
async def test_each_phase_has_its_own_timeout(
    grok: MakeGrok, sandbox: SandboxControl, path: str, code: str, knob: str
) -> None:
    await sandbox.fault("xai", path, mode="hang", count=0)
    await expect_error(grok(**{knob: 0.5}), code, 504)
    if path == "/images/generations":
        assert len(await sandbox.requests("xai", path)) == 1


async def test_empty_answers(grok: MakeGrok, sandbox: SandboxControl) -> None:
    await sandbox.fault("xai", "/responses", mode="empty", count=1)
    await expect_error(grok(), "GROK_SEARCH_EMPTY_RESPONSE", 502)
    await sandbox.fault("xai", "/chat/completions", mode="empty", count=1)
    await expect_error(grok(), "GROK_PLANNER_EMPTY_TOOL_CALL", 502)
    await sandbox.fault("xai", "/images/generations", mode="empty", count=1)
    await expect_error(grok(), "GROK_EMPTY_RESPONSE", 502)


async def test_planner_arguments_that_are_not_json(grok: MakeGrok, sandbox: SandboxControl) -> None:
    def completion(arguments: str) -> dict[str, Any]:
        call = {
            "id": "call_1",
            "type": "function",
            "function": {"name": "generate_image", "arguments": arguments},
        }
        message = {"role": "assistant", "content": "", "tool_calls": [call]}
        return {"choices": [{"index": 0, "finish_reason": "tool_calls", "message": message}]}

    await sandbox.fault("xai", "/chat/completions", status=200, body=completion("{not json"), count=1)
    await expect_error(grok(), "GROK_PLANNER_INVALID_TOOL_ARGS", 502)
    empty_prompt = json.dumps({"prompt": " ", "model": "grok-imagine-image"})
    await sandbox.fault("xai", "/chat/completions", status=200, body=completion(empty_prompt), count=1)
    await expect_error(grok(), "GROK_PLANNER_INVALID_TOOL_ARGS", 502)


async def test_moderated_image(grok: MakeGrok, sandbox: SandboxControl) -> None:
    await sandbox.fault("xai", "/images/generations", mode="safety", count=1)
    err = await expect_error(grok(), "GROK_BAD_REQUEST", 400)
    assert err.upstream_code == "Client specified an invalid argument"


# --- the download of the image URL ------------------------------------------------------------------


async def test_download_retried_on_5xx(grok: MakeGrok, sandbox: SandboxControl) -> None:
    await sandbox.fault("xai", "/files/imgs/", status=502, count=1)
    result = await grok().generate(make_call())
    assert len(result.images) == 1 and len(await sandbox.requests("xai", "/files/imgs/")) == 2


@pytest.mark.parametrize(
    ("fault", "knobs", "status"),
    [
        ({"status": 404}, {}, 502),
        ({"status": 500, "count": 0}, {}, 502),
        ({"status": 200, "body": "<html>not an image</html>"}, {}, 502),
        ({"mode": "hang"}, {"download_timeout": 0.5}, 504),
        ({}, {"download_max_bytes": 1000}, 502),
    ],
)
async def test_download_failures(
    grok: MakeGrok, sandbox: SandboxControl, fault: dict[str, Any], knobs: dict[str, Any], status: int
) -> None:
    if fault:
        await sandbox.fault("xai", "/files/imgs/", **{"count": 1, **fault})
    await expect_error(grok(**knobs), "GROK_IMAGE_DOWNLOAD_FAILED", status)


async def test_cancel_aborts_the_upstream_call(grok: MakeGrok, sandbox: SandboxControl) -> None:
    await sandbox.fault("xai", "/images/generations", mode="hang", count=0)
    task = asyncio.create_task(grok().generate(make_call()))
    for _ in range(400):
        if await sandbox.requests("xai", "/images/generations"):
            break
        await asyncio.sleep(0.025)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_b64_answers_are_decoded_without_a_download(grok: MakeGrok, sandbox: SandboxControl) -> None:
    jpeg = image_b64("JPEG", (32, 32))
    body = {"data": [{"b64_json": jpeg, "mime_type": "image/jpeg"}], "usage": {"cost_in_usd_ticks": 5}}
    await sandbox.fault("xai", "/images/generations", status=200, body=body, count=1)
    result = await grok().generate(make_call())
    assert result.images[0].mime == "image/jpeg" and dimensions(result.images[0].data) == (32, 32)
    assert result.images[0].provider_url is None and result.usage == {"grok_cost_usd_ticks": 5}
    assert not await sandbox.requests("xai", "/files/")
    await sandbox.fault(
        "xai", "/images/generations", status=200, body={"data": [{"b64_json": "@@"}]}, count=1
    )
    await expect_error(grok(), "GROK_EMPTY_RESPONSE", 502)
