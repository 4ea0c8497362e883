"""Validation of the video routes' bodies, in the reference's order (§1.6): provider, prompt,
model, duration, resolution, aspect ratio, continuation, references. Nothing is admitted or sent
upstream before these pass."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

from fastapi import Request

from ima2_common import catalog, limits
from ima2_common.errors import Ima2Error
from ima2_gateway.validation import resolve_request_id, validate_references
from ima2_proto.v1 import video_pb2

PROMPT_GUIDANCE = (
    "Write an active video prompt: describe the visual flow and the motion, the sound (music or no "
    "music), dialogue or no dialogue, and the frame the clip should end on. Pace it to fill the chosen "
    "duration: an opening composition, a connected change of motion or emotion, and a stable ending. "
    "Example: from the attached last frame the subject turns toward the camera, rain grows louder, no "
    "music, one whispered line, ending on a still close-up."
)
GENERATED_NAME_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._-]{0,199}$")


def video_provider(body: dict[str, Any]) -> str:
    provider = body.get("provider")
    provider = "grok" if provider in (None, "") else provider
    if provider not in catalog.VIDEO_PROVIDERS:
        raise Ima2Error("AGY_VIDEO_UNSUPPORTED" if provider == "agy" else "VIDEO_PROVIDER_UNSUPPORTED")
    return str(provider)


def video_prompt(body: dict[str, Any]) -> str:
    prompt = body.get("prompt")
    if not isinstance(prompt, str) or not prompt.strip():
        raise Ima2Error("PROMPT_REQUIRED", guidance=PROMPT_GUIDANCE)
    return prompt.strip()


def video_model(body: dict[str, Any]) -> str:
    value = body.get("model")
    if value in (None, ""):
        return catalog.GROK_VIDEO_BASE_MODEL
    model = catalog.VIDEO_MODEL_ALIASES.get(str(value), value)
    if model not in catalog.VIDEO_MODELS:
        raise Ima2Error(
            "INVALID_GROK_VIDEO_MODEL", f"model must be one of: {', '.join(catalog.VIDEO_MODELS)}."
        )
    return str(model)


def video_duration(value: Any, low: int, high: int, default: int) -> int:
    if value is None:
        return default
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise Ima2Error(
            "INVALID_VIDEO_DURATION", f"duration must be an integer from {low} to {high} seconds."
        )
    return value


def _choice(body: dict[str, Any], key: str, allowed: tuple[str, ...], default: str, code: str) -> str:
    value = body.get(key)
    if value in (None, ""):
        return default
    if value not in allowed:
        raise Ima2Error(code)
    return str(value)


def generated_input(value: Any, field: str, video: bool) -> str:
    """A generated file given by name (or `/generated/<name>`); it must stay inside the library."""
    if not isinstance(value, str) or not value.strip():
        raise Ima2Error("INVALID_VIDEO_SOURCE", f"{field} must be a generated file name.")
    name = value.strip().removeprefix("/generated/").lstrip("/")
    if not GENERATED_NAME_RE.match(name) or ".." in name:
        raise Ima2Error("INVALID_VIDEO_SOURCE", f"{field} must be a plain generated file name.")
    if name.lower().endswith(".mp4") != video:
        message = (
            f"{field} must be a generated .mp4" if video else "use continueFromVideo for generated videos"
        )
        raise Ima2Error("INVALID_VIDEO_SOURCE", f"{message}.")
    return name


def _string_list(value: Any) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise Ima2Error("REF_NOT_ARRAY")
    return value


def generate_video_request(body: dict[str, Any], request: Request) -> video_pb2.GenerateVideoRequest:
    request_id = resolve_request_id(body, request)
    provider = video_provider(body)
    prompt = video_prompt(body)
    model = video_model(body)
    duration = video_duration(
        body.get("duration"),
        limits.VIDEO_MIN_DURATION,
        limits.VIDEO_MAX_DURATION,
        limits.VIDEO_DEFAULT_DURATION,
    )
    resolution = _choice(
        body,
        "resolution",
        catalog.VIDEO_RESOLUTIONS,
        catalog.VIDEO_DEFAULT_RESOLUTION,
        "INVALID_VIDEO_RESOLUTION",
    )
    aspect = _choice(
        body,
        "aspectRatio",
        catalog.VIDEO_ASPECT_RATIOS,
        catalog.VIDEO_DEFAULT_ASPECT_RATIO,
        "INVALID_VIDEO_ASPECT_RATIO",
    )
    continue_from = ""
    if body.get("continueFromVideo") not in (None, ""):
        continue_from = generated_input(body["continueFromVideo"], "continueFromVideo", video=True)
    reference_images = _string_list(body.get("referenceImages"))
    reference_files = _string_list(body.get("referenceFilenames"))
    source_image = body.get("sourceImage") or ""
    source_file = body.get("sourceFilename") or ""
    has_source = bool(source_image or source_file)
    if len(reference_images) + len(reference_files) + int(has_source) > limits.VIDEO_MAX_REFERENCES:
        raise Ima2Error("GROK_VIDEO_REF_TOO_MANY")
    images = validate_references(reference_images, max_count=limits.VIDEO_MAX_REFERENCES)
    files = [generated_input(name, "referenceFilenames", video=False) for name in reference_files]
    if source_file:
        source_file = generated_input(source_file, "sourceFilename", video=False)
        source_image = ""
    elif source_image:
        if not isinstance(source_image, str):
            raise Ima2Error("REF_NOT_STRING")
        source_image = validate_references([source_image])[0]
    lineage_hint = body.get("continuityLineage")
    planner = body.get("plannerModel")
    if planner not in (None, "") and (
        not isinstance(planner, str) or planner not in catalog.GROK_PLANNER_MODELS
    ):
        raise Ima2Error(
            "INVALID_PLANNER_MODEL", f"plannerModel must be one of: {', '.join(catalog.GROK_PLANNER_MODELS)}."
        )
    return video_pb2.GenerateVideoRequest(
        request_id=request_id,
        prompt=prompt,
        provider=provider,
        model=model,
        duration=duration,
        resolution=resolution,
        aspect_ratio=aspect,
        source_image=source_image,
        source_filename=source_file,
        reference_images=images,
        reference_filenames=files,
        continue_from_video=continue_from,
        continuity_lineage_json=json.dumps(lineage_hint) if isinstance(lineage_hint, dict) else "",
        planner_model=planner or "",
        storyboard=body.get("storyboard") is True,
        session_id=str(body.get("sessionId") or ""),
        async_mode=body.get("async") is True,
    )


def _video_url(body: dict[str, Any]) -> str:
    value = body.get("videoUrl")
    if not isinstance(value, str) or not value.strip():
        raise Ima2Error("INVALID_VIDEO_SOURCE", "videoUrl is required.")
    value = value.strip()
    if value.startswith(("https://", "data:video/", "file_")):
        return value
    if "://" in value or value.startswith("data:"):
        raise Ima2Error(
            "INVALID_VIDEO_SOURCE", "videoUrl must be https, a file id, a data:video URL or a generated .mp4."
        )
    return generated_input(value, "videoUrl", video=True)


def _edit_model(body: dict[str, Any]) -> str:
    model = video_model(body)
    if model != catalog.GROK_VIDEO_BASE_MODEL:
        raise Ima2Error(
            "INVALID_GROK_VIDEO_MODEL", f"Edit and extension support {catalog.GROK_VIDEO_BASE_MODEL} only."
        )
    return model


def edit_video_request(body: dict[str, Any], request: Request) -> video_pb2.EditVideoRequest:
    request_id = resolve_request_id(body, request)
    provider = video_provider(body)
    prompt = video_prompt(body)
    model = _edit_model(body)
    return video_pb2.EditVideoRequest(
        request_id=request_id, prompt=prompt, video_url=_video_url(body), model=model, provider=provider
    )


def extend_video_request(body: dict[str, Any], request: Request) -> video_pb2.ExtendVideoRequest:
    request_id = resolve_request_id(body, request)
    provider = video_provider(body)
    prompt = video_prompt(body)
    model = _edit_model(body)
    duration = video_duration(
        body.get("duration"), limits.VIDEO_EXTEND_MIN_DURATION, limits.VIDEO_EXTEND_MAX_DURATION, 6
    )
    return video_pb2.ExtendVideoRequest(
        request_id=request_id,
        prompt=prompt,
        video_url=_video_url(body),
        duration=duration,
        model=model,
        provider=provider,
    )


def local_video_name(value: Any, generated_dir: Path, field: str = "file") -> str:
    """`/api/video/frame` and `/analyze`: a generated .mp4 name, or an absolute path inside the
    generated folder (reduced to its name). Remote URLs and data: inputs are refused."""
    if not isinstance(value, str) or not value.strip():
        raise Ima2Error("INVALID_VIDEO_SOURCE", f"{field} is required.")
    value = value.strip()
    if "://" in value or value.startswith("data:"):
        raise Ima2Error(
            "INVALID_VIDEO_SOURCE", "Only generated .mp4 files are accepted (no URLs or data: inputs)."
        )
    if os.path.isabs(value) and not value.startswith("/generated/"):
        folder = os.path.realpath(generated_dir)
        resolved = os.path.realpath(value)
        if os.path.dirname(resolved) != folder:
            raise Ima2Error("INVALID_VIDEO_SOURCE", "The path is not inside the generated folder.")
        value = os.path.basename(resolved)
    return generated_input(value, field, video=True)
