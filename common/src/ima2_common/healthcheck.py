"""Container health probes: `python -m ima2_common.healthcheck grpc HOST:PORT | http URL`."""

from __future__ import annotations

import os
import sys
import urllib.request

import grpc
from grpc_health.v1 import health_pb2


def grpc_ok(address: str) -> bool:
    with grpc.insecure_channel(address) as channel:
        try:
            # grpc_health's stubs leave HealthStub's methods untyped: the one method used, typed here.
            check = channel.unary_unary(
                "/grpc.health.v1.Health/Check",
                request_serializer=health_pb2.HealthCheckRequest.SerializeToString,
                response_deserializer=health_pb2.HealthCheckResponse.FromString,
            )
            reply = check(health_pb2.HealthCheckRequest(), timeout=2)
        except grpc.RpcError:
            return False
    return reply.status == health_pb2.HealthCheckResponse.SERVING


def http_ok(url: str) -> bool:
    token = os.environ.get("IMA2_ACCESS_TOKEN", "")  # a gateway bound off loopback requires it
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"} if token else {})
    try:
        with urllib.request.urlopen(request, timeout=3) as response:
            status: int = response.status
            return status == 200
    except OSError:
        return False


def main() -> None:
    kind, target = sys.argv[1], sys.argv[2]
    ok = grpc_ok(target) if kind == "grpc" else http_ok(target)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
