"""Synchronous validation of request bodies, before any job is admitted or any upstream is called."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import unquote, urlsplit

from fastapi import Request

from ima2_common import catalog, limits
from ima2_common.errors import Ima2Error
from ima2_common.media import decode_base64, image_size, png_info, sniff_mime, strip_data_url
from ima2_proto.v1 import image_pb2

SIZE_RE = re.compile(r"^(\d{2,5})x(\d{2,5})$")
REQUEST_ID_RE = re.compile(limits.REQUEST_ID_PATTERN)


async def json_body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if not raw:
        return {}
    try:
        body = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise Ima2Error("INVALID_BODY") from None
    if not isinstance(body, dict):
        raise Ima2Error("INVALID_BODY", "The request body must be a JSON object.")
    return body


def _choice(body: dict[str, Any], key: str, allowed: tuple[str, ...], code: str) -> str:
    value = body.get(key)
    if value is None or value == "":
        return catalog.DEFAULTS[key]
    if value not in allowed:
        raise Ima2Error(code)
    return str(value)


def validate_references(value: Any, max_count: int = limits.MAX_REFERENCES) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise Ima2Error("REF_NOT_ARRAY")
    if len(value) > max_count:
        raise Ima2Error("REF_TOO_MANY", f"At most {max_count} reference images are allowed.")
    refs = []
    for item in value:
        if not isinstance(item, str):
            raise Ima2Error("REF_NOT_STRING")
        _, payload = strip_data_url(item.strip())
        if not payload.strip():
            raise Ima2Error("REF_EMPTY")
        if len(payload) > limits.MAX_REF_B64_BYTES:
            raise Ima2Error("REF_TOO_LARGE")
        try:
            decode_base64(payload)
        except ValueError:
            raise Ima2Error("REF_NOT_BASE64") from None
        refs.append(item.strip())
    return refs


def validate_size(value: Any) -> str:
    if value in (None, ""):
        return catalog.DEFAULTS["size"]
    size = str(value)
    if size == "auto" or size.startswith("grok:") or SIZE_RE.match(size):
        return size
    raise Ima2Error("INVALID_SIZE")


def resolve_provider(value: Any) -> str:
    provider = catalog.PROVIDER_ALIASES.get(str(value or ""), str(value or ""))
    if provider not in catalog.IMAGE_PROVIDERS:
        raise Ima2Error("INVALID_PROVIDER")
    return provider


def validate_model(provider: str, value: Any) -> str:
    model = str(value or "") or catalog.default_model(provider)
    if provider in ("oauth", "api"):
        if model in catalog.OPENAI_NON_IMAGE_MODELS:
            raise Ima2Error("IMAGE_MODEL_UNSUPPORTED")
        if model not in catalog.OPENAI_IMAGE_MODELS:
            raise Ima2Error("INVALID_IMAGE_MODEL")
    elif provider in ("grok", "grok-api"):
        if model not in catalog.GROK_IMAGE_MODELS:
            raise Ima2Error("INVALID_GROK_IMAGE_MODEL")
    elif provider == "gemini-api" and model not in catalog.GEMINI_MODELS:
        raise Ima2Error("INVALID_IMAGE_MODEL")
    elif provider == "agy" and model != catalog.AGY_MODEL:
        raise Ima2Error("INVALID_IMAGE_MODEL", f"agy only supports {catalog.AGY_MODEL}.")
    return model


def resolve_request_id(body: dict[str, Any], request: Request) -> str:
    value = body.get("requestId")
    if value in (None, ""):
        return str(request.state.request_id)
    if not isinstance(value, str) or not REQUEST_ID_RE.match(value):
        raise Ima2Error("INVALID_REQUEST_ID")
    return value


def check_input_count(provider: str, inputs: int) -> None:
    """Grok and agy take at most three input images (parent/edited image plus references)."""
    if provider in ("grok", "grok-api") and inputs > limits.GROK_MAX_INPUT_IMAGES:
        raise Ima2Error("GROK_REF_TOO_MANY")
    if provider == "agy" and inputs > limits.AGY_MAX_REFERENCES:
        raise Ima2Error("AGY_REF_TOO_MANY")


def image_job_options(
    body: dict[str, Any], request: Request, extra_inputs: int = 0, refs_sent: bool = True
) -> image_pb2.ImageJobOptions:
    """The shared job fields. `extra_inputs` counts images sent besides the references (the
    image being edited, a node's parent); `refs_sent=False` when the references are dropped."""
    provider = resolve_provider(body.get("provider"))
    references = validate_references(body.get("references"))
    check_input_count(provider, extra_inputs + (len(references) if refs_sent else 0))
    effort = body.get("reasoningEffort") or catalog.DEFAULTS["reasoningEffort"]
    if effort not in catalog.REASONING_EFFORTS:
        raise Ima2Error("INVALID_REASONING_EFFORT")
    mode = body.get("mode") or "auto"
    if mode not in catalog.PROMPT_MODES:
        raise Ima2Error("INVALID_REQUEST", "mode must be auto or direct.")
    return image_pb2.ImageJobOptions(
        request_id=resolve_request_id(body, request),
        provider=provider,
        model=validate_model(provider, body.get("model")),
        quality=_choice(body, "quality", catalog.QUALITIES, "INVALID_QUALITY"),
        size=validate_size(body.get("size")),
        format=_choice(body, "format", catalog.FORMATS, "INVALID_FORMAT"),
        moderation=_choice(body, "moderation", catalog.MODERATIONS, "INVALID_MODERATION"),
        reasoning_effort=str(effort),
        references=references,
        session_id=str(body.get("sessionId") or ""),
        client_node_id=str(body.get("clientNodeId") or ""),
        async_mode=body.get("async") is True,
        storyboard=body.get("storyboard") is True,
        web_search_enabled=body.get("webSearchEnabled") is not False,
        mode=str(mode),
    )


def prompt_of(body: dict[str, Any]) -> str:
    prompt = body.get("prompt")
    if not isinstance(prompt, str) or not prompt.strip():
        raise Ima2Error("PROMPT_REQUIRED")
    return prompt


def generate_request(body: dict[str, Any], request: Request) -> image_pb2.GenerateRequest:
    prompt = prompt_of(body)
    options = image_job_options(body, request)
    n = body.get("n", 1)
    if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= limits.MAX_GENERATED_IMAGES:
        raise Ima2Error("INVALID_COUNT", f"n must be an integer from 1 to {limits.MAX_GENERATED_IMAGES}.")
    return image_pb2.GenerateRequest(prompt=prompt, options=options, n=n)


# -- /api/edit -----------------------------------------------------------------------------------

MASK_UNSUPPORTED = {
    "grok": "GROK_MASK_UNSUPPORTED",
    "grok-api": "GROK_MASK_UNSUPPORTED",
    "agy": "AGY_MASK_UNSUPPORTED",
    "gemini-api": "GEMINI_MASK_UNSUPPORTED",
}


def decode_image(value: str) -> bytes:
    """The bytes of an image given as base64 or a data URL (INVALID_IMAGE when it is not one)."""
    _, payload = strip_data_url(value.strip())
    try:
        data = decode_base64(payload)
    except ValueError:
        raise Ima2Error("INVALID_IMAGE", "The image is not valid base64.") from None
    if not (sniff_mime(data) or "").startswith("image/") or image_size(data) is None:
        raise Ima2Error("INVALID_IMAGE", "The image must be a PNG, JPEG or WebP.")
    return data


def validate_mask(mask: Any, image: bytes) -> str:
    """A PNG with alpha, the same size as the image (reference edit mask checks, in order)."""
    if not isinstance(mask, str):
        raise Ima2Error("INVALID_EDIT_MASK")
    mime, payload = strip_data_url(mask.strip())
    if mime is not None and mime != "image/png":
        raise Ima2Error("INVALID_EDIT_MASK_PNG")
    if len(payload) > limits.MAX_EDIT_MASK_B64_BYTES:
        raise Ima2Error("EDIT_MASK_TOO_LARGE")
    try:
        data = decode_base64(payload)
    except ValueError:
        raise Ima2Error("INVALID_EDIT_MASK_BASE64") from None
    info = png_info(data)
    if info is None:
        raise Ima2Error("INVALID_EDIT_MASK_PNG")
    if not info.has_alpha:
        raise Ima2Error("EDIT_MASK_NO_ALPHA")
    if (info.width, info.height) != image_size(image):
        raise Ima2Error("EDIT_MASK_DIMENSION_MISMATCH")
    return mask.strip()


def edit_request(body: dict[str, Any], request: Request) -> image_pb2.EditRequest:
    prompt, image = body.get("prompt"), body.get("image")
    if not isinstance(prompt, str) or not prompt.strip() or not isinstance(image, str) or not image.strip():
        raise Ima2Error("IMAGE_REQUIRED")
    image_bytes = decode_image(image)
    provider = resolve_provider(body.get("provider"))
    mask = body.get("mask")
    has_mask = mask not in (None, "")
    if has_mask and provider in MASK_UNSUPPORTED:
        raise Ima2Error(MASK_UNSUPPORTED[provider])
    options = image_job_options(body, request, extra_inputs=1)
    edit = image_pb2.EditRequest(prompt=prompt, options=options, image=image.strip())
    if has_mask:
        edit.mask = validate_mask(mask, image_bytes)
    return edit


# -- /api/node/generate ----------------------------------------------------------------------------

CONTEXT_MODES = ("parent-plus-refs", "parent-only")
SEARCH_MODES = ("off", "auto", "on")


def optional_string(body: dict[str, Any], key: str) -> str:
    value = body.get(key)
    if value in (None, ""):
        return ""
    if not isinstance(value, str):
        raise Ima2Error("INVALID_REQUEST", f"{key} must be a string.")
    return value.strip()


def external_source(value: str) -> str:
    """`externalSrc`: an image data URL, or a history file (`/generated/<name>`, also as a full URL)."""
    if value.startswith("data:"):
        validate_references([value])
        return value
    path = urlsplit(value).path  # a full URL or a bare path, without query or fragment
    if not path.startswith("/generated/"):
        raise Ima2Error("INVALID_REQUEST", "externalSrc must be a /generated/ URL or an image data URL.")
    name = unquote(path.removeprefix("/generated/"))
    if not name or "/" in name or "\\" in name or name.startswith(".") or "\0" in name:
        raise Ima2Error("INVALID_FILENAME")
    return name


def node_request(body: dict[str, Any], request: Request) -> image_pb2.NodeGenerateRequest:
    prompt = prompt_of(body)
    parent_node_id = optional_string(body, "parentNodeId")
    external = optional_string(body, "externalSrc")
    context_mode = optional_string(body, "contextMode") or CONTEXT_MODES[0]
    if context_mode not in CONTEXT_MODES:
        raise Ima2Error("CONTEXT_MODE_UNSUPPORTED", f'contextMode "{context_mode[:40]}" is not supported.')
    search_mode = optional_string(body, "searchMode") or "auto"
    if search_mode not in SEARCH_MODES:
        raise Ima2Error("INVALID_REQUEST", "searchMode must be off, auto or on.")
    has_parent = bool(parent_node_id or external)
    options = image_job_options(
        body,
        request,
        extra_inputs=int(has_parent),
        refs_sent=not (has_parent and context_mode == "parent-only"),
    )
    return image_pb2.NodeGenerateRequest(
        prompt=prompt,
        options=options,
        parent_node_id=parent_node_id,
        external_src="" if parent_node_id or not external else external_source(external),
        context_mode=context_mode,
        search_mode=search_mode,
    )


# -- /api/generate/multimode ----------------------------------------------------------------------


def multimode_request(body: dict[str, Any], request: Request) -> image_pb2.MultimodeRequest:
    prompt = prompt_of(body)
    options = image_job_options(body, request)
    wanted = body.get("maxImages", limits.DEFAULT_MULTIMODE_IMAGES)
    if wanted is None:
        wanted = limits.DEFAULT_MULTIMODE_IMAGES
    if (
        isinstance(wanted, bool)
        or not isinstance(wanted, int)
        or not 1 <= wanted <= limits.MAX_MULTIMODE_IMAGES
    ):
        raise Ima2Error(
            "INVALID_COUNT", f"maxImages must be an integer from 1 to {limits.MAX_MULTIMODE_IMAGES}."
        )
    return image_pb2.MultimodeRequest(prompt=prompt, options=options, max_images=wanted)
