"""Loopback port helpers for the launcher and the tests."""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Callable, Collection, Iterator


def free_port(host: str = "127.0.0.1") -> int:
    return free_ports(1, host)[0]


def free_ports(count: int, host: str = "127.0.0.1", exclude: Collection[int] = ()) -> list[int]:
    with reserved_ports(host, exclude) as take:
        return [take() for _ in range(count)]


@contextlib.contextmanager
def reserved_ports(host: str = "127.0.0.1", exclude: Collection[int] = ()) -> Iterator[Callable[[], int]]:
    """`take()` gives a port free right now and distinct from every other taken in the block: each
    socket stays bound until the block ends (closed one by one, the kernel hands the same port out
    twice about once in 500 bursts of eight)."""
    with contextlib.ExitStack() as held:

        def take() -> int:
            while True:
                sock = held.enter_context(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
                sock.bind((host, 0))
                port = int(sock.getsockname()[1])
                if port not in exclude:
                    return port

        yield take


def port_is_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def wait_for_port(host: str, port: int, timeout: float) -> bool:
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection((host, port), timeout=0.2).close()
            return True
        except OSError:
            time.sleep(0.02)
    return False
