"""Video jobs: one entry point per job RPC; each kind lives in its own module (jobs_*.py) and they
share the collaborators and sidecar fields of jobs_common.py."""

from __future__ import annotations

from collections.abc import AsyncIterator

from ima2_proto.v1 import common_pb2, video_pb2
from ima2_video.jobs_common import VideoDeps
from ima2_video.jobs_edit import EditJobs
from ima2_video.jobs_generate import GenerateJobs


class VideoJobs:
    def __init__(self, deps: VideoDeps) -> None:
        self.deps = deps
        self.generator = GenerateJobs(deps)
        self.editor = EditJobs(deps)

    def generate(self, request: video_pb2.GenerateVideoRequest) -> AsyncIterator[common_pb2.JobEvent]:
        return self.generator.generate(request)

    def edit(self, request: video_pb2.EditVideoRequest) -> AsyncIterator[common_pb2.JobEvent]:
        return self.editor.edit(request)

    def extend(self, request: video_pb2.ExtendVideoRequest) -> AsyncIterator[common_pb2.JobEvent]:
        return self.editor.extend(request)
