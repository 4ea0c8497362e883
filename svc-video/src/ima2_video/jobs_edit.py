"""POST /api/video/edit and /api/video/extend: xAI's video edit and native extension, blocking.
The source is an https URL, an xAI file id, a data:video URL or a generated mp4 (sent inline)."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

from ima2_common import catalog
from ima2_common.errors import Ima2Error
from ima2_common.inflight import now_ms
from ima2_jobs.runner import Job
from ima2_proto.v1 import common_pb2, video_pb2
from ima2_video.inputs import Image
from ima2_video.jobs_common import JOB_KIND, VideoDeps, check_provider, common_meta
from ima2_video.pipeline import Submission, VideoRun
from ima2_video.store import VideoSaver, new_video_name


class EditJobs:
    def __init__(self, deps: VideoDeps) -> None:
        self.deps = deps

    async def edit(self, request: video_pb2.EditVideoRequest) -> AsyncIterator[common_pb2.JobEvent]:
        async for event in self._transform(
            "edit", request.request_id, request.provider, request.prompt, request.video_url, request.model, 0
        ):
            yield event

    async def extend(self, request: video_pb2.ExtendVideoRequest) -> AsyncIterator[common_pb2.JobEvent]:
        async for event in self._transform(
            "extend",
            request.request_id,
            request.provider,
            request.prompt,
            request.video_url,
            request.model,
            request.duration,
        ):
            yield event

    async def _transform(
        self,
        operation: str,
        request_id: str,
        provider: str,
        prompt: str,
        video_url: str,
        model: str,
        duration: int,
    ) -> AsyncIterator[common_pb2.JobEvent]:
        provider = check_provider(provider or "grok")
        model = model or catalog.GROK_VIDEO_BASE_MODEL
        if model != catalog.GROK_VIDEO_BASE_MODEL:
            raise Ima2Error(
                "INVALID_GROK_VIDEO_MODEL",
                f"Video {operation} supports {catalog.GROK_VIDEO_BASE_MODEL} only.",
            )
        upstream = await self.deps.upstreams.ready(provider)
        source, source_name = await self._video_reference(video_url)
        payload: dict[str, Any] = {"prompt": prompt.strip(), "video": source}
        if operation == "extend":
            payload["duration"] = duration
        path = "/videos/edits" if operation == "edit" else "/videos/extensions"
        meta = {"kind": JOB_KIND, "operation": operation, "provider": provider, "model": model}

        async def work(job: Job) -> dict[str, Any]:
            saver = VideoSaver(self.deps.library, job)
            try:
                started = time.monotonic()
                await job.set_phase("planning")
                outcome = await VideoRun(upstream, self.deps.poller).run(
                    job, Submission(path, payload, model)
                )
                created_at = now_ms()
                filename = new_video_name(created_at)
                elapsed = round(time.monotonic() - started, 1)
                video = {
                    "operation": operation,
                    "duration": outcome.finished.duration,
                    "sourceVideo": source_name,
                    "addedDuration": duration or None,
                    "xaiVideoRequestId": outcome.xai_id,
                    "requestedModel": outcome.requested_model,
                    "effectiveModel": outcome.effective_model,
                    "modelFallback": outcome.model_fallback,
                }
                metadata = {
                    **common_meta(job, provider, outcome, elapsed, created_at),
                    "prompt": prompt.strip(),
                    "userPrompt": prompt.strip(),
                    "revisedPrompt": prompt.strip(),
                    "video": video,
                }
                item = await saver.save(outcome.data, filename, metadata)
                return {
                    "xaiVideoRequestId": outcome.xai_id,
                    "url": item.url,
                    "filename": item.filename,
                    "sourceUrl": video_url,
                    "duration": outcome.finished.duration,
                    "model": outcome.effective_model,
                    "mediaType": "video",
                    "elapsed": elapsed,
                    "usage": outcome.usage,
                    "video": video,
                }
            except BaseException:
                await saver.discard()
                raise

        async for event in self.deps.runner.run(request_id, JOB_KIND, meta, work, False):
            yield event

    async def _video_reference(self, value: str) -> tuple[dict[str, str], str | None]:
        """videoUrl → the xAI `video` object: an https URL, a file id, a data:video URL or a generated mp4."""
        value = value.strip()
        if value.startswith("https://"):
            return {"url": value}, None
        if value.startswith("file_"):
            return {"file_id": value}, None
        if value.startswith("data:"):
            if not value.lower().startswith("data:video/"):
                raise Ima2Error("INVALID_VIDEO_SOURCE", "Inline videos must be data:video/* URLs.")
            return {"url": value}, None
        if "://" in value:
            raise Ima2Error("INVALID_VIDEO_SOURCE", "Remote videos must be https URLs.")
        video = await self.deps.reader.video(value)
        if video.data[4:8] != b"ftyp":
            raise Ima2Error("INVALID_VIDEO_SOURCE", "The generated file is not an MP4.")
        return {"url": Image(video.data, "video/mp4").data_url}, video.filename
