"""OpenAI API, OAuth proxy and Codex backend emulators (§2, §3.1, §3.2)."""

from __future__ import annotations

import base64
import io
from typing import Any

import httpx
from PIL import Image

KEY = {"Authorization": "Bearer sk-test-sandbox-key"}


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 32), (10, 20, 30)).save(buffer, "PNG")
    return buffer.getvalue()


PNG_1PX = base64.b64encode(_png()).decode()


def payload(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "model": "gpt-5.4",
        "input": [
            {"role": "developer", "content": "You are an image generation assistant."},
            {"role": "user", "content": "Generate an image: a lighthouse at dusk"},
        ],
        "tools": [
            {"type": "web_search"},
            {
                "type": "image_generation",
                "size": "1536x1024",
                "quality": "medium",
                "moderation": "low",
                "output_format": "png",
                "partial_images": 2,
            },
        ],
        "tool_choice": {"type": "image_generation"},
        "reasoning": {"effort": "low"},
        "stream": True,
    }
    body.update(overrides)
    return body


def decode(b64: str) -> Image.Image:
    return Image.open(io.BytesIO(base64.b64decode(b64)))


async def test_stream_framing_and_order(client: httpx.AsyncClient, parse_sse: Any) -> None:
    response = await client.post("/openai/v1/responses", json=payload(), headers=KEY)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    assert "[DONE]" not in response.text
    events = parse_sse(response.text)
    names = [name for name, _ in events]
    assert names[:2] == ["response.created", "response.in_progress"]
    assert names[-1] == "response.completed"
    assert [p["sequence_number"] for _, p in events] == list(range(len(events)))
    image_steps = [n for n in names if n.startswith("response.image_generation_call.")]
    assert image_steps == [
        "response.image_generation_call.in_progress",
        "response.image_generation_call.generating",
        "response.image_generation_call.partial_image",
        "response.image_generation_call.partial_image",
        "response.image_generation_call.completed",
    ]
    partials = [p for n, p in events if n.endswith("partial_image")]
    assert [p["partial_image_index"] for p in partials] == [0, 1]
    assert decode(partials[0]["partial_image_b64"]).format == "PNG"
    done = [p["item"] for n, p in events if n == "response.output_item.done"]
    assert done[0]["type"] == "web_search_call" and done[0]["status"] == "completed"
    image = next(item for item in done if item["type"] == "image_generation_call")
    assert image["revised_prompt"] and image["size"] == "1536x1024"
    assert decode(image["result"]).size == (1536, 1024)
    completed = events[-1][1]["response"]
    assert completed["status"] == "completed" and completed["usage"]["total_tokens"] > 0
    assert completed["tool_usage"]["web_search"]["num_requests"] == 1
    # partial_image comes between the image item's added and done
    added_at = next(
        i
        for i, (n, p) in enumerate(events)
        if n == "response.output_item.added" and p["item"]["type"] == "image_generation_call"
    )
    done_at = next(
        i
        for i, (n, p) in enumerate(events)
        if n == "response.output_item.done" and p["item"]["type"] == "image_generation_call"
    )
    assert added_at < names.index("response.image_generation_call.partial_image") < done_at


async def test_no_partials_by_default_and_format(client: httpx.AsyncClient, parse_sse: Any) -> None:
    body = payload(tools=[{"type": "image_generation", "size": "auto", "output_format": "jpeg"}])
    events = parse_sse((await client.post("/openai/v1/responses", json=body, headers=KEY)).text)
    assert not any(n.endswith("partial_image") for n, _ in events)
    assert not any(p.get("item", {}).get("type") == "web_search_call" for _, p in events)
    image = next(
        p["item"]
        for n, p in events
        if n == "response.output_item.done" and p["item"]["type"] == "image_generation_call"
    )
    decoded = decode(image["result"])
    assert decoded.format == "JPEG" and decoded.size == (1024, 1024)


async def test_json_mode(client: httpx.AsyncClient) -> None:
    body = payload(
        stream=False,
        input=[{"role": "user", "content": "a red kite"}],
        tools=[{"type": "image_generation", "size": "1024x1024", "output_format": "webp"}],
    )
    response = await client.post("/openai/v1/responses", json=body, headers=KEY)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    data = response.json()
    assert data["object"] == "response" and data["status"] == "completed"
    image = next(item for item in data["output"] if item["type"] == "image_generation_call")
    assert decode(image["result"]).format == "WEBP"
    assert "a red kite" in image["revised_prompt"]
    assert data["usage"]["input_tokens"] > 0


async def test_same_request_same_image(client: httpx.AsyncClient) -> None:
    body = payload(stream=False)
    first = (await client.post("/openai/v1/responses", json=body, headers=KEY)).json()
    second = (await client.post("/openai/v1/responses", json=body, headers=KEY)).json()
    pick = [
        next(i["result"] for i in r["output"] if i["type"] == "image_generation_call")
        for r in (first, second)
    ]
    assert pick[0] == pick[1]


async def test_multiple_images_when_required(client: httpx.AsyncClient, parse_sse: Any) -> None:
    body = payload(
        input=[
            {"role": "developer", "content": "Produce up to 3 separate image_generation_call outputs."},
            {"role": "user", "content": "a comic strip"},
        ],
        tool_choice="required",
    )
    events = parse_sse((await client.post("/openai/v1/responses", json=body, headers=KEY)).text)
    images = [
        p["item"]
        for n, p in events
        if n == "response.output_item.done" and p["item"]["type"] == "image_generation_call"
    ]
    assert len(images) == 3
    assert len({i["result"] for i in images}) == 3
    forced = payload(input=body["input"])  # forced tool_choice: one image
    events = parse_sse((await client.post("/openai/v1/responses", json=forced, headers=KEY)).text)
    assert (
        sum(
            1
            for n, p in events
            if n == "response.output_item.done" and p["item"]["type"] == "image_generation_call"
        )
        == 1
    )


async def test_edit_input_images_accepted_and_validated(client: httpx.AsyncClient) -> None:
    content = [
        {"type": "input_image", "image_url": f"data:image/png;base64,{PNG_1PX}"},
        {"type": "input_text", "text": "Edit this image: add snow"},
    ]
    body = payload(stream=False, input=[{"role": "user", "content": content}])
    assert (await client.post("/openai/v1/responses", json=body, headers=KEY)).status_code == 200
    content[0]["image_url"] = "data:image/png;base64,bm90IGFuIGltYWdl"
    bad = await client.post("/openai/v1/responses", json=body, headers=KEY)
    assert bad.status_code == 400
    assert bad.json()["error"]["param"] == "input[0].content[0].image_url"


async def test_bad_key_is_401_and_masked(client: httpx.AsyncClient) -> None:
    key = "sk-invalid-0123456789abcdef"
    response = await client.post(
        "/openai/v1/responses", json=payload(), headers={"Authorization": f"Bearer {key}"}
    )
    assert response.status_code == 401
    error = response.json()["error"]
    assert error["code"] == "invalid_api_key" and error["type"] == "invalid_request_error"
    assert error["param"] is None
    assert error["message"].startswith("Incorrect API key provided: sk-inval")
    assert key not in error["message"] and "cdef" in error["message"]
    for headers in ({"Authorization": "Bearer xai-nope-123456789"}, {}):
        response = await client.get("/openai/v1/models", headers=headers)
        assert response.status_code == 401
    models = await client.get("/openai/v1/models", headers=KEY)
    assert models.status_code == 200 and models.json()["object"] == "list"


async def test_validation_errors(client: httpx.AsyncClient) -> None:
    cases = [
        (payload(extra_field=1), "unknown_parameter", "extra_field"),
        ({k: v for k, v in payload().items() if k != "model"}, "missing_required_parameter", "model"),
        (payload(tools=[{"type": "image_generation", "size": "big"}]), "invalid_value", "tools[0].size"),
        (
            payload(tools=[{"type": "image_generation", "partial_images": 4}]),
            "integer_out_of_range",
            "tools[0].partial_images",
        ),
        (payload(tools=[{"type": "web_search"}]), "invalid_value", "tool_choice"),
    ]
    for body, code, param in cases:
        response = await client.post("/openai/v1/responses", json=body, headers=KEY)
        assert response.status_code == 400, body
        assert response.json()["error"]["code"] == code
        assert response.json()["error"]["param"] == param


async def test_oauth_proxy_needs_no_auth(client: httpx.AsyncClient, parse_sse: Any) -> None:
    response = await client.post("/oauth/v1/responses", json=payload(tool_choice="required"))
    assert response.status_code == 200
    assert parse_sse(response.text)[-1][0] == "response.completed"
    assert (await client.get("/oauth/v1/models")).status_code == 200


async def test_safety_and_empty_stream_faults(client: httpx.AsyncClient, parse_sse: Any) -> None:
    await client.post("/_sandbox/faults", json={"upstream": "openai", "mode": "safety"})
    events = parse_sse((await client.post("/openai/v1/responses", json=payload(), headers=KEY)).text)
    assert events[-1][0] == "response.failed"
    assert events[-1][1]["response"]["error"]["code"] == "moderation_blocked"
    await client.post("/_sandbox/faults", json={"upstream": "openai", "mode": "safety"})
    refused = await client.post("/openai/v1/responses", json=payload(stream=False), headers=KEY)
    assert refused.status_code == 400
    assert refused.json()["error"]["type"] == "image_generation_user_error"
    await client.post("/_sandbox/faults", json={"upstream": "openai", "mode": "empty"})
    events = parse_sse((await client.post("/openai/v1/responses", json=payload(), headers=KEY)).text)
    assert events[-1][0] == "response.completed"
    assert not any(
        p["item"]["type"] == "image_generation_call" for n, p in events if n == "response.output_item.done"
    )
    fallback = await client.post("/openai/v1/responses", json=payload(stream=False), headers=KEY)
    assert any(item["type"] == "image_generation_call" for item in fallback.json()["output"])


async def test_function_tool_call(client: httpx.AsyncClient) -> None:
    tool = {
        "type": "function",
        "name": "image_gen",
        "strict": False,
        "parameters": {"type": "object", "properties": {"prompts": {"type": "array"}}},
    }
    body = payload(
        stream=False,
        tools=[tool],
        tool_choice="required",
        input=[
            {"role": "developer", "content": "Plan up to 2 separate images."},
            {"role": "user", "content": "two cats"},
        ],
    )
    data = (await client.post("/openai/v1/responses", json=body, headers=KEY)).json()
    call = next(item for item in data["output"] if item["type"] == "function_call")
    assert call["name"] == "image_gen"
    import json

    assert len(json.loads(call["arguments"])["prompts"]) == 2


CODEX = {"Authorization": "Bearer sandbox-codex-token", "chatgpt-account-id": "acct-1"}


def codex_payload(**overrides: Any) -> dict[str, Any]:
    body = payload(instructions="", store=False)
    body.update(overrides)
    return body


async def test_codex_backend_streams_and_checks(client: httpx.AsyncClient, parse_sse: Any) -> None:
    url = "/codex/backend-api/codex/responses"
    response = await client.post(url, json=codex_payload(), headers=CODEX)
    assert response.status_code == 200
    assert parse_sse(response.text)[-1][0] == "response.completed"
    assert (await client.post(url, json=codex_payload(stream=False), headers=CODEX)).json() == {
        "detail": "Stream must be set to true"
    }
    assert (await client.post(url, json=codex_payload(store=True), headers=CODEX)).status_code == 400
    missing = await client.post(url, json=codex_payload(), headers={"Authorization": "Bearer tok"})
    assert missing.status_code == 401
    expired = await client.post(
        url, json=codex_payload(), headers={**CODEX, "Authorization": "Bearer expired-token"}
    )
    assert expired.status_code == 401 and expired.json()["error"]["code"] == "token_expired"
    await client.post("/_sandbox/faults", json={"upstream": "codex", "mode": "safety"})
    events = parse_sse((await client.post(url, json=codex_payload(), headers=CODEX)).text)
    assert [n for n, _ in events][-2:] == ["error", "response.failed"]
    assert events[-2][1]["error"]["code"] == "moderation_blocked"


async def test_codex_models_images_and_usage(client: httpx.AsyncClient) -> None:
    base = "/codex/backend-api"
    assert (await client.get(f"{base}/codex/models", headers=CODEX)).status_code == 400
    models = (await client.get(f"{base}/codex/models?client_version=0.157.0", headers=CODEX)).json()
    assert {"hide", "list"} == {m["visibility"] for m in models["models"]}
    gen = await client.post(
        f"{base}/codex/images/generations",
        headers=CODEX,
        json={"model": "gpt-image-2", "prompt": "a boat", "n": 1, "size": "1024x1536"},
    )
    assert decode(gen.json()["data"][0]["b64_json"]).size == (1024, 1536)
    edit = await client.post(
        f"{base}/codex/images/edits",
        headers=CODEX,
        json={
            "model": "gpt-image-2",
            "prompt": "paint it",
            "images": [{"image_url": f"data:image/png;base64,{PNG_1PX}"}],
        },
    )
    assert decode(edit.json()["data"][0]["b64_json"]).size == (64, 32)
    too_many = await client.post(
        f"{base}/codex/images/edits",
        headers=CODEX,
        json={
            "model": "gpt-image-2",
            "prompt": "x",
            "images": [{"image_url": f"data:image/png;base64,{PNG_1PX}"}] * 6,
        },
    )
    assert too_many.status_code == 400
    usage = (await client.get(f"{base}/wham/usage", headers=CODEX)).json()
    assert usage["plan_type"] == "plus" and "primary_window" in usage["rate_limit"]
