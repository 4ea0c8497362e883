"""xAI direct API and the progrok proxy (§1)."""

from __future__ import annotations

import base64
import io
import json
from typing import Any

import httpx
import pytest
from PIL import Image

XAI = {"Authorization": "Bearer xai-test-sandbox-key"}


def png_data_url(size: tuple[int, int] = (300, 200)) -> str:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 10, 10)).save(out, "PNG")
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()


async def fetch_image(client: httpx.AsyncClient, url: str) -> Image.Image:
    response = await client.get(url)
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/jpeg"
    return Image.open(io.BytesIO(response.content))


async def test_generation_url_and_size(client: httpx.AsyncClient) -> None:
    body = {
        "model": "grok-imagine-image",
        "prompt": "a fox",
        "n": 1,
        "response_format": "url",
        "aspect_ratio": "16:9",
        "resolution": "2k",
    }
    data = (await client.post("/xai/v1/images/generations", json=body, headers=XAI)).json()
    item = data["data"][0]
    assert item["url"].startswith("http://sandbox.test/files/imgs/") and item["url"].endswith(".jpeg")
    assert item["mime_type"] == "image/jpeg"
    assert data["usage"]["cost_in_usd_ticks"] == 200_000_000
    assert (await fetch_image(client, item["url"])).size == (2048, 1152)
    body.update(response_format="b64_json", aspect_ratio="auto", resolution="1k")
    data = (await client.post("/xai/v1/images/generations", json=body, headers=XAI)).json()
    assert data["data"][0].get("url") is None
    image = Image.open(io.BytesIO(base64.b64decode(data["data"][0]["b64_json"])))
    assert image.size == (1024, 1024)
    assert (await client.get("/files/imgs/unknown.jpeg")).status_code == 404


@pytest.mark.parametrize("name", ["size", "quality", "style"])
async def test_openai_style_args_rejected(client: httpx.AsyncClient, name: str) -> None:
    response = await client.post(
        "/xai/v1/images/generations", json={"prompt": "x", name: "1024x1024"}, headers=XAI
    )
    assert response.status_code == 400
    assert response.json() == {
        "code": "Client specified an invalid argument",
        "error": f"Argument not supported: {name}",
    }


async def test_enums_and_models(client: httpx.AsyncClient) -> None:
    url = "/xai/v1/images/generations"
    for extra in ({"aspect_ratio": "5:4"}, {"resolution": "4k"}, {"n": 11}, {"response_format": "png"}):
        response = await client.post(url, json={"prompt": "x", **extra}, headers=XAI)
        assert response.status_code == 400, extra
        assert set(response.json()) == {"code", "error"}
    for ratio in ("9:19.5", "20:9", "auto"):
        assert (
            await client.post(url, json={"prompt": "x", "aspect_ratio": ratio}, headers=XAI)
        ).status_code == 200
    unknown = await client.post(url, json={"prompt": "x", "model": "grok-imagine-nope"}, headers=XAI)
    assert unknown.status_code == 404
    assert (await client.post(url, json={"model": "grok-imagine-image"}, headers=XAI)).status_code == 422


async def test_bad_key_is_400_flat(client: httpx.AsyncClient) -> None:
    for token in ("xai-invalid-key-123", "sk-not-xai"):
        response = await client.post(
            "/xai/v1/images/generations", json={"prompt": "x"}, headers={"Authorization": f"Bearer {token}"}
        )
        assert response.status_code == 400
        assert response.json()["error"].startswith("Incorrect API key provided: ")
        assert token not in response.json()["error"]
    assert (await client.get("/xai/v1/models")).status_code == 401
    oauth = await client.get("/xai/v1/models", headers={"Authorization": "Bearer sandbox-grok-token"})
    assert oauth.status_code == 200 and any(m["id"] == "grok-4.3" for m in oauth.json()["data"])


async def test_edits(client: httpx.AsyncClient) -> None:
    url = "/xai/v1/images/edits"
    single = {"prompt": "make it blue", "image": {"type": "image_url", "url": png_data_url((300, 200))}}
    data = (await client.post(url, json=single, headers=XAI)).json()
    assert (await fetch_image(client, data["data"][0]["url"])).size == (1024, 683)  # input ratio kept
    multi = {
        "prompt": "<IMAGE_0> meets <IMAGE_1>",
        "aspect_ratio": "1:1",
        "images": [{"url": png_data_url()}, {"image_url": png_data_url()}],
    }
    assert (await client.post(url, json=multi, headers=XAI)).status_code == 200
    both = await client.post(url, json={**multi, "image": {"url": png_data_url()}}, headers=XAI)
    assert both.status_code == 400
    four = await client.post(url, json={**multi, "images": [{"url": png_data_url()}] * 4}, headers=XAI)
    assert four.status_code == 400 and "maximum of 3" in four.json()["error"]
    broken = await client.post(
        url, json={"prompt": "x", "image": {"url": "data:image/png;base64,AAAA"}}, headers=XAI
    )
    assert broken.status_code == 400


async def test_image_safety_fault(client: httpx.AsyncClient) -> None:
    await client.post("/_sandbox/faults", json={"upstream": "xai", "mode": "safety"})
    response = await client.post("/xai/v1/images/generations", json={"prompt": "x"}, headers=XAI)
    assert response.status_code == 400
    assert response.json()["error"] == "Generated image rejected by content moderation."
    assert response.json()["usage"]["cost_in_usd_ticks"] > 0
    await client.post("/_sandbox/faults", json={"upstream": "xai", "mode": "empty"})
    assert (await client.post("/xai/v1/images/generations", json={"prompt": "x"}, headers=XAI)).json()[
        "data"
    ] == []


async def test_search_step(client: httpx.AsyncClient) -> None:
    body = {
        "model": "grok-4.3",
        "stream": False,
        "tool_choice": "required",
        "tools": [{"type": "web_search"}],
        "input": [
            {"role": "system", "content": "You must use web_search."},
            {"role": "user", "content": "the 1969 moon landing"},
        ],
    }
    data = (await client.post("/xai/v1/responses", json=body, headers=XAI)).json()
    assert [item["type"] for item in data["output"]] == ["web_search_call", "reasoning", "message"]
    text = "".join(part["text"] for part in data["output"][-1]["content"])
    assert "1969 moon landing" in text
    assert data["usage"]["num_server_side_tools_used"] == 1
    rejected = {**body, "tools": [{"type": "web_search", "search_context_size": "high"}]}
    assert (await client.post("/xai/v1/responses", json=rejected, headers=XAI)).json()["error"] == (
        "Argument not supported: search_context_size"
    )
    domains = {**body, "tools": [{"type": "web_search", "allowed_domains": [f"d{i}.com" for i in range(6)]}]}
    assert (
        "maximum of 5" in (await client.post("/xai/v1/responses", json=domains, headers=XAI)).json()["error"]
    )
    await client.post("/_sandbox/faults", json={"upstream": "xai", "mode": "empty"})
    empty = (await client.post("/xai/v1/responses", json=body, headers=XAI)).json()
    assert empty["output"][-1]["content"][0]["text"] == ""


def planner_body(text: str, images: int = 0) -> dict[str, Any]:
    content: list[dict[str, Any]] = [{"type": "text", "text": text}]
    content += [{"type": "image_url", "image_url": {"url": png_data_url(), "detail": "high"}}] * images
    return {
        "model": "grok-4.3",
        "stream": False,
        "parallel_tool_calls": False,
        "messages": [{"role": "system", "content": "plan"}, {"role": "user", "content": content}],
        "tools": [
            {
                "type": "function",
                "function": {
                    "name": "generate_image",
                    "parameters": {
                        "type": "object",
                        "required": ["prompt", "model"],
                        "properties": {
                            "prompt": {"type": "string"},
                            "model": {
                                "type": "string",
                                "enum": [
                                    "grok-imagine-image-2.0",
                                    "grok-imagine-image",
                                    "grok-imagine-image-quality",
                                ],
                            },
                        },
                    },
                },
            }
        ],
        "tool_choice": {"type": "function", "function": {"name": "generate_image"}},
    }


async def test_planner_forced_function(client: httpx.AsyncClient) -> None:
    body = planner_body("Selected image model: grok-imagine-image-quality\nUser prompt:\na tiny robot", 1)
    first = (await client.post("/xai/v1/chat/completions", json=body, headers=XAI)).json()
    second = (await client.post("/xai/v1/chat/completions", json=body, headers=XAI)).json()
    choice = first["choices"][0]
    assert choice["finish_reason"] == "tool_calls"
    call = choice["message"]["tool_calls"][0]
    assert call["type"] == "function" and call["function"]["name"] == "generate_image"
    args = json.loads(call["function"]["arguments"])
    assert args["prompt"].startswith("a tiny robot")
    assert args["model"] == "grok-imagine-image-quality"
    assert args == json.loads(second["choices"][0]["message"]["tool_calls"][0]["function"]["arguments"])
    await client.post("/_sandbox/faults", json={"upstream": "xai", "mode": "empty"})
    empty = (await client.post("/xai/v1/chat/completions", json=body, headers=XAI)).json()
    assert "tool_calls" not in empty["choices"][0]["message"]
    wrong = {**body, "tool_choice": {"type": "function", "function": {"name": "other"}}}
    assert (await client.post("/xai/v1/chat/completions", json=wrong, headers=XAI)).status_code == 400


async def test_progrok(client: httpx.AsyncClient) -> None:
    health = (await client.get("/progrok/health")).json()
    assert health == {"status": "ok", "upstream": "xAI Grok", "proxy": "progrok"}
    dummy = {"Authorization": "Bearer dummy"}
    generated = await client.post(
        "/progrok/v1/images/generations", json={"prompt": "x", "response_format": "b64_json"}, headers=dummy
    )
    assert generated.status_code == 200 and generated.json()["data"][0]["b64_json"]
    await client.post("/_sandbox/faults", json={"upstream": "xai", "status": 503})
    assert (await client.get("/progrok/v1/models", headers=dummy)).status_code == 503  # relayed
    await client.put("/_sandbox/settings", json={"progrokLoggedIn": False})
    denied = await client.get("/progrok/v1/models", headers=dummy)
    assert denied.status_code == 401
    assert denied.json() == {
        "error": {"message": "Not logged in. Run `progrok login` first.", "type": "auth_error"}
    }
    logged = (await client.get("/_sandbox/requests?upstream=progrok")).json()["requests"]
    assert logged and logged[-1]["path"] == "/progrok/v1/models"


async def submit(client: httpx.AsyncClient, path: str, body: dict[str, Any]) -> str:
    response = await client.post(f"/xai/v1/videos/{path}", json=body, headers=XAI)
    assert response.status_code == 200, response.text
    return response.json()["request_id"]


async def test_video_lifecycle(client: httpx.AsyncClient) -> None:
    await client.put("/_sandbox/settings", json={"videoPolls": 2})
    request_id = await submit(
        client,
        "generations",
        {
            "model": "grok-imagine-video",
            "prompt": "waves",
            "duration": 5,
            "aspect_ratio": "9:16",
            "resolution": "720p",
        },
    )
    progress = []
    for _ in range(2):
        poll = await client.get(f"/xai/v1/videos/{request_id}", headers=XAI)
        assert poll.status_code == 200 and poll.json()["status"] == "pending"
        progress.append(poll.json()["progress"])
    assert all(isinstance(p, int) and 0 <= p < 100 for p in progress) and progress == sorted(progress)
    done = (await client.get(f"/xai/v1/videos/{request_id}", headers=XAI)).json()
    assert done["status"] == "done" and done["progress"] == 100
    assert done["video"]["duration"] == 5 and done["video"]["respect_moderation"] is True
    assert done["usage"]["cost_in_usd_ticks"] > 0
    video = await client.get(done["video"]["url"])
    assert video.headers["content-type"] == "video/mp4"
    assert video.content[4:8] == b"ftyp"
    assert (await client.get("/xai/v1/videos/no-such-id", headers=XAI)).status_code == 404

    await client.put("/_sandbox/settings", json={"videoPolls": 0})
    extension = await submit(
        client,
        "extensions",
        {
            "model": "grok-imagine-video",
            "prompt": "pull back",
            "duration": 3,
            "video": {"url": done["video"]["url"]},
        },
    )
    extended = (await client.get(f"/xai/v1/videos/{extension}", headers=XAI)).json()
    assert extended["status"] == "done" and extended["video"]["duration"] == 8


async def test_video_validation_and_outcomes(client: httpx.AsyncClient) -> None:
    await client.put("/_sandbox/settings", json={"videoPolls": 0, "videoPendingStatus": 202})
    url = "/xai/v1/videos/generations"
    bad = [
        {"prompt": "x", "duration": 16},
        {"prompt": "x", "resolution": "4k"},
        {"prompt": "x", "aspect_ratio": "21:9"},
        {"prompt": "x", "resolution": "1080p"},
        {"prompt": "x", "image": {"url": png_data_url()}, "reference_images": [{"url": png_data_url()}]},
        {"prompt": "x", "reference_images": [{"url": png_data_url()}] * 8},
    ]
    for body in bad:
        assert (await client.post(url, json=body, headers=XAI)).status_code == 400, body
    ok = await submit(
        client,
        "generations",
        {"model": "grok-imagine-video-1.5", "prompt": "x", "resolution": "1080p", "duration": "8"},
    )
    assert (await client.get(f"/xai/v1/videos/{ok}", headers=XAI)).json()["status"] == "done"
    await client.put("/_sandbox/settings", json={"xaiVideo15RejectsT2V": True})
    rejected = await client.post(url, json={"model": "grok-imagine-video-1.5", "prompt": "x"}, headers=XAI)
    assert rejected.json()["error"] == "Text-to-video is not supported for this model."
    i2v = await submit(
        client, "generations", {"model": "grok-imagine-video-1.5", "image": {"url": png_data_url()}}
    )
    assert (await client.get(f"/xai/v1/videos/{i2v}", headers=XAI)).json()["status"] == "done"
    empty_prompt = await submit(client, "generations", {"prompt": ""})
    failed = (await client.get(f"/xai/v1/videos/{empty_prompt}", headers=XAI)).json()
    assert failed["status"] == "failed" and failed["error"]["code"] == "invalid_argument"
    await client.post("/_sandbox/faults", json={"upstream": "xai", "mode": "safety", "path": "/videos/"})
    blocked = await submit(client, "generations", {"prompt": "x"})
    moderated = (await client.get(f"/xai/v1/videos/{blocked}", headers=XAI)).json()
    assert moderated["video"]["respect_moderation"] is False and not moderated["video"]["url"]
    edit = {"model": "grok-imagine-video", "prompt": "sunset", "video": {"url": "https://x.test/a.mp4"}}
    assert (
        await client.post("/xai/v1/videos/edits", json={**edit, "duration": 5}, headers=XAI)
    ).status_code == 400
    not_mp4 = {**edit, "video": {"url": "data:video/mp4;base64,AAAAAAAAAAAA"}}
    assert (await client.post("/xai/v1/videos/edits", json=not_mp4, headers=XAI)).status_code == 400
    await client.put("/_sandbox/settings", json={"videoPolls": 1})
    edited = await submit(client, "edits", edit)
    pending = await client.get(f"/xai/v1/videos/{edited}", headers=XAI)
    assert pending.status_code == 202 and pending.json()["status"] == "pending"


async def _finish(client: httpx.AsyncClient, request_id: str, polls: int = 3) -> dict[str, Any]:
    body: dict[str, Any] = {}
    for _ in range(polls):
        body = (await client.get(f"/xai/v1/videos/{request_id}", headers=XAI)).json()
        if body.get("status") != "pending":
            break
    return body


async def test_video_has_the_requested_duration_resolution_and_ratio(client: httpx.AsyncClient) -> None:
    from ima2_sandbox import videos

    await client.put("/_sandbox/settings", json={"videoPolls": 0})
    job = await submit(
        client, "generations", {"prompt": "tall", "duration": 3, "resolution": "720p", "aspect_ratio": "9:16"}
    )
    done = await _finish(client, job)
    data = (await client.get(done["video"]["url"])).content
    seconds, width, height = await videos.probe(data) or (0, 0, 0)
    assert abs(seconds - 3) < 0.3 and (width, height) == (720, 1280)
    # image-to-video without aspect_ratio follows the image
    square = await submit(
        client, "generations", {"prompt": "sq", "duration": 1, "image": {"url": png_data_url((100, 100))}}
    )
    clip = (await client.get((await _finish(client, square))["video"]["url"])).content
    assert (await videos.probe(clip) or (0, 0, 0))[1:] == (480, 480)
    # an extension of an inline clip is the original plus the added seconds
    inline = "data:video/mp4;base64," + base64.b64encode(data).decode()
    ext = await submit(client, "extensions", {"prompt": "more", "duration": 2, "video": {"url": inline}})
    assert (await _finish(client, ext))["video"]["duration"] == 5


@pytest.mark.parametrize(
    ("fault", "expected"),
    [
        (
            {"mode": "video-failed", "reason": "permission_denied"},
            {"status": "failed", "code": "permission_denied"},
        ),
        ({"mode": "video-failed"}, {"status": "failed", "code": "internal_error"}),
        ({"mode": "video-expired"}, {"status": "expired"}),
        ({"mode": "video-stalled"}, {"status": "pending", "progress": 37}),
    ],
)
async def test_video_job_faults(
    client: httpx.AsyncClient, fault: dict[str, Any], expected: dict[str, Any]
) -> None:
    await client.put("/_sandbox/settings", json={"videoPolls": 1})
    await client.post("/_sandbox/faults", json={"upstream": "xai", "path": "/videos/generations", **fault})
    job = await submit(client, "generations", {"prompt": "faulty"})
    body = await _finish(client, job, polls=4)
    assert body["status"] == expected["status"]
    if "code" in expected:
        assert body["error"]["code"] == expected["code"] and body["error"]["message"]
    if "progress" in expected:
        assert body["progress"] == expected["progress"]


async def test_video_download_faults(client: httpx.AsyncClient) -> None:
    await client.put("/_sandbox/settings", json={"videoPolls": 0, "videoOversizeBytes": 5_000_000})
    await client.post(
        "/_sandbox/faults", json={"upstream": "xai", "path": "/videos/generations", "mode": "video-not-mp4"}
    )
    bad = await _finish(client, await submit(client, "generations", {"prompt": "x"}))
    served = await client.get(bad["video"]["url"])
    assert served.headers["content-type"] == "video/mp4" and served.content[4:8] != b"ftyp"
    await client.post(
        "/_sandbox/faults", json={"upstream": "xai", "path": "/videos/generations", "mode": "video-too-large"}
    )
    big = await _finish(client, await submit(client, "generations", {"prompt": "y", "duration": 1}))
    async with client.stream("GET", big["video"]["url"]) as response:
        assert int(response.headers["content-length"]) == 5_000_000
        head = b""
        async for chunk in response.aiter_bytes():
            head += chunk
            if len(head) >= 12:
                break
        assert head[4:8] == b"ftyp"
