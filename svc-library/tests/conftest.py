"""A real svc-library gRPC server in-process on a free port, with a temp IMA2_HOME, on each backend.

Every test that starts a library runs twice: on SQLite, and on PostgreSQL (a database created
for this test run on the server at IMA2_TEST_DATABASE_URL, default 127.0.0.1:5432, dropped at the
end; one schema per test). The PostgreSQL run is skipped only when no server is reachable.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from library_testkit import Library, PgServer, StartLibrary, pg_server_or_none, stop

from ima2_common.grpc_client import ServiceClient
from ima2_common.net import free_port
from ima2_common.settings import Settings
from ima2_library import server
from ima2_library.db.database import Database
from ima2_library.db.postgres_database import PostgresDatabase
from ima2_library.db.sqlite_database import SqliteDatabase
from ima2_proto.v1 import library_pb2_grpc


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer | None]:
    server_ = pg_server_or_none()
    yield server_
    if server_ is not None:
        server_.drop()


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, pg_server: PgServer | None) -> str:
    """'' for SQLite, else a DSN whose search_path is a fresh schema."""
    if request.param == "sqlite":
        return ""
    if pg_server is None:
        pytest.skip("no PostgreSQL server reachable")
    return pg_server.fresh_schema_url()


@pytest.fixture
async def start_library(tmp_path: Path, database_url: str) -> AsyncIterator[StartLibrary]:
    """Start (and restart) servers on the same home; every one left running is stopped at the end."""
    started: list[Library] = []

    async def start(**options: Any) -> Library:
        settings = Settings(
            home=tmp_path / "home", library_addr=f"127.0.0.1:{free_port()}", database_url=database_url
        )
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


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    """A migrated database on each backend (in-memory SQLite, or a fresh PostgreSQL schema)."""
    db: Database = PostgresDatabase(database_url) if database_url else SqliteDatabase(None)
    await db.start()
    yield db
    await db.close()
