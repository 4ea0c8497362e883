"""xAI video jobs (§1.5): submit (`/videos/generations|edits|extensions`) -> `{request_id}`, then
`GET /videos/{id}` is pending for `videoPolls` polls (progress rising) and done with a real MP4 at
`/files/vids/<id>.mp4` of the requested duration, resolution and aspect ratio.

Video faults are taken on the submit and decide how that job ends (control.VIDEO_MODES): failed
with an upstream error code, expired, stalled forever, or a download that is not an MP4 or too big.
Latency on any call is a plain `delay` fault."""

from __future__ import annotations

import io
import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from PIL import Image as PILImage

from ima2_sandbox import images, videos
from ima2_sandbox.control import VIDEO_MODES, Call, base_url
from ima2_sandbox.errors import xai_error
from ima2_sandbox.state import VideoJob
from ima2_sandbox.upstreams.xai_common import VIDEO_MODELS, Guard

VIDEO_RATIOS = ("1:1", "16:9", "9:16", "4:3", "3:4", "3:2", "2:3")
VIDEO_RESOLUTIONS = ("480p", "720p", "1080p")
MAX_REFERENCES = 7
TICKS_PER_SECOND = 500_000_000
EMPTY_PROMPT = "Prompt cannot be empty for text-to-video and reference-to-video generation."
STALLED_PROGRESS = 37
EDIT_MAX_SECONDS = 8.7
FAILED_MESSAGES = {
    "invalid_argument": "The request was rejected: invalid argument or content blocked by moderation.",
    "permission_denied": "The API key or team does not have access to this model.",
    "failed_precondition": "This operation is not available for the model or settings.",
    "service_unavailable": "The service is currently overloaded.",
    "internal_error": "An internal error occurred while generating the video.",
}


def _is_15(model: str) -> bool:
    return model.startswith("grok-imagine-video-1.5")


def _duration(body: dict[str, Any], default: int, low: int, high: int) -> int | Response:
    raw = body.get("duration", body.get("seconds", default))
    if isinstance(raw, str) and raw.strip().isdigit():
        raw = int(raw)
    if not isinstance(raw, int) or isinstance(raw, bool) or not low <= raw <= high:
        return xai_error(400, f"duration must be an integer between {low} and {high} seconds, got {raw!r}.")
    return raw


def _check_image_ref(value: Any, where: str) -> Response | None:
    if not isinstance(value, dict):
        return xai_error(400, f"{where} must be an object with a url.")
    url = value.get("url") or value.get("image_url")
    if not url and value.get("file_id"):
        return None
    if not isinstance(url, str) or not url:
        return xai_error(400, f"{where}.url is required.")
    if url.startswith(("http://", "https://")):
        return None
    decoded = images.decode_data_url(url)
    if decoded is None or images.sniff(decoded[1]) is None:
        return xai_error(400, f"Invalid image in {where}: could not decode the provided image data.")
    return None


def _check_video_ref(body: dict[str, Any]) -> Response | None:
    video = body.get("video")
    if not isinstance(video, dict) or not (video.get("url") or video.get("file_id")):
        return xai_error(400, 'video is required: {"url": ...} or {"file_id": ...}.')
    url = video.get("url")
    if isinstance(url, str) and url.startswith("data:"):
        found = images.decode_data_url(url)
        if found is None or not videos.looks_like_mp4(found[1]):
            return xai_error(400, "Invalid video: expected an MP4 file.")
    return None


def _model(body: dict[str, Any]) -> str | Response:
    model = body.get("model", "grok-imagine-video")
    if model not in VIDEO_MODELS:
        return xai_error(404, f"The model {model} does not exist or your team does not have access to it.")
    return model


def _generation_job(call: Call, body: dict[str, Any]) -> VideoJob | Response:
    model = _model(body)
    if isinstance(model, Response):
        return model
    image = body.get("image", body.get("input_reference"))
    references = body.get("reference_images")
    if image is not None and references is not None:
        return xai_error(400, "`image` and `reference_images` cannot be combined.")
    mode = "i2v" if image is not None else "r2v" if references is not None else "t2v"
    state = call.state
    if _is_15(model) and mode == "t2v" and state.setting("xaiVideo15RejectsT2V"):
        return xai_error(400, "Text-to-video is not supported for this model.")
    if _is_15(model) and mode == "r2v" and state.setting("xaiVideo15RejectsR2V"):
        return xai_error(400, "`reference_images` is not supported for this model.")
    if image is not None and (problem := _check_image_ref(image, "image")):
        return problem
    if references is not None:
        if not isinstance(references, list) or not references:
            return xai_error(400, "reference_images must be a non-empty array.")
        if len(references) > MAX_REFERENCES:
            return xai_error(
                400,
                f"A maximum of {MAX_REFERENCES} reference images can be provided, but "
                f"{len(references)} were provided.",
            )
        for i, ref in enumerate(references):
            if problem := _check_image_ref(ref, f"reference_images[{i}]"):
                return problem
    audios = body.get("reference_audios")
    if audios is not None and (not _is_15(model) or not isinstance(audios, list) or len(audios) > 3):
        return xai_error(400, "reference_audios is only supported on grok-imagine-video-1.5, at most 3.")
    duration = _duration(body, 8, 1, 10 if mode == "r2v" else 15)
    if isinstance(duration, Response):
        return duration
    resolution = body.get("resolution", "480p")
    if resolution not in VIDEO_RESOLUTIONS:
        return xai_error(400, f"Invalid resolution: {resolution}. Supported values are: 480p, 720p, 1080p.")
    if resolution == "1080p" and (mode == "r2v" or not _is_15(model)):
        return xai_error(400, f"Resolution 1080p is not supported for {model} in this mode.")
    ratio = body.get("aspect_ratio") or _image_ratio(image) or "16:9"
    if ratio not in VIDEO_RATIOS:
        return xai_error(
            400, f"Invalid aspect_ratio: {ratio}. Supported values are: {', '.join(VIDEO_RATIOS)}."
        )
    prompt = body.get("prompt") or ""
    job = VideoJob(str(uuid.uuid4()), "generation", model, str(prompt), duration, ratio, resolution)
    if mode != "i2v" and not str(prompt).strip():
        job.outcome = f"failed:invalid_argument:{EMPTY_PROMPT}"
    return job


def _image_ratio(image: Any) -> str | None:
    """I2V without aspect_ratio follows the image's ratio."""
    url = (image or {}).get("url") if isinstance(image, dict) else None
    decoded = images.decode_data_url(url) if isinstance(url, str) else None
    if decoded is None:
        return None
    try:
        with PILImage.open(io.BytesIO(decoded[1])) as picture:
            return videos.nearest_ratio(*picture.size)
    except Exception:
        return None


async def _source_clip(call: Call, video: dict[str, Any]) -> tuple[float, str, str] | None:
    """(seconds, aspect ratio, resolution) of the input clip: a job of ours or a data: MP4."""
    url = str(video.get("url") or "")
    original = call.state.videos.get(url.rsplit("/", 1)[-1].removesuffix(".mp4"))
    if original is not None:
        return float(original.duration), original.aspect_ratio, original.resolution
    decoded = images.decode_data_url(url) if url.startswith("data:") else None
    found = await videos.probe(decoded[1]) if decoded is not None else None
    if found is None:
        return None
    seconds, width, height = found
    return seconds, videos.nearest_ratio(width, height), "720p" if min(width, height) >= 720 else "480p"


async def _edit_job(call: Call, body: dict[str, Any], kind: str) -> VideoJob | Response:
    model = _model(body)
    if isinstance(model, Response):
        return model
    unsupported = (
        ("aspect_ratio", "resolution") if kind == "extension" else ("duration", "aspect_ratio", "resolution")
    )
    for name in unsupported:
        if name in body:
            return xai_error(400, f"Argument not supported: {name}")
    if problem := _check_video_ref(body):
        return problem
    prompt = body.get("prompt")
    if not isinstance(prompt, str) or not prompt.strip():
        return xai_error(400, "Prompt cannot be empty.")
    clip = await _source_clip(call, body["video"])
    seconds, ratio, resolution = clip if clip is not None else (6.0, "16:9", "480p")
    duration = max(1, round(min(seconds, EDIT_MAX_SECONDS)))
    if kind == "extension":
        added = _duration(body, 6, 1, 15)
        if isinstance(added, Response):
            return added
        duration = added + max(1, round(seconds))
    return VideoJob(str(uuid.uuid4()), kind, model, prompt, duration, ratio, resolution)


async def _submit(call: Call, kind: str) -> Response:
    body = call.body
    if body is None:
        return xai_error(400, "Failed to parse the request body as JSON.")
    job = _generation_job(call, body) if kind == "generation" else await _edit_job(call, body, kind)
    if isinstance(job, Response):
        return job
    job.polls_needed = int(call.state.setting("videoPolls"))
    mode = call.mode
    if mode == "safety":
        job.outcome = "moderated"
    elif mode == "empty":
        job.outcome = "empty"
    elif mode == "video-failed":
        code = (call.fault.reason if call.fault is not None else None) or "internal_error"
        job.outcome = f"failed:{code}:{FAILED_MESSAGES.get(code, 'The video job failed.')}"
    elif mode in VIDEO_MODES:
        job.outcome = VIDEO_MODES[mode]
    call.state.videos[job.id] = job
    return JSONResponse({"request_id": job.id})


async def _poll(call: Call, request_id: str) -> Response:
    job = call.state.videos.get(request_id)
    if job is None:
        return xai_error(404, f"No video request found with id {request_id}.")
    if call.mode in ("safety", "empty"):
        job.outcome = "moderated" if call.mode == "safety" else "empty"
        job.polls = job.polls_needed
    job.polls += 1
    if job.outcome == "stalled":
        return JSONResponse(
            {"status": "pending", "progress": STALLED_PROGRESS},
            status_code=int(call.state.setting("videoPendingStatus")),
        )
    if job.polls <= job.polls_needed:
        progress = min(99, int(100 * job.polls / (job.polls_needed + 1)))
        return JSONResponse(
            {"status": "pending", "progress": progress},
            status_code=int(call.state.setting("videoPendingStatus")),
        )
    if job.outcome == "expired":
        return JSONResponse({"status": "expired"})
    if job.outcome.startswith("failed:"):
        _, code, message = job.outcome.split(":", 2)
        return JSONResponse({"status": "failed", "progress": 0, "error": {"code": code, "message": message}})
    done: dict[str, Any] = {
        "status": "done",
        "progress": 100,
        "model": job.model,
        "usage": {"cost_in_usd_ticks": TICKS_PER_SECOND * job.duration},
    }
    if job.outcome == "moderated":
        done["video"] = {"url": None, "duration": job.duration, "respect_moderation": False}
        return JSONResponse(done)
    if job.outcome == "empty":
        done["video"] = {"url": "", "duration": job.duration, "respect_moderation": True}
        return JSONResponse(done)
    name = f"{job.id}.mp4"
    if job.outcome == "not-mp4":
        call.state.store_file(name, b"<html><body>not a video</body></html>", "video/mp4")
    elif name not in call.state.files:
        try:
            data = await videos.make_mp4(
                job.prompt or "image to video", job.aspect_ratio, job.duration, job.resolution
            )
        except (RuntimeError, OSError) as exc:
            return JSONResponse(
                {
                    "status": "failed",
                    "progress": 0,
                    "error": {"code": "internal_error", "message": str(exc)[:200]},
                }
            )
        declared = int(call.state.setting("videoOversizeBytes")) if job.outcome == "too-large" else 0
        call.state.store_file(name, data, "video/mp4", declared)
    done["video"] = {
        "url": f"{base_url(call.request)}/files/vids/{name}",
        "duration": job.duration,
        "respect_moderation": True,
    }
    return JSONResponse(done)


def add_routes(router: APIRouter, guard: Guard) -> None:
    @router.post("/videos/generations")
    async def generate(request: Request) -> Response:
        call, early = await guard(request)
        return early or await _submit(call, "generation")

    @router.post("/videos/edits")
    async def edit(request: Request) -> Response:
        call, early = await guard(request)
        return early or await _submit(call, "edit")

    @router.post("/videos/extensions")
    async def extend(request: Request) -> Response:
        call, early = await guard(request)
        return early or await _submit(call, "extension")

    @router.get("/videos/{request_id}")
    async def poll(request_id: str, request: Request) -> Response:
        call, early = await guard(request)
        return early or await _poll(call, request_id)
