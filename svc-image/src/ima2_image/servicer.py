"""ImageService over gRPC: thin; the work is in ImageJobs."""

from __future__ import annotations

from collections.abc import AsyncIterator

import grpc

from ima2_image.generation import ImageJobs
from ima2_image.status import ProviderStatusProbe
from ima2_proto.v1 import common_pb2, image_pb2, image_pb2_grpc


class ImageServicer(image_pb2_grpc.ImageServiceServicer):
    def __init__(self, jobs: ImageJobs, probe: ProviderStatusProbe) -> None:
        self.jobs = jobs
        self.probe = probe

    async def Generate(
        self, request: image_pb2.GenerateRequest, context: grpc.aio.ServicerContext
    ) -> AsyncIterator[common_pb2.JobEvent]:
        async for event in self.jobs.generate(request):
            yield event

    async def GetProviderStatus(
        self, request: image_pb2.ProviderStatusRequest, context: grpc.aio.ServicerContext
    ) -> image_pb2.ProviderStatus:
        return await self.probe.status(request.provider)
