"""Replica addresses of a service: how a client channel targets them, and a health probe per replica.

An address setting (`IMA2_IMAGE_ADDR`, ...) is either one `host:port` (resolved by DNS, so a compose
service name balances over every container of that service) or a comma-separated list of IP
`host:port` replicas (`ima2 up --scale`). Either way the channel uses gRPC's client-side
`round_robin`: calls go to every ready replica in turn, and a replica whose connection fails drops
out of the rotation until it accepts connections again.
"""

from __future__ import annotations

import asyncio

import grpc
from grpc_health.v1 import health_pb2

HealthCheck = grpc.aio.UnaryUnaryMultiCallable[health_pb2.HealthCheckRequest, health_pb2.HealthCheckResponse]


def health_check(channel: grpc.aio.Channel) -> HealthCheck:
    """The health Check method of a channel (grpc_health's stubs leave HealthStub untyped)."""
    return channel.unary_unary(
        "/grpc.health.v1.Health/Check",
        request_serializer=health_pb2.HealthCheckRequest.SerializeToString,
        response_deserializer=health_pb2.HealthCheckResponse.FromString,
    )


def replica_addresses(address: str) -> list[str]:
    return [part.strip() for part in address.split(",") if part.strip()]


def channel_target(address: str) -> str:
    """The gRPC target for an address setting."""
    if "://" in address or address.startswith(("dns:", "ipv4:", "ipv6:")):
        return address
    parts = replica_addresses(address)
    if len(parts) == 1:
        return f"dns:///{parts[0]}"
    scheme = "ipv6" if any(part.startswith("[") for part in parts) else "ipv4"
    return f"{scheme}:{','.join(parts)}"


class ReplicaProbe:
    """A health channel per replica, so /api/health can list each one."""

    def __init__(self, address: str) -> None:
        self.addresses = replica_addresses(address)
        self._channels = [grpc.aio.insecure_channel(a) for a in self.addresses]
        self._stubs = [health_check(c) for c in self._channels]

    async def _check(self, check: HealthCheck, timeout: float) -> bool:
        try:
            reply = await check(health_pb2.HealthCheckRequest(service=""), timeout=timeout)
        except grpc.RpcError:
            return False
        return bool(reply.status == health_pb2.HealthCheckResponse.SERVING)

    async def states(self, timeout: float) -> list[dict[str, str]]:
        results = await asyncio.gather(*(self._check(stub, timeout) for stub in self._stubs))
        return [
            {"address": address, "status": "up" if ok else "down"}
            for address, ok in zip(self.addresses, results, strict=True)
        ]

    async def close(self) -> None:
        for channel in self._channels:
            await channel.close()
