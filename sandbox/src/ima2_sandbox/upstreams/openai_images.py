"""`/images/generations` and `/images/edits` (JSON with data-URL images), as the Codex backend serves them."""

from __future__ import annotations

import time
from typing import Any

from fastapi.responses import JSONResponse, Response

from ima2_sandbox import images
from ima2_sandbox.control import Call
from ima2_sandbox.errors import openai_error, openai_moderation_body

QUALITIES = ("low", "medium", "high", "auto", "standard", "hd")
BACKGROUNDS = ("transparent", "opaque", "auto")
MAX_EDIT_IMAGES = 5


def _problem(message: str, param: str | None, code: str = "invalid_value") -> Response:
    return openai_error(400, message, "invalid_request_error", code, param)


def _edit_inputs(body: dict[str, Any]) -> list[bytes] | Response:
    sources = body.get("images")
    if sources is None and body.get("image") is not None:
        sources = body["image"] if isinstance(body["image"], list) else [body["image"]]
    if not isinstance(sources, list) or not sources:
        return _problem("Missing required parameter: 'images'.", "images", "missing_required_parameter")
    if len(sources) > MAX_EDIT_IMAGES:
        return _problem(f"Too many images: at most {MAX_EDIT_IMAGES} are allowed.", "images")
    decoded = []
    for i, source in enumerate(sources):
        url = source.get("image_url") if isinstance(source, dict) else source
        if isinstance(url, dict):
            url = url.get("url")
        found = images.decode_data_url(url) if isinstance(url, str) else None
        if found is None or images.sniff(found[1]) is None:
            return _problem(
                f"Invalid 'images[{i}].image_url': expected a base64 image data URL.",
                f"images[{i}].image_url",
            )
        decoded.append(found[1])
    return decoded


def images_response(call: Call, edit: bool) -> Response:
    body = call.body
    if body is None:
        return _problem("We could not parse the JSON body of your request.", None, "invalid_json")
    prompt = body.get("prompt")
    if not isinstance(prompt, str) or not prompt.strip():
        return _problem("Missing required parameter: 'prompt'.", "prompt", "missing_required_parameter")
    n = body.get("n", 1)
    if not isinstance(n, int) or isinstance(n, bool) or not 1 <= n <= 10:
        return _problem(f"Invalid 'n': integer between 1 and 10 expected, got {n!r}.", "n")
    size = body.get("size") or "auto"
    dims = images.parse_size(size) if isinstance(size, str) else None
    if dims is None:
        return _problem(
            f"Invalid value: '{size}'. Supported values are: '1024x1024', '1024x1536', "
            "'1536x1024', and 'auto'.",
            "size",
        )
    quality = body.get("quality") or "auto"
    background = body.get("background") or "auto"
    fmt = body.get("output_format") or "png"
    if quality not in QUALITIES:
        return _problem(f"Invalid value: '{quality}'.", "quality")
    if background not in BACKGROUNDS:
        return _problem(f"Invalid value: '{background}'.", "background")
    if fmt not in ("png", "jpeg", "webp"):
        return _problem(
            f"Invalid value: '{fmt}'. Supported values are: 'png', 'jpeg', and 'webp'.", "output_format"
        )
    inputs: list[bytes] = []
    if edit:
        found = _edit_inputs(body)
        if isinstance(found, Response):
            return found
        inputs = found
        if size == "auto":
            dims = images.image_size(inputs[0]) or dims
    if call.mode == "safety":
        return JSONResponse(openai_moderation_body(), status_code=400)
    data = []
    if call.mode != "empty":
        for i in range(n):
            revised = prompt.strip() if n == 1 else f"{prompt.strip()} ({i + 1} of {n})"
            encoded = images.render(revised, dims[0], dims[1], fmt, background == "transparent")
            data.append({"b64_json": images.b64(encoded), "revised_prompt": revised})
    input_tokens = 20 + len(prompt) // 4 + 258 * len(inputs)
    output_tokens = 1056 * len(data)
    return JSONResponse(
        {
            "created": int(time.time()),
            "data": data,
            "usage": {
                "input_tokens": input_tokens,
                "output_tokens": output_tokens,
                "total_tokens": input_tokens + output_tokens,
                "input_tokens_details": {"image_tokens": 258 * len(inputs), "text_tokens": input_tokens},
            },
            "background": "opaque" if background == "auto" else background,
            "output_format": fmt,
            "quality": "medium" if quality == "auto" else quality,
            "size": f"{dims[0]}x{dims[1]}",
        }
    )
