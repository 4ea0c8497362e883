"""Client channels to the services: request-id metadata, message limits, round-robin over replicas."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Generic, TypeVar

import grpc
from grpc_health.v1 import health_pb2

from ima2_common.grpc_errors import error_from_rpc
from ima2_common.grpc_server import GRPC_OPTIONS, REQUEST_ID_KEY
from ima2_common.logging import request_id_var
from ima2_common.replicas import channel_target, health_check

StubT = TypeVar("StubT")
RequestT = TypeVar("RequestT")
ResponseT = TypeVar("ResponseT")

CLIENT_OPTIONS = [*GRPC_OPTIONS, ("grpc.lb_policy_name", "round_robin"), ("grpc.enable_retries", 0)]


def call_metadata() -> tuple[tuple[str, str], ...]:
    request_id = request_id_var.get()
    return ((REQUEST_ID_KEY, request_id),) if request_id else ()


def open_channel(address: str) -> grpc.aio.Channel:
    """`dns:///name:port` targets balance over every address the name resolves to; a comma-separated
    list of replicas (`ima2 up --scale`) over each of them (replicas.channel_target)."""
    return grpc.aio.insecure_channel(channel_target(address), options=CLIENT_OPTIONS)


class ServiceClient(Generic[StubT]):
    """A typed stub plus the request-id metadata and error translation every caller needs.

    Calls name the stub's method itself, so mypy checks the request and answer types against the
    generated `_pb2_grpc.pyi`: `await client.unary(client.stub.ReadMedia, request)`.
    """

    def __init__(self, name: str, address: str, stub_class: Callable[[grpc.aio.Channel], StubT]) -> None:
        self.name = name
        self.address = address
        self.channel = open_channel(address)
        self.stub: StubT = stub_class(self.channel)
        self._health_check = health_check(self.channel)

    async def unary(
        self,
        method: grpc.aio.UnaryUnaryMultiCallable[RequestT, ResponseT],
        request: RequestT,
        timeout: float | None = 30.0,
    ) -> ResponseT:
        try:
            return await method(request, metadata=call_metadata(), timeout=timeout)
        except grpc.RpcError as exc:
            raise error_from_rpc(exc, self.name) from None

    async def stream(
        self,
        method: grpc.aio.UnaryStreamMultiCallable[RequestT, ResponseT],
        request: RequestT,
        timeout: float | None = None,
    ) -> AsyncIterator[ResponseT]:
        call = method(request, metadata=call_metadata(), timeout=timeout)
        try:
            async for item in call:
                yield item
        except grpc.RpcError as exc:
            raise error_from_rpc(exc, self.name) from None
        finally:
            call.cancel()

    async def healthy(self, timeout: float = 1.0) -> bool:
        try:
            reply = await self._health_check(health_pb2.HealthCheckRequest(service=""), timeout=timeout)
        except grpc.RpcError:
            return False
        return reply.status == health_pb2.HealthCheckResponse.SERVING

    async def close(self) -> None:
        await self.channel.close()
