"""A real svc-library gRPC server in-process on a free port, with a temp IMA2_HOME."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from library_testkit import Library, StartLibrary, stop

from ima2_common.grpc_client import ServiceClient
from ima2_common.net import free_port
from ima2_common.settings import Settings
from ima2_library import server
from ima2_proto.v1 import library_pb2_grpc


@pytest.fixture
async def start_library(tmp_path: Path) -> AsyncIterator[StartLibrary]:
    """Start (and restart) servers on the same home; every one left running is stopped at the end."""
    started: list[Library] = []

    async def start(**options: Any) -> Library:
        settings = Settings(home=tmp_path / "home", library_addr=f"127.0.0.1:{free_port()}")
        running = await server.start(settings, **options)
        client = ServiceClient("library", settings.library_addr, library_pb2_grpc.LibraryServiceStub)
        library = Library(settings, running, client)
        started.append(library)
        return library

    yield start
    for library in started:
        await stop(library)


@pytest.fixture
async def library(start_library: StartLibrary) -> Library:
    lib = await start_library()
    await lib.running.wait_backfill()
    return lib
