"""Methods of the contracts that no servicer implements yet answer gRPC UNIMPLEMENTED (not INTERNAL)."""

from __future__ import annotations

import grpc
import pytest

from ima2_proto.v1 import video_pb2, video_pb2_grpc
from tests.stackctl import RunningStack


async def test_unimplemented_video_methods(stack: RunningStack) -> None:
    async with grpc.aio.insecure_channel(stack.info["stack"]["services"]["video"]) as channel:
        stub = video_pb2_grpc.VideoServiceStub(channel)
        with pytest.raises(grpc.aio.AioRpcError) as raised:
            await stub.AnalyzeVideo(video_pb2.AnalyzeVideoRequest(video_url="x.mp4"), timeout=5)
        assert raised.value.code() == grpc.StatusCode.UNIMPLEMENTED
        with pytest.raises(grpc.aio.AioRpcError) as streamed:
            async for _ in stub.GenerateVideo(video_pb2.GenerateVideoRequest(prompt="p"), timeout=5):
                pass
        assert streamed.value.code() == grpc.StatusCode.UNIMPLEMENTED
