"""VideoService over gRPC: thin; the work is in VideoJobs and VideoTools."""

from __future__ import annotations

from collections.abc import AsyncIterator

import grpc

from ima2_proto.v1 import common_pb2, video_pb2, video_pb2_grpc
from ima2_video.jobs import VideoJobs
from ima2_video.tools import VideoTools


class VideoServicer(video_pb2_grpc.VideoServiceServicer):
    def __init__(self, jobs: VideoJobs, tools: VideoTools) -> None:
        self.jobs = jobs
        self.tools = tools

    async def GenerateVideo(
        self, request: video_pb2.GenerateVideoRequest, context: grpc.aio.ServicerContext
    ) -> AsyncIterator[common_pb2.JobEvent]:
        async for event in self.jobs.generate(request):
            yield event

    async def EditVideo(
        self, request: video_pb2.EditVideoRequest, context: grpc.aio.ServicerContext
    ) -> AsyncIterator[common_pb2.JobEvent]:
        async for event in self.jobs.edit(request):
            yield event

    async def ExtendVideo(
        self, request: video_pb2.ExtendVideoRequest, context: grpc.aio.ServicerContext
    ) -> AsyncIterator[common_pb2.JobEvent]:
        async for event in self.jobs.extend(request):
            yield event

    async def ExtractFrame(
        self, request: video_pb2.ExtractFrameRequest, context: grpc.aio.ServicerContext
    ) -> video_pb2.ExtractFrameResponse:
        return video_pb2.ExtractFrameResponse(png=await self.tools.frame(request.file, request.position))

    async def AnalyzeVideo(
        self, request: video_pb2.AnalyzeVideoRequest, context: grpc.aio.ServicerContext
    ) -> video_pb2.AnalyzeVideoResponse:
        result = await self.tools.analyze(request.video_url, request.provider)
        return video_pb2.AnalyzeVideoResponse(**result)
