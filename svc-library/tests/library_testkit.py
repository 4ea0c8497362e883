"""Helpers for the svc-library tests (a uniquely named module, so other members' conftest files cannot shadow it)."""

from __future__ import annotations

import io
import os
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
from PIL import Image

from ima2_common.grpc_client import ServiceClient
from ima2_common.settings import Settings
from ima2_library import server
from ima2_proto.v1 import library_pb2


def image_bytes(fmt: str = "PNG", size: tuple[int, int] = (640, 480), mode: str = "RGB") -> bytes:
    color: Any = (30, 120, 200) if mode == "RGB" else (30, 120, 200, 128)
    out = io.BytesIO()
    Image.new(mode, size, color).save(out, fmt)
    return out.getvalue()


MP4_BYTES = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00" * 64  # an MP4 header, no frames


def real_mp4(width: int = 640, height: int = 360, seconds: float = 1.0) -> bytes:
    """A decodable H.264 MP4 made by the ffmpeg that imageio-ffmpeg ships."""
    import tempfile

    from ima2_common import ffmpeg

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "clip.mp4"
        source = f"color=c=0x3070c0:s={width}x{height}:d={seconds}:r=4"
        ffmpeg.run_blocking(
            ["-f", "lavfi", "-i", source, "-c:v", "libx264", "-pix_fmt", "yuv420p", str(out)], 60
        )
        return out.read_bytes()


@dataclass
class Library:
    settings: Settings
    running: server.RunningLibrary
    client: ServiceClient
    stopped: bool = False

    @property
    def generated(self) -> Path:
        return self.settings.generated_path

    async def save(
        self,
        data: bytes | None = None,
        mime: str = "image/png",
        kind: str = "classic",
        metadata: dict[str, Any] | None = None,
        **fields: Any,
    ) -> library_pb2.MediaItem:
        request = library_pb2.SaveMediaRequest(
            data=data if data is not None else image_bytes(), mime=mime, kind=kind, **fields
        )
        if metadata:
            request.metadata.update(metadata)
        return await self.client.call("SaveMedia", request)

    async def history(self, **fields: Any) -> library_pb2.ListHistoryResponse:
        return await self.client.call("ListHistory", library_pb2.ListHistoryRequest(**fields))


StartLibrary = Callable[..., Awaitable[Library]]


async def stop(library: Library) -> None:
    if library.stopped:
        return
    library.stopped = True
    await library.client.close()
    await library.running.stop(grace=1.0)


PG_ADMIN_URL = os.environ.get("IMA2_TEST_DATABASE_URL", "postgresql://root@127.0.0.1:5432/test")


def _with_database(url: str, name: str) -> str:
    base, _, _query = url.partition("?")
    return base.rsplit("/", 1)[0] + "/" + name


@dataclass
class PgServer:
    """A database made for this test run; each test gets its own schema inside it."""

    admin_url: str
    name: str

    @property
    def url(self) -> str:
        return _with_database(self.admin_url, self.name)

    def fresh_schema_url(self) -> str:
        schema = f"t_{secrets.token_hex(6)}"
        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(f"CREATE SCHEMA {schema}")
        return f"{self.url}?options=-csearch_path%3D{schema}"

    def drop(self) -> None:
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {self.name} WITH (FORCE)")


def pg_server_or_none() -> PgServer | None:
    """Create a fresh database on the test server, or None when no server is reachable."""
    try:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=3) as conn:
            name = f"ima2_lib_{secrets.token_hex(6)}"
            conn.execute(f"CREATE DATABASE {name}")
    except psycopg.OperationalError:
        return None
    return PgServer(PG_ADMIN_URL, name)
