"""POST /api/video/generate: text-, image- and reference-to-video, and continuation of a generated
clip. Inputs (generated files, the parent's last frame) are resolved before admission, so bad
inputs change nothing; then planning, submit, poll, download and save run as the job."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from ima2_common import catalog, ffmpeg, limits
from ima2_common.errors import Ima2Error
from ima2_common.inflight import now_ms
from ima2_common.job_events import PlanningEvent
from ima2_common.logging import log_fields
from ima2_jobs.runner import Job
from ima2_proto.v1 import common_pb2, video_pb2
from ima2_video import lineage
from ima2_video.inputs import GeneratedVideo, Image, MediaReader, inline_image
from ima2_video.jobs_common import JOB_KIND, VideoDeps, check_provider, common_meta
from ima2_video.pipeline import Submission, VideoRun
from ima2_video.planner import PlanRequest, VideoPlanner
from ima2_video.store import VideoSaver, new_video_name
from ima2_video.upstream import XaiVideoUpstream

log = logging.getLogger("ima2.video.generate")

STORYBOARD_PREFIX = (
    "[STORYBOARD MODE: sequential video clip] This clip is part of a multi-shot storyboard. Keep every "
    "character's visual identifiers (clothing, physique, position, props) verbatim from the prior clip, "
    "continue from the previous frame's composition, lock lighting, palette, environment and style, and "
    "describe only what changes. The clip fades in from black; the server trims that lead-in.\n"
)


@dataclass
class GenerateInputs:
    images: list[Image]
    mode: str
    duration: int
    parent: GeneratedVideo | None
    continuity: dict[str, Any] | None
    source_filename: str | None


def mode_for(count: int) -> str:
    if count == 0:
        return "text-to-video"
    return "image-to-video" if count == 1 else "reference-to-video"


def _model(value: str) -> str:
    model = catalog.VIDEO_MODEL_ALIASES.get(value, value) or catalog.GROK_VIDEO_BASE_MODEL
    if model not in catalog.VIDEO_MODELS:
        raise Ima2Error("INVALID_GROK_VIDEO_MODEL")
    return model


class GenerateJobs:
    def __init__(self, deps: VideoDeps) -> None:
        self.deps = deps

    async def generate(self, request: video_pb2.GenerateVideoRequest) -> AsyncIterator[common_pb2.JobEvent]:
        check_provider(request.provider)
        model = _model(request.model)
        upstream = await self.deps.upstreams.ready(request.provider)
        inputs = await self._resolve(request)
        planner_model = request.planner_model or await self.deps.planner_models.get()
        meta = {
            "kind": JOB_KIND,
            "provider": request.provider,
            "model": model,
            "mode": inputs.mode,
            "duration": inputs.duration,
            "resolution": request.resolution,
            "aspectRatio": request.aspect_ratio,
            "sessionId": request.session_id or None,
            "promptChars": len(request.prompt),
        }

        async def work(job: Job) -> dict[str, Any]:
            saver = VideoSaver(self.deps.library, job)
            try:
                return await self._generate(job, saver, request, upstream, inputs, model, planner_model)
            except BaseException:
                await saver.discard()
                raise

        async for event in self.deps.runner.run(request.request_id, JOB_KIND, meta, work, request.async_mode):
            yield event

    async def _resolve(self, request: video_pb2.GenerateVideoRequest) -> GenerateInputs:
        reader = self.deps.reader
        parent: GeneratedVideo | None = None
        continuity: dict[str, Any] | None = None
        images: list[Image] = []
        if request.continue_from_video:
            parent = await self._parent(reader, request.continue_from_video)
            continuity = lineage.from_parent(parent.filename, parent.sidecar)
        elif request.continuity_lineage_json:
            try:
                continuity = lineage.normalize(json.loads(request.continuity_lineage_json))
            except ValueError:
                continuity = None
        images += [inline_image(value) for value in request.reference_images]
        images += [await reader.image(value) for value in request.reference_filenames]
        source: Image | None = None
        if request.source_filename:
            source = await reader.image(request.source_filename)
        elif request.source_image:
            source = inline_image(request.source_image)
        if source is not None:
            images.append(source)
        elif parent is not None:
            images.insert(0, await self._last_frame(parent))
        if len(images) > limits.VIDEO_MAX_REFERENCES:
            raise Ima2Error("GROK_VIDEO_REF_TOO_MANY")
        mode = mode_for(len(images))
        duration = request.duration or limits.VIDEO_DEFAULT_DURATION
        if mode == "reference-to-video":
            duration = min(duration, limits.VIDEO_R2V_MAX_DURATION)
        source_filename = images[0].filename if images else None
        if parent is not None and source is None:
            source_filename = None
        return GenerateInputs(images, mode, duration, parent, continuity, source_filename)

    @staticmethod
    async def _parent(reader: MediaReader, value: str) -> GeneratedVideo:
        try:
            return await reader.video(value)
        except Ima2Error as err:
            if err.code in ("ASSET_NOT_FOUND", "INVALID_FILENAME"):
                raise Ima2Error("GROK_VIDEO_FRAME_FAILED", "The video to continue was not found.") from None
            raise

    async def _last_frame(self, parent: GeneratedVideo) -> Image:
        try:
            png = await ffmpeg.extract_frame(parent.data, "last", self.deps.ffmpeg_timeout)
        except (ffmpeg.FfmpegError, TimeoutError, OSError) as exc:
            log.warning(
                "last frame failed", extra=log_fields(filename=parent.filename, error=type(exc).__name__)
            )
            raise Ima2Error("GROK_VIDEO_FRAME_FAILED") from None
        return Image(data=png, mime="image/png")

    async def _generate(
        self,
        job: Job,
        saver: VideoSaver,
        request: video_pb2.GenerateVideoRequest,
        upstream: XaiVideoUpstream,
        inputs: GenerateInputs,
        model: str,
        planner_model: str,
    ) -> dict[str, Any]:
        started = time.monotonic()
        await job.set_phase("planning")
        await job.emit(PlanningEvent())
        user_prompt = request.prompt.strip()
        effective = (STORYBOARD_PREFIX if request.storyboard else "") + user_prompt
        planner = VideoPlanner(upstream, planner_model)
        brief = await planner.search(effective)
        plan = PlanRequest(
            prompt=effective,
            model=model,
            mode=inputs.mode,
            duration=inputs.duration,
            resolution=request.resolution,
            aspect_ratio=request.aspect_ratio,
            images=[image.data_url for image in inputs.images],
            continuity=inputs.continuity,
            continuing=inputs.parent is not None,
        )
        revised = await planner.plan(plan, brief)
        job.raise_if_canceled()
        payload: dict[str, Any] = {
            "prompt": revised,
            "duration": inputs.duration,
            "resolution": request.resolution,
        }
        if request.aspect_ratio != "auto":
            payload["aspect_ratio"] = request.aspect_ratio
        if inputs.mode == "image-to-video":
            payload["image"] = {"url": inputs.images[0].data_url}
        elif inputs.mode == "reference-to-video":
            payload["reference_images"] = [{"url": image.data_url} for image in inputs.images]
        outcome = await VideoRun(upstream, self.deps.poller).run(
            job, Submission("/videos/generations", payload, model)
        )
        data = outcome.data
        if request.storyboard:
            data = await self._trim(data)
        created_at = now_ms()
        filename = new_video_name(created_at)
        continuity = lineage.append(inputs.continuity, filename, user_prompt, revised, created_at)
        elapsed = round(time.monotonic() - started, 1)
        video = {
            "duration": outcome.finished.duration or inputs.duration,
            "resolution": request.resolution,
            "aspectRatio": request.aspect_ratio,
            "mode": inputs.mode,
            "sourceImageFilename": inputs.source_filename,
            "continueFromVideo": inputs.parent.filename if inputs.parent else None,
            "xaiVideoRequestId": outcome.xai_id,
            "requestedModel": outcome.requested_model,
            "effectiveModel": outcome.effective_model,
            "modelFallback": outcome.model_fallback,
        }
        metadata = {
            **common_meta(job, request.provider, outcome, elapsed, created_at),
            "sessionId": request.session_id or None,
            "prompt": user_prompt,
            "userPrompt": user_prompt,
            "revisedPrompt": revised,
            "webSearchCalls": 1,
            "storyboard": request.storyboard or None,
            "video": video,
            "videoContinuity": continuity,
        }
        item = await saver.save(data, filename, metadata)
        return {
            "filename": item.filename,
            "url": item.url,
            "providerUrl": outcome.finished.url,
            "mediaType": "video",
            "revisedPrompt": revised,
            "elapsed": elapsed,
            "usage": outcome.usage,
            "requestedModel": outcome.requested_model,
            "effectiveModel": outcome.effective_model,
            "modelFallback": outcome.model_fallback,
            "video": video,
            "videoContinuity": continuity,
            **({"thumb": item.thumb} if item.thumb else {}),
        }

    async def _trim(self, data: bytes) -> bytes:
        """Storyboard clips start with a black lead-in; a failed trim keeps the clip as it is."""
        try:
            return await ffmpeg.trim_start(
                data, limits.VIDEO_STORYBOARD_TRIM_SECONDS, self.deps.ffmpeg_timeout
            )
        except (ffmpeg.FfmpegError, TimeoutError, OSError) as exc:
            log.warning("storyboard trim failed", extra=log_fields(error=type(exc).__name__))
            return data
