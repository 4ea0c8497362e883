"""Client channels to the services: request-id metadata, message limits, round-robin over replicas."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from ima2_common.grpc_errors import error_from_rpc
from ima2_common.grpc_server import GRPC_OPTIONS, REQUEST_ID_KEY
from ima2_common.logging import request_id_var
from ima2_common.replicas import channel_target

CLIENT_OPTIONS = [*GRPC_OPTIONS, ("grpc.lb_policy_name", "round_robin"), ("grpc.enable_retries", 0)]


def call_metadata() -> tuple[tuple[str, str], ...]:
    request_id = request_id_var.get()
    return ((REQUEST_ID_KEY, request_id),) if request_id else ()


def open_channel(address: str) -> grpc.aio.Channel:
    """`dns:///name:port` targets balance over every address the name resolves to; a comma-separated
    list of replicas (`ima2 up --scale`) over each of them (replicas.channel_target)."""
    return grpc.aio.insecure_channel(channel_target(address), options=CLIENT_OPTIONS)


class ServiceClient:
    """A stub plus the error translation every caller needs."""

    def __init__(self, name: str, address: str, stub_class: Any) -> None:
        self.name = name
        self.address = address
        self.channel = open_channel(address)
        self.stub = stub_class(self.channel)
        self._health = health_pb2_grpc.HealthStub(self.channel)

    async def call(self, method: str, request: Any, timeout: float | None = 30.0) -> Any:
        try:
            return await getattr(self.stub, method)(request, metadata=call_metadata(), timeout=timeout)
        except grpc.RpcError as exc:
            raise error_from_rpc(exc, self.name) from None

    async def stream(self, method: str, request: Any, timeout: float | None = None) -> AsyncIterator[Any]:
        call = getattr(self.stub, method)(request, metadata=call_metadata(), timeout=timeout)
        try:
            async for item in call:
                yield item
        except grpc.RpcError as exc:
            raise error_from_rpc(exc, self.name) from None
        finally:
            call.cancel()

    async def healthy(self, timeout: float = 1.0) -> bool:
        try:
            reply = await self._health.Check(health_pb2.HealthCheckRequest(service=""), timeout=timeout)
        except grpc.RpcError:
            return False
        return reply.status == health_pb2.HealthCheckResponse.SERVING

    async def close(self) -> None:
        await self.channel.close()
