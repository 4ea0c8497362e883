"""What every video job shares: its collaborators, the job kind, the sidecar fields common to
generated, edited and extended clips, and the checks run before admission."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ima2_common import catalog
from ima2_common.errors import Ima2Error
from ima2_common.grpc_client import ServiceClient
from ima2_jobs.runner import Job, JobRunner
from ima2_video.inputs import MediaReader
from ima2_video.pipeline import Outcome
from ima2_video.planner_model import PlannerModelSource
from ima2_video.poller import VideoPoller
from ima2_video.upstream import UpstreamFactory

JOB_KIND = "video"


@dataclass
class VideoDeps:
    """The collaborators of every video job, built once in server.py."""

    runner: JobRunner
    library: ServiceClient
    upstreams: UpstreamFactory
    planner_models: PlannerModelSource
    poller: VideoPoller
    ffmpeg_timeout: float = 60.0

    @property
    def reader(self) -> MediaReader:
        return MediaReader(self.library)


def check_provider(provider: str) -> str:
    if provider not in catalog.VIDEO_PROVIDERS:
        raise Ima2Error("AGY_VIDEO_UNSUPPORTED" if provider == "agy" else "VIDEO_PROVIDER_UNSUPPORTED")
    return provider


def common_meta(job: Job, provider: str, outcome: Outcome, elapsed: float, created_at: int) -> dict[str, Any]:
    """Sidecar fields of every saved clip."""
    return {
        "kind": JOB_KIND,
        "mediaType": "video",
        "requestId": job.request_id,
        "createdAt": created_at,
        "providerUrl": outcome.finished.url,
        "provider": provider,
        "model": outcome.effective_model,
        "requestedModel": outcome.requested_model,
        "effectiveModel": outcome.effective_model,
        "modelFallback": outcome.model_fallback,
        "usage": outcome.usage,
        "elapsed": elapsed,
    }
