"""Turning validated image-job bodies (`models.images`) into gRPC requests, with the checks that
span several fields (provider and model, input counts, masks, node sources). All of it runs before
any job is admitted or any upstream is called."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import unquote, urlsplit

from fastapi import Request

from ima2_common import catalog, limits
from ima2_common.errors import Ima2Error
from ima2_common.media import decode_base64, image_size, png_info, strip_data_url
from ima2_gateway.models.base import parse_json_object
from ima2_gateway.models.images import (
    CONTEXT_MODES,
    EditRequest,
    GenerateRequest,
    ImageJobFields,
    MultimodeRequest,
    NodeGenerateRequest,
    check_reference,
    decode_image,
)
from ima2_proto.v1 import image_pb2

REQUEST_ID_RE = re.compile(limits.REQUEST_ID_PATTERN)


def resolve_provider(value: str | None) -> str:
    provider = catalog.PROVIDER_ALIASES.get(value or "", value or "")
    if provider not in catalog.IMAGE_PROVIDERS:
        raise Ima2Error("INVALID_PROVIDER")
    return provider


def validate_model(provider: str, value: str | None) -> str:
    model = value or catalog.default_model(provider)
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


def check_input_count(provider: str, inputs: int) -> None:
    """Grok and agy take at most three input images (parent/edited image plus references)."""
    if provider in ("grok", "grok-api") and inputs > limits.GROK_MAX_INPUT_IMAGES:
        raise Ima2Error("GROK_REF_TOO_MANY")
    if provider == "agy" and inputs > limits.AGY_MAX_REFERENCES:
        raise Ima2Error("AGY_REF_TOO_MANY")


def image_job_options(
    body: ImageJobFields, request: Request, extra_inputs: int = 0, refs_sent: bool = True
) -> image_pb2.ImageJobOptions:
    """The shared job fields. `extra_inputs` counts images sent besides the references (the
    image being edited, a node's parent); `refs_sent=False` when the references are dropped."""
    provider = resolve_provider(body.provider)
    references = body.references or []
    check_input_count(provider, extra_inputs + (len(references) if refs_sent else 0))
    return image_pb2.ImageJobOptions(
        request_id=body.requestId or request.state.request_id,
        provider=provider,
        model=validate_model(provider, body.model),
        quality=body.quality or catalog.DEFAULTS["quality"],
        size=body.size or catalog.DEFAULTS["size"],
        format=body.format or catalog.DEFAULTS["format"],
        moderation=body.moderation or catalog.DEFAULTS["moderation"],
        reasoning_effort=body.reasoningEffort or catalog.DEFAULTS["reasoningEffort"],
        references=references,
        session_id=body.sessionId or "",
        client_node_id=body.clientNodeId or "",
        async_mode=body.asyncMode is True,
        storyboard=body.storyboard is True,
        web_search_enabled=body.webSearchEnabled is not False,
        mode=body.mode or "auto",
    )


def generate_request(body: GenerateRequest, request: Request) -> image_pb2.GenerateRequest:
    return image_pb2.GenerateRequest(prompt=body.prompt, options=image_job_options(body, request), n=body.n)


# -- /api/edit -----------------------------------------------------------------------------------

MASK_UNSUPPORTED = {
    "grok": "GROK_MASK_UNSUPPORTED",
    "grok-api": "GROK_MASK_UNSUPPORTED",
    "agy": "AGY_MASK_UNSUPPORTED",
    "gemini-api": "GEMINI_MASK_UNSUPPORTED",
}


def validate_mask(mask: str, image: bytes) -> str:
    """A PNG with alpha, the same size as the image (reference edit mask checks, in order)."""
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


def edit_request(body: EditRequest, request: Request) -> image_pb2.EditRequest:
    provider = resolve_provider(body.provider)
    if body.mask is not None and provider in MASK_UNSUPPORTED:
        raise Ima2Error(MASK_UNSUPPORTED[provider])
    options = image_job_options(body, request, extra_inputs=1)
    edit = image_pb2.EditRequest(prompt=body.prompt, options=options, image=body.image.strip())
    if body.mask is not None:
        edit.mask = validate_mask(body.mask, decode_image(body.image))
    return edit


# -- /api/node/generate ----------------------------------------------------------------------------


def external_source(value: str) -> str:
    """`externalSrc`: an image data URL, or a history file (`/generated/<name>`, also as a full URL)."""
    if value.startswith("data:"):
        check_reference(value)
        return value
    path = urlsplit(value).path  # a full URL or a bare path, without query or fragment
    if not path.startswith("/generated/"):
        raise Ima2Error("INVALID_REQUEST", "externalSrc must be a /generated/ URL or an image data URL.")
    name = unquote(path.removeprefix("/generated/"))
    if not name or "/" in name or "\\" in name or name.startswith(".") or "\0" in name:
        raise Ima2Error("INVALID_FILENAME")
    return name


def node_request(body: NodeGenerateRequest, request: Request) -> image_pb2.NodeGenerateRequest:
    parent_node_id = (body.parentNodeId or "").strip()
    external = (body.externalSrc or "").strip()
    context_mode = (body.contextMode or "").strip() or CONTEXT_MODES[0]
    if context_mode not in CONTEXT_MODES:
        raise Ima2Error("CONTEXT_MODE_UNSUPPORTED", f'contextMode "{context_mode[:40]}" is not supported.')
    has_parent = bool(parent_node_id or external)
    options = image_job_options(
        body,
        request,
        extra_inputs=int(has_parent),
        refs_sent=not (has_parent and context_mode == "parent-only"),
    )
    return image_pb2.NodeGenerateRequest(
        prompt=body.prompt,
        options=options,
        parent_node_id=parent_node_id,
        external_src="" if parent_node_id or not external else external_source(external),
        context_mode=context_mode,
        search_mode=body.searchMode or "auto",
    )


# -- /api/generate/multimode ----------------------------------------------------------------------


def multimode_request(body: MultimodeRequest, request: Request) -> image_pb2.MultimodeRequest:
    return image_pb2.MultimodeRequest(
        prompt=body.prompt,
        options=image_job_options(body, request),
        max_images=body.maxImages or limits.DEFAULT_MULTIMODE_IMAGES,
    )


# -- dict bodies: the video routes read these until they get their models (models/video.py) --------


async def json_body(request: Request) -> dict[str, Any]:
    """The JSON object body (INVALID_BODY otherwise); an empty body is `{}`."""
    return parse_json_object(await request.body())


def resolve_request_id(body: dict[str, Any], request: Request) -> str:
    value = body.get("requestId")
    if value in (None, ""):
        return str(request.state.request_id)
    if not isinstance(value, str) or not REQUEST_ID_RE.match(value):
        raise Ima2Error("INVALID_REQUEST_ID")
    return value


def validate_references(value: Any, max_count: int = limits.MAX_REFERENCES) -> list[str]:
    """A list of reference images (REF_NOT_ARRAY, REF_TOO_MANY, REF_NOT_STRING, then `check_reference`)."""
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
        refs.append(check_reference(item))
    return refs
