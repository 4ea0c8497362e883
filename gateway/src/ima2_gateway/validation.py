"""Synchronous validation of request bodies, before any job is admitted or any upstream is called."""

from __future__ import annotations

import json
import re
from typing import Any

from fastapi import Request

from ima2_common import catalog, limits
from ima2_common.errors import Ima2Error
from ima2_common.media import decode_base64, strip_data_url
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
    return model


def resolve_request_id(body: dict[str, Any], request: Request) -> str:
    value = body.get("requestId")
    if value in (None, ""):
        return request.state.request_id
    if not isinstance(value, str) or not REQUEST_ID_RE.match(value):
        raise Ima2Error("INVALID_REQUEST_ID")
    return value


def image_job_options(body: dict[str, Any], request: Request) -> image_pb2.ImageJobOptions:
    provider = resolve_provider(body.get("provider"))
    references = validate_references(body.get("references"))
    if provider in ("grok", "grok-api") and len(references) > limits.GROK_MAX_INPUT_IMAGES:
        raise Ima2Error("GROK_REF_TOO_MANY")
    if provider == "agy" and len(references) > limits.AGY_MAX_REFERENCES:
        raise Ima2Error("AGY_REF_TOO_MANY")
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
