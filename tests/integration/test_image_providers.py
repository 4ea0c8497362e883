"""Every image route through every provider, against the sandbox: the answer, the events, the stored
file with its embedded and sidecar metadata, history, and what reached the upstream.

Runs on its own stack whose HOME is a temporary folder, so the fake `agy` (which works in $HOME)
never touches the real home directory.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from ima2_common.media import strip_data_url
from tests.image_support import (
    PROVIDERS,
    EventWatch,
    b64,
    decode_image,
    files_of_request,
    history_rows,
    jpeg_bytes,
    png_bytes,
    rid,
    sse_post,
    stored,
    upstream_calls,
    wait_until,
)
from tests.stackctl import RunningStack, pid_alive, start_stack

IMAGE_PATHS = re.compile(r"ImagePaths:\s*(\[[^\]]*\])")
MODELS = {
    "api": "gpt-5.4-mini",
    "oauth": "gpt-5.4-mini",
    "grok": "grok-imagine-image",
    "grok-api": "grok-imagine-image",
    "gemini-api": "nano-banana-2",
    "agy": "nano-banana-2",
}


@pytest.fixture(scope="module")
def provider_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    home = tmp_path_factory.mktemp("providers-user-home")
    running = start_stack(tmp_path_factory.mktemp("providers"), extra_env={"HOME": str(home)})
    running.env["HOME"] = str(home)
    yield running
    running.stop()


@pytest.fixture
async def api(provider_stack: RunningStack) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=provider_stack.url, timeout=60) as http:
        yield http


@pytest.fixture
async def upstream(provider_stack: RunningStack) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=provider_stack.sandbox_url, timeout=10) as http:
        await http.post("/_sandbox/reset")
        yield http


def agy_last_run(stack: RunningStack) -> dict[str, Any]:
    return json.loads((Path(stack.env["HOME"]) / ".ima2-sandbox-agy.last.json").read_text())


def _b64_size(value: Any) -> int:
    """Length of an image as logged by the sandbox (`<b64:N chars>` or the string itself)."""
    text = value if isinstance(value, str) else json.dumps(value)
    match = re.match(r"^<b64:(\d+) chars>$", text)
    return int(match.group(1)) if match else len(text)


async def sent_images(provider: str, sandbox: httpx.AsyncClient, stack: RunningStack) -> list[Any]:
    """The input images the final image call carried, in the order sent: their sizes, or for
    agy (whose temporary reference files are gone after the run) their file extensions."""
    if provider == "agy":
        match = IMAGE_PATHS.search(agy_last_run(stack)["prompt"])
        return [Path(p).suffix.lstrip(".") for p in json.loads(match.group(1))] if match else []
    if provider in ("grok", "grok-api"):
        calls = await upstream_calls(sandbox, provider, "/images/")
        body = calls[-1]["json"]
        images = body.get("images") or ([body["image"]] if body.get("image") else [])
        return [_b64_size(image.get("url") if isinstance(image, dict) else image) for image in images]
    if provider == "gemini-api":
        calls = await upstream_calls(sandbox, provider, ":generateContent")
        parts = calls[-1]["json"]["contents"][0]["parts"]
        return [_b64_size(part["inlineData"]["data"]) for part in parts if "inlineData" in part]
    calls = await upstream_calls(sandbox, provider, "/responses")
    content = calls[-1]["json"]["input"][-1]["content"]
    if isinstance(content, str):
        return []
    return [_b64_size(part.get("image_url")) for part in content if part.get("type") == "input_image"]


def assert_source_first(provider: str, sent: list[Any]) -> None:
    """A large JPEG source (edited image or parent) went first, then one small PNG reference."""
    assert len(sent) == 2, sent
    if provider == "agy":
        assert sent == ["jpg", "png"], sent
    else:
        assert sent[0] > sent[1], sent


async def check_generation_reached_upstream(
    provider: str, sandbox: httpx.AsyncClient, stack: RunningStack, prompt: str
) -> None:
    if provider == "agy":
        assert prompt in agy_last_run(stack)["prompt"]
        return
    calls = await upstream_calls(sandbox, provider)
    assert calls, f"nothing reached the {provider} upstream"
    if provider in ("grok", "grok-api"):
        paths = [call["path"] for call in calls]
        assert any(p.endswith("/responses") for p in paths)  # mandatory web search
        planner = next(call for call in calls if call["path"].endswith("/chat/completions"))
        assert planner["json"]["model"] == "grok-4.3"
        assert planner["json"]["tool_choice"]["function"]["name"] == "generate_image"
        image_call = next(call for call in calls if call["path"].endswith("/images/generations"))
        assert image_call["json"]["model"] == "grok-imagine-image" and "size" not in image_call["json"]
        assert image_call["json"]["aspect_ratio"] == "1:1"
    elif provider == "gemini-api":
        [call] = calls
        assert call["path"].endswith("gemini-3.1-flash-image:generateContent")
        assert prompt in json.dumps(call["json"])
    else:
        [call] = [c for c in calls if c["path"].endswith("/responses")]
        assert prompt in json.dumps(call["json"])


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_generate(
    provider: str, api: httpx.AsyncClient, upstream: httpx.AsyncClient, provider_stack: RunningStack
) -> None:
    request_id = rid()
    prompt = f"a red fox for {provider}"
    response = await api.post(
        "/api/generate",
        json={"prompt": prompt, "provider": provider, "requestId": request_id, "sessionId": "s_prov"},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["provider"] == provider and body["model"] == MODELS[provider]
    assert body["requestId"] == request_id and decode_image(body["image"]).size[0] > 0
    kept = stored(provider_stack, body["filename"])
    for meta in (kept.sidecar, kept.xmp):
        assert meta["provider"] == provider and meta["kind"] == "classic" and meta["sessionId"] == "s_prov"
        assert meta["requestId"] == request_id and meta["prompt"] == prompt
    rows = await history_rows(api, requestId=request_id)
    assert [row["filename"] for row in rows] == [body["filename"]]
    # The format is what the bytes are (Grok and agy answer JPEG whatever was asked for).
    fmt = {"image/png": "png", "image/jpeg": "jpeg", "image/webp": "webp"}[strip_data_url(body["image"])[0]]
    assert kept.sidecar["format"] == kept.xmp["format"] == rows[0]["format"] == fmt
    assert body["filename"].endswith(f".{fmt}") and (fmt == "jpeg") == provider.startswith(("grok", "agy"))
    await check_generation_reached_upstream(provider, upstream, provider_stack, prompt)


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_edit(
    provider: str, api: httpx.AsyncClient, upstream: httpx.AsyncClient, provider_stack: RunningStack
) -> None:
    source = jpeg_bytes(96, 96)
    ref = png_bytes(4, 4)
    response = await api.post(
        "/api/edit",
        json={
            "prompt": "paint it blue",
            "image": b64(source),
            "references": [b64(ref)],
            "provider": provider,
        },
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["provider"] == provider and body["refsCount"] == 1
    kept = stored(provider_stack, body["filename"])
    assert kept.sidecar["kind"] == "edit" == kept.xmp["kind"] and kept.xmp["provider"] == provider
    assert_source_first(provider, await sent_images(provider, upstream, provider_stack))
    if provider in ("grok", "grok-api"):  # edit goes straight to the Images API
        assert not await upstream_calls(upstream, provider, "/chat/completions")


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_node_root_child_sse_and_async(
    provider: str, api: httpx.AsyncClient, upstream: httpx.AsyncClient, provider_stack: RunningStack
) -> None:
    root = await api.post(
        "/api/node/generate",
        json={
            "prompt": "a castle",
            "provider": provider,
            "sessionId": "s_nodes",
            "clientNodeId": "c_root",
            "format": "jpeg",
        },
    )
    assert root.status_code == 200, root.text
    parent = root.json()
    assert parent["provider"] == provider and parent["filename"].startswith(parent["nodeId"])
    await upstream.delete("/_sandbox/requests")

    child_id = rid()
    result = await sse_post(
        api,
        "/api/node/generate",
        {
            "prompt": "the castle at night",
            "provider": provider,
            "parentNodeId": parent["nodeId"],
            "references": [b64(png_bytes(4, 4))],
            "sessionId": "s_nodes",
            "requestId": child_id,
        },
    )
    assert result.frames[0].event == "phase" and result.last.event == "done", result.frames[-1]
    child = result.last.data
    assert child["parentNodeId"] == parent["nodeId"] and child["refsCount"] == 1
    kept = stored(provider_stack, child["filename"])
    for meta in (kept.sidecar, kept.xmp):
        assert meta["parentNodeId"] == parent["nodeId"] and meta["nodeId"] == child["nodeId"]
        assert meta["provider"] == provider and meta["sessionId"] == "s_nodes"
    assert_source_first(provider, await sent_images(provider, upstream, provider_stack))
    rows = await history_rows(api, sessionId="s_nodes")
    assert {parent["filename"], child["filename"]} <= {row["filename"] for row in rows}

    async_id = rid()
    async with EventWatch(api) as watch:
        accepted = await api.post(
            "/api/node/generate",
            json={
                "prompt": "async child",
                "provider": provider,
                "parentNodeId": child["nodeId"],
                "async": True,
                "requestId": async_id,
            },
        )
        assert accepted.status_code == 202, accepted.text
        mine = await watch.job(async_id)
    assert mine[-1].event == "done" and mine[-1].data["parentNodeId"] == child["nodeId"]


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_multimode(
    provider: str, api: httpx.AsyncClient, upstream: httpx.AsyncClient, provider_stack: RunningStack
) -> None:
    result = await sse_post(
        api, "/api/generate/multimode", {"prompt": "two panels", "provider": provider, "maxImages": 2}
    )
    assert result.last.event == "done", result.last
    # agy makes one image per call (spec); the gemini-api provider also answers multimode with one
    expected = 1 if provider in ("agy", "gemini-api") else 2
    images = result.events("image")
    assert len(images) == expected and result.last.data["returned"] == expected
    assert result.last.data["status"] == "complete"
    for frame in images:
        kept = stored(provider_stack, frame.data["filename"])
        assert kept.sidecar["kind"] == "multimode" and kept.xmp["provider"] == provider
        assert kept.sidecar["sequenceId"] == result.last.data["sequenceId"]
    if provider in ("grok", "grok-api"):  # each image straight to the Images API
        assert len(await upstream_calls(upstream, provider, "/images/generations")) == 2


async def test_upstream_failures_per_provider_and_route(
    api: httpx.AsyncClient, upstream: httpx.AsyncClient, provider_stack: RunningStack
) -> None:
    """Each provider's documented upstream error, through a different route each time."""
    await upstream.post("/_sandbox/faults", json={"upstream": "progrok", "path": "/images/", "status": 429})
    edit = await api.post(
        "/api/edit", json={"prompt": "p", "image": b64(png_bytes(8, 8)), "provider": "grok"}
    )
    assert edit.status_code == 429 and edit.json()["code"] == "GROK_RATE_LIMITED"

    await upstream.post(
        "/_sandbox/faults", json={"upstream": "gemini", "path": "generateContent", "status": 429}
    )
    node = await api.post("/api/node/generate", json={"prompt": "p", "provider": "gemini-api"})
    assert node.status_code == 429 and node.json()["error"]["code"] == "GEMINI_API_RATE_LIMITED"
    assert node.json()["status"] == 429

    await upstream.post(
        "/_sandbox/faults", json={"upstream": "gemini", "path": "generateContent", "mode": "safety"}
    )
    safety = await sse_post(api, "/api/node/generate", {"prompt": "p", "provider": "gemini-api"})
    assert safety.last.event == "error" and safety.last.data["code"] == "GEMINI_API_SAFETY_BLOCKED"

    await upstream.post(
        "/_sandbox/faults", json={"upstream": "xai", "path": "/images/", "status": 429, "count": 0}
    )
    multi = await sse_post(
        api, "/api/generate/multimode", {"prompt": "p", "provider": "grok-api", "maxImages": 2}
    )
    assert multi.last.event == "error" and multi.last.data["code"] == "GROK_RATE_LIMITED"
    await upstream.delete("/_sandbox/faults")

    scenario = Path(provider_stack.env["HOME"]) / ".ima2-sandbox-agy.json"
    scenario.write_text(json.dumps({"scenario": "quota"}))
    try:
        quota = await api.post(
            "/api/edit", json={"prompt": "p", "image": b64(png_bytes(8, 8)), "provider": "agy"}
        )
        assert quota.status_code == 429 and quota.json()["code"] == "AGY_QUOTA_EXHAUSTED"
    finally:
        scenario.unlink()


async def test_cancel_kills_the_agy_child(api: httpx.AsyncClient, provider_stack: RunningStack) -> None:
    home = Path(provider_stack.env["HOME"])
    scenario = home / ".ima2-sandbox-agy.json"
    scenario.write_text(json.dumps({"scenario": "hang"}))
    request_id = rid()
    try:
        async with EventWatch(api) as watch:
            accepted = await api.post(
                "/api/node/generate",
                json={"prompt": "p", "provider": "agy", "async": True, "requestId": request_id},
            )
            assert accepted.status_code == 202
            children = await wait_until(lambda: _agy_children(home))
            await api.delete(f"/api/inflight/{request_id}")
            mine = await watch.job(request_id)
        assert mine[-1].data["code"] == "GENERATION_CANCELED"
        await wait_until(lambda: _gone(children), timeout=10)
        assert files_of_request(provider_stack, request_id) == []
    finally:
        scenario.unlink()


async def _agy_children(home: Path) -> list[int]:
    return await asyncio.to_thread(_scan_agy_children, home)


def _scan_agy_children(home: Path) -> list[int]:
    """Fake agy processes running with this stack's HOME."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes()
            environ = (proc / "environ").read_bytes()
        except OSError:
            continue
        if b"ima2-sandbox-agy" in cmdline and f"HOME={home}".encode() in environ.split(b"\0"):
            found.append(int(proc.name))
    return found


async def _gone(pids: list[int]) -> bool:
    return not any(pid_alive(pid) for pid in pids)
