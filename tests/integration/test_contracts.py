"""The VideoService contract over raw gRPC: domain errors travel as status details (a Struct detail) with
the documented code and status, for unary and streaming methods alike."""

from __future__ import annotations

import grpc
import pytest

from ima2_common.grpc_errors import error_from_rpc
from ima2_proto.v1 import video_pb2, video_pb2_grpc
from tests.stackctl import RunningStack


async def test_video_errors_carry_error_info(stack: RunningStack) -> None:
    async with grpc.aio.insecure_channel(stack.info["stack"]["services"]["video"]) as channel:
        stub = video_pb2_grpc.VideoServiceStub(channel)
        with pytest.raises(grpc.aio.AioRpcError) as raised:
            await stub.AnalyzeVideo(
                video_pb2.AnalyzeVideoRequest(video_url="1700000000000_00000000.mp4"), timeout=5
            )
        assert raised.value.code() == grpc.StatusCode.NOT_FOUND
        assert error_from_rpc(raised.value, "video").code == "ASSET_NOT_FOUND"
        with pytest.raises(grpc.aio.AioRpcError) as streamed:
            async for _ in stub.GenerateVideo(
                video_pb2.GenerateVideoRequest(prompt="p", provider="agy"), timeout=5
            ):
                pass
        assert streamed.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        err = error_from_rpc(streamed.value, "video")
        assert (err.code, err.status) == ("AGY_VIDEO_UNSUPPORTED", 400)
