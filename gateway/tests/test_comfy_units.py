"""ComfyExporter without a stack: which ComfyUI URLs count as local, file names that are refused,
and an unreachable or silent ComfyUI (a closed port; a socket that never answers)."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from PIL import Image

from ima2_common.errors import Ima2Error
from ima2_common.net import free_port
from ima2_gateway.comfy import ComfyExporter, check_filename, comfy_origin, upload_name


@pytest.mark.parametrize(
    ("url", "origin"),
    [
        ("http://127.0.0.1:8188", "http://127.0.0.1:8188"),
        ("http://localhost:8188/", "http://localhost:8188"),
        ("http://[::1]:8188", "http://[::1]:8188"),
        ("http://127.0.0.1:9000/comfy", "http://127.0.0.1:9000/comfy"),
    ],
)
def test_local_urls(url: str, origin: str) -> None:
    assert comfy_origin(url) == origin


@pytest.mark.parametrize(
    "url",
    [
        "",
        "https://127.0.0.1:8188",
        "http://127.0.0.1",
        "http://example.com:8188",
        "http://10.0.0.5:8188",
        "http://2130706433:8188",
        "http://0x7f.0.0.1:8188",
        "http://127.1:8188",
        "http://user:pw@127.0.0.1:8188",
        "http://127.0.0.1:8188/?x=1",
        "http://127.0.0.1:8188/#f",
        "http://127.0.0.1:99999",
        "ftp://127.0.0.1:8188",
    ],
)
def test_urls_that_are_not_local(url: str) -> None:
    with pytest.raises(Ima2Error) as caught:
        comfy_origin(url)
    assert caught.value.code == "COMFY_URL_NOT_LOCAL" and caught.value.status == 400


@pytest.mark.parametrize(
    "name", ["", " ", "../a.png", "a/b.png", "a\\b.png", "%2Fetc%2Fpasswd", "file:x.png", "a\x00.png"]
)
def test_bad_filenames(name: str) -> None:
    with pytest.raises(Ima2Error) as caught:
        check_filename(name)
    assert caught.value.code == "COMFY_IMAGE_INVALID"


def test_upload_names_are_safe() -> None:
    assert upload_name("my pic (1).png", "png", 5) == "ima2_5_my_pic_1.png"
    assert upload_name("...png", "jpg", 7) == "ima2_7_image.jpg"


@pytest.fixture
def image_dir(tmp_path: Path) -> Path:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(buffer, "PNG")
    (tmp_path / "a.png").write_bytes(buffer.getvalue())
    return tmp_path


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as client:
        yield client


async def test_unreachable_comfy(image_dir: Path, http: httpx.AsyncClient) -> None:
    exporter = ComfyExporter(image_dir, f"http://127.0.0.1:{free_port()}", http)
    with pytest.raises(Ima2Error) as caught:
        await exporter.export("a.png")
    assert (caught.value.code, caught.value.status) == ("COMFY_UNREACHABLE", 502)


async def test_silent_comfy_times_out(image_dir: Path, http: httpx.AsyncClient) -> None:
    accepted: list[asyncio.StreamWriter] = []

    async def never_answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        accepted.append(writer)

    server = await asyncio.start_server(never_answer, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        exporter = ComfyExporter(image_dir, f"http://127.0.0.1:{port}", http, timeout_seconds=0.5)
        with pytest.raises(Ima2Error) as caught:
            await exporter.export("a.png")
        assert (caught.value.code, caught.value.status) == ("COMFY_TIMEOUT", 504)
    finally:
        for writer in accepted:
            writer.close()
        server.close()
        await server.wait_closed()


async def test_not_found_and_not_an_image(image_dir: Path, http: httpx.AsyncClient) -> None:
    (image_dir / "notes.png").write_text("not an image")
    exporter = ComfyExporter(image_dir, f"http://127.0.0.1:{free_port()}", http)
    for name, code in (("missing.png", "COMFY_IMAGE_NOT_FOUND"), ("notes.png", "COMFY_IMAGE_INVALID")):
        with pytest.raises(Ima2Error) as caught:
            await exporter.export(name)
        assert caught.value.code == code
    small = ComfyExporter(image_dir, f"http://127.0.0.1:{free_port()}", http, max_bytes=10)
    with pytest.raises(Ima2Error) as caught:
        await small.export("a.png")
    assert caught.value.code == "COMFY_IMAGE_INVALID" and "too large" in caught.value.message
