"""Stacks and helpers for the library route tests (import `api_fixture` and `pg_stack_fixture`): the same tests run on SQLite (the session stack)
and on PostgreSQL (one extra stack with IMA2_DATABASE_URL set to a database made for this run).

The PostgreSQL stack is started once per test run however many modules import these fixtures
(a module-level singleton with a reference count), and skipped only when no server is reachable.
"""

from __future__ import annotations

import io
import os
import secrets
import tempfile
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from PIL import Image

from ima2_common.grpc_client import ServiceClient
from ima2_proto.v1 import library_pb2, library_pb2_grpc
from tests.stackctl import RunningStack, start_stack

PG_ADMIN_URL = os.environ.get("IMA2_TEST_DATABASE_URL", "postgresql://root@127.0.0.1:5432/test")
STACK_ENV = {"IMA2_RESTART_DELAY_SECONDS": "1", "IMA2_SSE_PING_SECONDS": "1"}


def pg_reachable() -> bool:
    try:
        with psycopg.connect(PG_ADMIN_URL, connect_timeout=3):
            return True
    except psycopg.OperationalError:
        return False


def database_url(name: str) -> str:
    return PG_ADMIN_URL.partition("?")[0].rsplit("/", 1)[0] + "/" + name


def create_database() -> str:
    name = f"ima2_it_{secrets.token_hex(6)}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    return name


def drop_database(name: str) -> None:
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


class _SharedPgStack:
    def __init__(self) -> None:
        self.users = 0
        self.stack: RunningStack | None = None
        self.database = ""
        self.unavailable = False

    def acquire(self) -> RunningStack | None:
        self.users += 1
        if self.stack is None and not self.unavailable:
            if not pg_reachable():
                self.unavailable = True
                return None
            self.database = create_database()
            home = Path(tempfile.mkdtemp(prefix="ima2-pg-home-"))
            self.stack = start_stack(
                home, extra_env={**STACK_ENV, "IMA2_DATABASE_URL": database_url(self.database)}
            )
        return self.stack

    def release(self) -> None:
        self.users -= 1
        if self.users == 0 and self.stack is not None:
            self.stack.stop()
            self.stack = None
            drop_database(self.database)


_PG = _SharedPgStack()


@pytest.fixture(scope="session", name="pg_stack")
def pg_stack_fixture() -> Iterator[RunningStack | None]:
    try:
        yield _PG.acquire()
    finally:
        _PG.release()


@dataclass
class Api:
    """One stack under test: its HTTP client, its data dir and its sandbox."""

    backend: str
    stack: RunningStack
    http: httpx.AsyncClient

    @property
    def generated(self) -> Path:
        return self.stack.home / "generated"

    @property
    def sandbox_url(self) -> str:
        return self.stack.sandbox_url

    def library(self) -> ServiceClient[library_pb2_grpc.LibraryServiceStub]:
        return ServiceClient(
            "library", self.stack.info["stack"]["services"]["library"], library_pb2_grpc.LibraryServiceStub
        )


@pytest.fixture(params=["sqlite", "postgres"], name="api")
async def api_fixture(request: pytest.FixtureRequest, stack: RunningStack) -> AsyncIterator[Api]:
    target = stack
    if request.param == "postgres":
        target = request.getfixturevalue("pg_stack")
        if target is None:
            pytest.skip("no PostgreSQL server reachable")
    async with httpx.AsyncClient(base_url=target.url, timeout=60) as http:
        yield Api(request.param, target, http)


def png_bytes(size: tuple[int, int] = (48, 32), color: tuple[int, int, int] | None = None) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color or tuple(secrets.randbelow(256) for _ in range(3))).save(out, "PNG")
    return out.getvalue()


async def import_image(api: Api, data: bytes | None = None, **headers: str) -> dict[str, Any]:
    response = await api.http.post(
        "/api/history/import-local",
        content=data or png_bytes(),
        headers={"content-type": "image/png", **headers},
    )
    assert response.status_code == 201, response.text
    item: dict[str, Any] = response.json()["item"]
    return item


async def save_media(api: Api, metadata: dict[str, Any], kind: str = "classic", filename: str = "") -> str:
    """Store a generated image the way svc-image does (SaveMedia over gRPC); returns its name."""
    client = api.library()
    try:
        request = library_pb2.SaveMediaRequest(
            data=png_bytes(), mime="image/png", kind=kind, filename=filename
        )
        request.metadata.update(metadata)
        return (await client.unary(client.stub.SaveMedia, request)).filename
    finally:
        await client.close()


def nested_error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, (response.status_code, response.text)
    body = response.json()
    assert isinstance(body["error"], dict), body
    assert body["error"]["code"] == code and body["error"]["message"], body
    return dict(body)
