"""Direct Gemini (§4.2): `POST /gemini/v1beta/models/{model}:generateContent` and `GET /gemini/v1beta/models`.

The image config is read from any of the three forms, in snake_case or camelCase:
`generation_config.response_format.image.{aspect_ratio,image_size}` (enum names or plain strings)
and `generationConfig.imageConfig.{aspectRatio,imageSize}`. Tiers 512/1K/2K/4K give a long edge of
512/1024/2048/4096; actual pixels are capped at 2048 (ratio kept). `vertex.py` reuses `answer`.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from ima2_sandbox import images
from ima2_sandbox.control import Call, begin
from ima2_sandbox.errors import google_bad_key, google_error

ASPECTS = {
    "ONE_BY_ONE": "1:1",
    "TWO_BY_THREE": "2:3",
    "THREE_BY_TWO": "3:2",
    "THREE_BY_FOUR": "3:4",
    "FOUR_BY_THREE": "4:3",
    "FOUR_BY_FIVE": "4:5",
    "FIVE_BY_FOUR": "5:4",
    "NINE_BY_SIXTEEN": "9:16",
    "SIXTEEN_BY_NINE": "16:9",
    "TWENTY_ONE_BY_NINE": "21:9",
    "ONE_BY_EIGHT": "1:8",
    "EIGHT_BY_ONE": "8:1",
    "ONE_BY_FOUR": "1:4",
    "FOUR_BY_ONE": "4:1",
}
SIZES = {"FIVE_TWELVE": "512", "ONE_K": "1K", "TWO_K": "2K", "FOUR_K": "4K"}
TIER_EDGE = {"512": 512, "1K": 1024, "2K": 2048, "4K": 4096}
IMAGE_MODELS = (
    "gemini-3.1-flash-image",
    "gemini-3.1-flash-image-preview",
    "gemini-3-pro-image",
    "gemini-3-pro-image-preview",
    "gemini-2.5-flash-image",
    "gemini-2.5-flash-image-preview",
)
TEXT_MODELS = ("gemini-2.5-flash", "gemini-2.5-pro", "gemini-3-pro-preview", "gemini-3-flash-preview")
INPUT_MIMES = ("image/png", "image/jpeg", "image/webp", "image/heic", "image/heif")


class GoogleProblem(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass
class GeminiRequest:
    prompt: str
    references: int
    aspect: str
    tier: str
    mime: str
    wants_image: bool


def pick(obj: Any, *names: str) -> Any:
    if not isinstance(obj, dict):
        return None
    for name in names:
        if name in obj:
            return obj[name]
    return None


def _normalise(value: Any, table: dict[str, str], prefix: str, where: str, allow_enum: bool) -> str:
    if isinstance(value, str):
        upper = value.upper()
        if allow_enum and upper.startswith(prefix) and upper[len(prefix) :] in table:
            return table[upper[len(prefix) :]]
        plain = {v.upper(): v for v in table.values()}
        if upper in plain:
            return plain[upper]
    raise GoogleProblem(400, f"Invalid value at '{where}' ({value!r}): unsupported value.")


def _image_settings(body: dict[str, Any], vertex: bool) -> tuple[str, str, str]:
    config = pick(body, "generation_config", "generationConfig") or {}
    if not isinstance(config, dict):
        raise GoogleProblem(400, "Invalid JSON payload received. 'generation_config' must be an object.")
    response_format = pick(config, "response_format", "responseFormat")
    image_config = pick(config, "image_config", "imageConfig")
    if vertex and response_format is not None:
        raise GoogleProblem(
            400,
            'Invalid JSON payload received. Unknown name "responseFormat" at '
            "'generation_config': Cannot find field.",
        )
    aspect, size, mime, where = None, None, "image/png", "generation_config.image_config"
    if isinstance(response_format, dict):
        image = pick(response_format, "image") or {}
        aspect, size = pick(image, "aspect_ratio", "aspectRatio"), pick(image, "image_size", "imageSize")
        mime = pick(image, "mime_type", "mimeType") or mime
        where = "generation_config.response_format.image"
    if isinstance(image_config, dict):
        aspect = pick(image_config, "aspect_ratio", "aspectRatio") or aspect
        size = pick(image_config, "image_size", "imageSize") or size
        mime = pick(image_config, "output_mime_type", "outputMimeType") or mime
    ratio = (
        _normalise(aspect, ASPECTS, "ASPECT_RATIO_", f"{where}.aspect_ratio", not vertex) if aspect else "1:1"
    )
    tier = _normalise(size, SIZES, "IMAGE_SIZE_", f"{where}.image_size", not vertex) if size else "1K"
    if mime not in ("image/png", "image/jpeg"):
        raise GoogleProblem(400, f"Unsupported output mime type: {mime}.")
    return ratio, tier, mime


def _contents(body: dict[str, Any]) -> tuple[str, int]:
    contents = body.get("contents")
    if not isinstance(contents, list) or not contents:
        raise GoogleProblem(400, "* GenerateContentRequest.contents: contents is not specified")
    texts, references = [], 0
    for i, content in enumerate(contents):
        parts = pick(content, "parts")
        if not isinstance(parts, list) or not parts:
            raise GoogleProblem(
                400, f"* GenerateContentRequest.contents[{i}].parts: contents.parts must not be empty."
            )
        for j, part in enumerate(parts):
            inline = pick(part, "inlineData", "inline_data")
            if isinstance(inline, dict):
                mime = pick(inline, "mimeType", "mime_type")
                data = images.decode_b64(str(pick(inline, "data") or ""))
                if not data:
                    raise GoogleProblem(
                        400,
                        f"Invalid value at 'contents[{i}].parts[{j}].inline_data.data' "
                        "(TYPE_BYTES), Base64 decoding failed.",
                    )
                if mime not in INPUT_MIMES:
                    raise GoogleProblem(400, f"Unsupported MIME type: {mime}")
                references += 1
            elif isinstance(pick(part, "text"), str):
                texts.append(part["text"])
    return " ".join(" ".join(texts).split()), references


def parse(body: Any, vertex: bool) -> GeminiRequest:
    if not isinstance(body, dict):
        raise GoogleProblem(400, "Invalid JSON payload received.")
    prompt, references = _contents(body)
    ratio, tier, mime = _image_settings(body, vertex)
    config = pick(body, "generation_config", "generationConfig") or {}
    modalities = pick(config, "response_modalities", "responseModalities")
    wants_image = not isinstance(modalities, list) or any(str(m).upper() == "IMAGE" for m in modalities)
    return GeminiRequest(prompt, references, ratio, tier, mime, wants_image)


def _usage(req: GeminiRequest, images_out: int) -> dict[str, int]:
    prompt_tokens = 12 + len(req.prompt) // 4 + 258 * req.references
    candidates = 20 + 1290 * images_out
    return {
        "promptTokenCount": prompt_tokens,
        "candidatesTokenCount": candidates,
        "totalTokenCount": prompt_tokens + candidates,
    }


def answer(call: Call, body: Any, model: str, vertex: bool) -> Response:
    try:
        req = parse(body, vertex)
    except GoogleProblem as problem:
        return google_error(problem.status, problem.message)
    fault = call.fault
    envelope: dict[str, Any] = {"modelVersion": model, "responseId": secrets.token_urlsafe(16)}
    if call.mode == "safety" and fault is not None and fault.block_reason:
        ratings = [{"category": "HARM_CATEGORY_DANGEROUS_CONTENT", "probability": "HIGH", "blocked": True}]
        return JSONResponse(
            {
                "promptFeedback": {"blockReason": fault.block_reason, "safetyRatings": ratings},
                "usageMetadata": _usage(req, 0),
                **envelope,
            }
        )
    if call.mode == "safety":
        candidate = {
            "finishReason": (fault.reason if fault else None) or "SAFETY",
            "index": 0,
            "safetyRatings": [
                {"category": "HARM_CATEGORY_SEXUALLY_EXPLICIT", "probability": "HIGH", "blocked": True}
            ],
        }
        return JSONResponse({"candidates": [candidate], "usageMetadata": _usage(req, 0), **envelope})
    parts: list[dict[str, Any]] = []
    if call.mode == "empty" or not req.wants_image or model in TEXT_MODELS:
        parts.append({"text": f"I can describe it instead: {req.prompt[:200]}"})
        finish = (fault.reason if call.mode == "empty" and fault else None) or "STOP"
    else:
        width, height = images.ratio_dims(req.aspect, TIER_EDGE[req.tier])
        fmt = "jpeg" if req.mime == "image/jpeg" else "png"
        if call.state.setting("geminiThoughtImage"):
            draft = images.render(f"draft: {req.prompt}", *images.capped(width, height, 256), "png")
            parts.append(
                {"inlineData": {"mimeType": "image/png", "data": images.b64(draft)}, "thought": True}
            )
        data = images.render(req.prompt or "gemini image", width, height, fmt)
        parts.append({"text": f"Here is the image: {req.prompt[:120]}"})
        parts.append(
            {
                "inlineData": {"mimeType": req.mime, "data": images.b64(data)},
                "thoughtSignature": secrets.token_urlsafe(24),
            }
        )
        finish = "STOP"
    images_out = sum(1 for p in parts if "inlineData" in p and not p.get("thought"))
    candidate = {"content": {"role": "model", "parts": parts}, "finishReason": finish, "index": 0}
    return JSONResponse({"candidates": [candidate], "usageMetadata": _usage(req, images_out), **envelope})


def split_target(target: str) -> tuple[str, str]:
    model, _, method = target.partition(":")
    return model.removeprefix("models/"), method


def unknown_model(model: str) -> Response:
    return google_error(
        404,
        f"models/{model} is not found for API version v1beta, or is not supported for "
        "generateContent. Call ListModels to see the list of available models and their "
        "supported methods.",
    )


def check_key(call: Call) -> Response | None:
    key = call.request.headers.get("x-goog-api-key") or call.request.query_params.get("key") or ""
    if not key:
        return google_error(
            403,
            "Method doesn't allow unregistered callers (callers without established "
            "identity). Please use API Key or other form of API consumer identity to call "
            "this API.",
        )
    if not key.startswith("AI") or "invalid" in key:
        return google_bad_key()
    return None


def models_body() -> dict[str, Any]:
    return {
        "models": [
            {
                "name": f"models/{m}",
                "version": "001",
                "displayName": m,
                "description": "Sandbox model",
                "inputTokenLimit": 65536,
                "outputTokenLimit": 32768,
                "supportedGenerationMethods": ["generateContent", "countTokens"],
            }
            for m in (*IMAGE_MODELS, *TEXT_MODELS)
        ]
    }


def build_router() -> APIRouter:
    router = APIRouter(prefix="/gemini/v1beta")

    @router.post("/models/{target}")
    async def generate(target: str, request: Request) -> Response:
        call = await begin(request, "gemini")
        if call.response is not None:
            return call.response
        if denied := check_key(call):
            return denied
        model, method = split_target(target)
        if method != "generateContent" or model not in (*IMAGE_MODELS, *TEXT_MODELS):
            return unknown_model(model)
        return answer(call, call.json, model, vertex=False)

    @router.get("/models")
    async def list_models(request: Request) -> Response:
        call = await begin(request, "gemini")
        if call.response is not None:
            return call.response
        return check_key(call) or JSONResponse(models_body())

    return router
