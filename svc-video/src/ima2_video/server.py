"""svc-video process. The VideoService contract is defined; its methods are not implemented yet,
so every call answers UNIMPLEMENTED and the gateway exposes no video routes."""

from __future__ import annotations

from ima2_common.grpc_server import GrpcServer, wait_for_shutdown_signal
from ima2_common.logging import setup_logging
from ima2_common.settings import Settings
from ima2_proto.v1 import video_pb2, video_pb2_grpc


async def serve(settings: Settings) -> None:
    setup_logging("svc-video", settings.logs_dir, settings.log_level, settings.log_json_stderr)
    server = GrpcServer("svc-video", settings.listen_address(settings.video_addr))
    video_pb2_grpc.add_VideoServiceServicer_to_server(video_pb2_grpc.VideoServiceServicer(), server.server)
    await server.start([video_pb2.DESCRIPTOR.services_by_name["VideoService"].full_name])
    try:
        await wait_for_shutdown_signal()
    finally:
        await server.stop()
