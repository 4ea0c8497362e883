"""xAI direct API (`/xai/v1`) and, through `progrok.py`, the spec-era progrok proxy (`/progrok/v1`).

This module holds the image endpoints (§1.1, §1.2) and the model list; auth is in `xai_common.py`,
text endpoints in `xai_text.py`, video in `xai_video.py`. Images are served back from `/files/imgs/`.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from ima2_sandbox import images
from ima2_sandbox.control import Call, base_url
from ima2_sandbox.errors import xai_error
from ima2_sandbox.upstreams import xai_text, xai_video
from ima2_sandbox.upstreams.xai_common import (
    ASPECT_RATIOS,
    CHAT_MODELS,
    IMAGE_MODELS,
    MAX_EDIT_IMAGES,
    RESOLUTIONS,
    TICKS_PER_IMAGE,
    TICKS_QUALITY,
    UNSUPPORTED_IMAGE_ARGS,
    VIDEO_MODELS,
    make_guard,
)

# --- images -------------------------------------------------------------------------------------


def _common_image_checks(body: dict[str, Any]) -> Response | None:
    for name in UNSUPPORTED_IMAGE_ARGS:
        if name in body:
            return xai_error(400, f"Argument not supported: {name}")
    prompt = body.get("prompt")
    if not isinstance(prompt, str) or not prompt.strip():
        return xai_error(
            422, "Failed to deserialize the JSON body into the target type: missing field `prompt`"
        )
    model = body.get("model", "grok-imagine-image")
    if model not in IMAGE_MODELS:
        return xai_error(404, f"The model {model} does not exist or your team does not have access to it.")
    n = body.get("n", 1)
    if not isinstance(n, int) or isinstance(n, bool) or not 1 <= n <= 10:
        return xai_error(400, f"n must be between 1 and 10, got {n}.")
    if body.get("response_format", "url") not in ("url", "b64_json"):
        return xai_error(
            400, f"Invalid response_format: {body.get('response_format')}. Expected url or b64_json."
        )
    if body.get("aspect_ratio", "auto") not in ASPECT_RATIOS:
        return xai_error(
            400,
            f"Invalid aspect_ratio: {body.get('aspect_ratio')}. Supported values are: "
            + ", ".join(ASPECT_RATIOS)
            + ".",
        )
    if body.get("resolution", "1k") not in RESOLUTIONS:
        return xai_error(400, f"Invalid resolution: {body.get('resolution')}. Supported values are: 1k, 2k.")
    return None


def _image_ticks(model: str) -> int:
    return TICKS_PER_IMAGE.get(model, TICKS_QUALITY)


def _source_bytes(call: Call, source: Any, where: str) -> bytes | Response | None:
    """Bytes of one ImageUrl object (None for a remote URL or file id we cannot read offline)."""
    if not isinstance(source, dict):
        return xai_error(400, f"{where} must be an object with a url.")
    url = source.get("url") or source.get("image_url")
    if isinstance(url, dict):
        url = url.get("url")
    if not url and source.get("file_id"):
        return None
    if not isinstance(url, str) or not url:
        return xai_error(400, f"{where}.url is required.")
    if url.startswith(("http://", "https://")):
        stored = call.state.files.get(url.rsplit("/", 1)[-1]) if "/files/imgs/" in url else None
        return stored.data if stored else None
    decoded = images.decode_data_url(url)
    if decoded is None or images.sniff(decoded[1]) not in ("image/png", "image/jpeg", "image/webp"):
        return xai_error(400, f"Invalid image in {where}: could not decode the provided image data.")
    return decoded[1]


def _edit_sources(call: Call, body: dict[str, Any]) -> list[bytes | None] | Response:
    if "image" in body and "images" in body:
        return xai_error(400, "Only one of image and images can be provided.")
    if "image" in body:
        found = _source_bytes(call, body["image"], "image")
        return found if isinstance(found, Response) else [found]
    sources = body.get("images")
    if not isinstance(sources, list) or not sources:
        return xai_error(400, "Either image or images must be provided.")
    if len(sources) > MAX_EDIT_IMAGES:
        return xai_error(
            400, f"A maximum of {MAX_EDIT_IMAGES} images can be provided, but {len(sources)} were provided."
        )
    out: list[bytes | None] = []
    for i, source in enumerate(sources):
        found = _source_bytes(call, source, f"images[{i}]")
        if isinstance(found, Response):
            return found
        out.append(found)
    return out


def _dims(body: dict[str, Any], sources: list[bytes | None]) -> tuple[int, int]:
    long_edge = RESOLUTIONS[body.get("resolution", "1k")]
    if len(sources) == 1 and sources[0] is not None:  # a single-image edit keeps the input's ratio
        size = images.image_size(sources[0])
        if size:
            return images.ratio_dims(f"{size[0]}:{size[1]}", long_edge)
    ratio = body.get("aspect_ratio", "auto")
    return images.ratio_dims("1:1" if ratio == "auto" else ratio, long_edge)


def image_response(call: Call, edit: bool) -> Response:
    body = call.body
    if body is None:
        return xai_error(400, "Failed to parse the request body as JSON.")
    problem = _common_image_checks(body)
    if problem is not None:
        return problem
    sources: list[bytes | None] = []
    if edit:
        found = _edit_sources(call, body)
        if isinstance(found, Response):
            return found
        sources = found
    model = body.get("model", "grok-imagine-image")
    n = body.get("n", 1)
    ticks = _image_ticks(model) * n
    if call.mode == "safety":
        return xai_error(
            400, "Generated image rejected by content moderation.", {"usage": {"cost_in_usd_ticks": ticks}}
        )
    if call.mode == "empty":
        return JSONResponse({"data": [], "usage": {"cost_in_usd_ticks": 0}})
    width, height = _dims(body, sources)
    data = []
    for i in range(n):
        text = body["prompt"].strip() if n == 1 else f"{body['prompt'].strip()} ({i + 1} of {n})"
        jpeg = images.render(text, width, height, "jpeg")
        if body.get("response_format") == "b64_json":
            data.append({"b64_json": images.b64(jpeg), "mime_type": "image/jpeg", "revised_prompt": ""})
        else:
            name = f"{uuid.uuid4().hex}.jpeg"
            call.state.store_file(name, jpeg, "image/jpeg")
            data.append(
                {
                    "url": f"{base_url(call.request)}/files/imgs/{name}",
                    "mime_type": "image/jpeg",
                    "revised_prompt": "",
                }
            )
    return JSONResponse({"data": data, "usage": {"cost_in_usd_ticks": ticks}})


def models_body() -> dict[str, Any]:
    ids = (*CHAT_MODELS, *IMAGE_MODELS, *VIDEO_MODELS)
    return {
        "object": "list",
        "data": [{"id": m, "object": "model", "created": 1_754_000_000, "owned_by": "xai"} for m in ids],
    }


def build_router(upstream: str, prefix: str, check: Callable[[Call], Response | None]) -> APIRouter:
    router = APIRouter(prefix=prefix)
    guard = make_guard(upstream, check)

    @router.post("/images/generations")
    async def generate(request: Request) -> Response:
        call, early = await guard(request)
        return early or image_response(call, edit=False)

    @router.post("/images/edits")
    async def edit(request: Request) -> Response:
        call, early = await guard(request)
        return early or image_response(call, edit=True)

    @router.get("/models")
    async def models(request: Request) -> Response:
        _call, early = await guard(request)
        return early or JSONResponse(models_body())

    xai_text.add_routes(router, guard)
    xai_video.add_routes(router, guard)
    return router
