"""Ports chosen for a stack's parts are distinct and can be bound."""

from __future__ import annotations

import socket

import pytest

from ima2_common.grpc_server import GrpcServer
from ima2_common.net import free_ports, port_is_free


def test_free_ports_are_distinct_bindable_and_skip_the_excluded() -> None:
    first = free_ports(64)
    assert len(set(first)) == 64 and all(port_is_free("127.0.0.1", port) for port in first)
    again = free_ports(64, exclude=first)
    assert not set(again) & set(first)


def test_a_taken_port_is_not_free() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        assert not port_is_free("127.0.0.1", sock.getsockname()[1])
        assert sock.getsockname()[1] not in free_ports(32)


async def test_a_second_grpc_server_on_a_served_port_fails_instead_of_sharing_it() -> None:
    first = GrpcServer("first", "127.0.0.1:0")
    await first.start([])
    second = GrpcServer("second", f"127.0.0.1:{first.port}")
    try:
        with pytest.raises((OSError, RuntimeError)):
            await second.start([])
    finally:
        await second.stop(0)
        await first.stop(0)
