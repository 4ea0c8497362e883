"""One xAI video job from submit to bytes: submit (never retried, one fallback to the base model
when a non-base model is refused with 400), `submitted`, the poll loop with `progress`, download."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from ima2_common import catalog
from ima2_common.errors import Ima2Error
from ima2_common.job_events import ProgressEvent, SubmittedEvent
from ima2_common.logging import log_fields
from ima2_jobs.runner import Job
from ima2_video import errors
from ima2_video.poller import FinishedVideo, VideoPoller
from ima2_video.upstream import XaiVideoUpstream

log = logging.getLogger("ima2.video.pipeline")

STREAMING_PHASE = "streaming"


@dataclass
class Submission:
    path: str  # /videos/generations | /videos/edits | /videos/extensions
    payload: dict[str, Any]  # without `model`
    model: str


@dataclass
class Outcome:
    xai_id: str
    requested_model: str
    effective_model: str
    model_fallback: dict[str, str] | None
    finished: FinishedVideo
    data: bytes
    usage: dict[str, Any] = field(default_factory=dict)


def _request_id_of(body: Any) -> str:
    value = (body or {}).get("request_id") or (body or {}).get("id") if isinstance(body, dict) else None
    if not isinstance(value, str) or not value:
        raise Ima2Error("GROK_VIDEO_EMPTY_RESPONSE", "xAI accepted the video request without an id.")
    return value


class VideoRun:
    def __init__(self, upstream: XaiVideoUpstream, poller: VideoPoller) -> None:
        self.upstream = upstream
        self.poller = poller

    async def submit(self, submission: Submission) -> tuple[str, str, dict[str, str] | None]:
        """(xAI request id, effective model, modelFallback)."""
        model = submission.model
        answer = await self.upstream.submit(submission.path, {"model": model, **submission.payload})
        fallback = None
        if answer.status == 400 and model != catalog.GROK_VIDEO_BASE_MODEL:
            log.info("video model refused; falling back", extra=log_fields(requested=model))
            fallback = {"from": model, "to": catalog.GROK_VIDEO_BASE_MODEL}
            model = catalog.GROK_VIDEO_BASE_MODEL
            answer = await self.upstream.submit(submission.path, {"model": model, **submission.payload})
        if answer.status >= 400:
            raise errors.submit_refused(answer.status, answer.body)
        return _request_id_of(answer.body), model, fallback

    async def run(self, job: Job, submission: Submission) -> Outcome:
        xai_id, effective, fallback = await self.submit(submission)
        job.raise_if_canceled()
        await job.set_phase(STREAMING_PHASE)
        await job.emit(
            SubmittedEvent(
                xaiVideoRequestId=xai_id,
                requestedModel=submission.model,
                effectiveModel=effective,
                modelFallback=fallback,
            )
        )

        async def on_progress(progress: float | None, stalled: bool) -> None:
            await job.emit(ProgressEvent(progress=progress, stalled=stalled))

        finished = await self.poller.wait(self.upstream, xai_id, on_progress)
        job.raise_if_canceled()
        data = await self.upstream.download(finished.url)
        job.raise_if_canceled()
        return Outcome(
            xai_id=xai_id,
            requested_model=submission.model,
            effective_model=effective,
            model_fallback=fallback,
            finished=finished,
            data=data,
            usage=finished.usage,
        )
