"""svc-video process. The VideoService contract is defined; its methods are not implemented yet,
so every call answers UNIMPLEMENTED and the gateway exposes no video routes."""

from __future__ import annotations

from collections.abc import AsyncIterator

from ima2_common.grpc_server import GrpcServer, ServicerContext, wait_for_shutdown_signal
from ima2_common.logging import setup_logging
from ima2_common.settings import Settings
from ima2_proto.v1 import common_pb2, video_pb2, video_pb2_grpc


class UnimplementedVideoService(video_pb2_grpc.VideoServiceServicer):
    """Every method raises NotImplementedError, which the interceptor answers UNIMPLEMENTED."""

    def GenerateVideo(
        self, request: video_pb2.GenerateVideoRequest, context: ServicerContext
    ) -> AsyncIterator[common_pb2.JobEvent]:
        raise NotImplementedError

    def EditVideo(
        self, request: video_pb2.EditVideoRequest, context: ServicerContext
    ) -> AsyncIterator[common_pb2.JobEvent]:
        raise NotImplementedError

    def ExtendVideo(
        self, request: video_pb2.ExtendVideoRequest, context: ServicerContext
    ) -> AsyncIterator[common_pb2.JobEvent]:
        raise NotImplementedError

    async def ExtractFrame(
        self, request: video_pb2.ExtractFrameRequest, context: ServicerContext
    ) -> video_pb2.ExtractFrameResponse:
        raise NotImplementedError

    async def AnalyzeVideo(
        self, request: video_pb2.AnalyzeVideoRequest, context: ServicerContext
    ) -> video_pb2.AnalyzeVideoResponse:
        raise NotImplementedError


async def serve(settings: Settings) -> None:
    setup_logging("svc-video", settings.logs_dir, settings.log_level, settings.log_json_stderr)
    server = GrpcServer("svc-video", settings.listen_address(settings.video_addr))
    video_pb2_grpc.add_VideoServiceServicer_to_server(UnimplementedVideoService(), server.server)
    await server.start([video_pb2.DESCRIPTOR.services_by_name["VideoService"].full_name])
    try:
        await wait_for_shutdown_signal()
    finally:
        await server.stop()
