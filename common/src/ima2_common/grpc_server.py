"""Running a gRPC service: aio server, health, request-id propagation, error mapping, shutdown."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from typing import Any, TypeAlias, TypeVar, cast

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

# `grpc_health.v1.health.aio` is this module; the published stubs type it only under its own name.
from grpc_health.v1._async import HealthServicer as AsyncHealthServicer

from ima2_common import limits
from ima2_common.errors import Ima2Error
from ima2_common.grpc_errors import status_metadata
from ima2_common.logging import log_fields, request_id_var

log = logging.getLogger("ima2.grpc")

RequestT = TypeVar("RequestT")
ResponseT = TypeVar("ResponseT")

# What a servicer method receives; servicers are typed against the generated `_pb2_grpc.pyi`.
ServicerContext: TypeAlias = grpc.aio.ServicerContext[Any, Any]

# grpc's stubs type a method handler's behaviours for the sync server; under grpc.aio they are
# coroutine functions (unary-unary) and async generators (unary-stream).
_AioUnaryUnary: TypeAlias = Callable[[Any, ServicerContext], Awaitable[Any]]
_AioUnaryStream: TypeAlias = Callable[[Any, ServicerContext], AsyncIterator[Any]]

REQUEST_ID_KEY = "x-request-id"
GRPC_OPTIONS = [
    ("grpc.max_send_message_length", limits.GRPC_MAX_MESSAGE_BYTES),
    ("grpc.max_receive_message_length", limits.GRPC_MAX_MESSAGE_BYTES),
]


def _request_id(context: ServicerContext) -> str:
    for key, value in context.invocation_metadata() or ():
        if key == REQUEST_ID_KEY and isinstance(value, str):
            return value
    return ""


async def _unimplemented(context: ServicerContext) -> None:
    """The generated base methods raise NotImplementedError: answer UNIMPLEMENTED, not INTERNAL."""
    await context.abort(grpc.StatusCode.UNIMPLEMENTED, "Method not implemented.")


async def _abort(context: ServicerContext, err: Ima2Error) -> None:
    code, message, trailers = status_metadata(err)
    await context.abort(code, message, trailing_metadata=trailers)


async def _fail(context: ServicerContext, method: str, exc: Exception) -> None:
    """Domain errors go out as status details; everything else is logged and answered INTERNAL_ERROR."""
    if isinstance(exc, Ima2Error):
        await _abort(context, exc)
    elif isinstance(exc, NotImplementedError):
        await _unimplemented(context)
    else:
        log.error("unhandled error", exc_info=exc, extra=log_fields(method=method))
        await _abort(context, Ima2Error("INTERNAL_ERROR"))


class ContextInterceptor(grpc.aio.ServerInterceptor):
    """Binds the caller's request id to the log context and renders domain errors as status details."""

    async def intercept_service(
        self,
        continuation: Callable[
            [grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler[RequestT, ResponseT] | None]
        ],
        details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler[RequestT, ResponseT] | None:
        handler = await continuation(details)
        if handler is None:
            return handler
        method = details.method
        if handler.unary_unary is not None:
            inner_uu = cast(_AioUnaryUnary, handler.unary_unary)

            async def unary_unary(request: Any, context: ServicerContext) -> Any:
                request_id_var.set(_request_id(context))
                try:
                    return await inner_uu(request, context)
                except (asyncio.CancelledError, grpc.aio.AbortError):
                    raise
                except Exception as exc:
                    await _fail(context, method, exc)

            return grpc.unary_unary_rpc_method_handler(
                unary_unary, handler.request_deserializer, handler.response_serializer
            )
        if handler.unary_stream is not None:
            inner_us = cast(_AioUnaryStream, handler.unary_stream)

            async def unary_stream(request: Any, context: ServicerContext) -> AsyncIterator[Any]:
                request_id_var.set(_request_id(context))
                try:
                    async for item in inner_us(request, context):
                        yield item
                except (asyncio.CancelledError, grpc.aio.AbortError):
                    raise
                except Exception as exc:
                    await _fail(context, method, exc)

            return grpc.unary_stream_rpc_method_handler(
                unary_stream, handler.request_deserializer, handler.response_serializer
            )
        return handler


class GrpcServer:
    """A gRPC aio server with the health service; `run()` serves until SIGINT/SIGTERM."""

    def __init__(self, name: str, address: str) -> None:
        self.name = name
        self.address = address
        self.health = AsyncHealthServicer()
        # Without SO_REUSEPORT a port that is taken fails the bind instead of being silently shared.
        options = [*GRPC_OPTIONS, ("grpc.so_reuseport", 0)]
        self.server = grpc.aio.server(interceptors=[ContextInterceptor()], options=options)
        health_pb2_grpc.add_HealthServicer_to_server(self.health, self.server)
        self.port = 0

    async def start(self, service_names: Iterable[str]) -> None:
        self.port = self.server.add_insecure_port(self.address)
        if self.port == 0:
            raise OSError(f"cannot bind {self.address}")
        await self.server.start()
        for service in [*service_names, ""]:
            await self.health.set(service, health_pb2.HealthCheckResponse.SERVING)
        log.info("serving", extra=log_fields(service=self.name, address=self.address))

    async def stop(self, grace: float = 5.0) -> None:
        await self.health.enter_graceful_shutdown()
        await self.server.stop(grace)


async def wait_for_shutdown_signal() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
