"""Image jobs: one entry point per RPC; each job kind lives in its own module (jobs_*.py) and
they share the saving, cancel and result rules of jobs_common.py."""

from __future__ import annotations

from collections.abc import AsyncIterator

from ima2_image.jobs_classic import ClassicJobs
from ima2_image.jobs_common import JobDeps
from ima2_image.jobs_edit import EditJobs
from ima2_image.jobs_multimode import MultimodeJobs
from ima2_image.jobs_node import NodeJobs
from ima2_proto.v1 import common_pb2, image_pb2


class ImageJobs:
    def __init__(self, deps: JobDeps) -> None:
        self.deps = deps
        self.classic = ClassicJobs(deps)
        self.edits = EditJobs(deps)
        self.nodes = NodeJobs(deps)
        self.multimode_jobs = MultimodeJobs(deps)

    def generate(self, request: image_pb2.GenerateRequest) -> AsyncIterator[common_pb2.JobEvent]:
        return self.classic.generate(request)

    def edit(self, request: image_pb2.EditRequest) -> AsyncIterator[common_pb2.JobEvent]:
        return self.edits.edit(request)

    def node_generate(self, request: image_pb2.NodeGenerateRequest) -> AsyncIterator[common_pb2.JobEvent]:
        return self.nodes.generate(request)

    def multimode(self, request: image_pb2.MultimodeRequest) -> AsyncIterator[common_pb2.JobEvent]:
        return self.multimode_jobs.generate(request)
