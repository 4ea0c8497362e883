"""ReadMedia only ever serves regular media files directly inside the generated dir."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from library_testkit import Library

from ima2_common.errors import Ima2Error
from ima2_library.media.paths import check_name
from ima2_proto.v1 import library_pb2


async def read(library: Library, filename: str) -> library_pb2.MediaBytes:
    return await library.client.unary(
        library.client.stub.ReadMedia, library_pb2.ReadMediaRequest(filename=filename)
    )


async def code_of(library: Library, filename: str) -> str:
    with pytest.raises(Ima2Error) as err:
        await read(library, filename)
    return err.value.code


@pytest.mark.parametrize(
    "name",
    [
        "",
        "../x",
        "/etc/passwd",
        "a/../../b",
        "..",
        ".",
        "a\x00b.png",
        "x\\..\\y.png",
        ".hidden.png",
        "../generated/a.png",
    ],
)
async def test_bad_names_are_invalid(library: Library, name: str) -> None:
    assert await code_of(library, name) == "INVALID_FILENAME"


async def test_absent_files_and_non_media_are_not_found(library: Library) -> None:
    item = await library.save()
    assert await code_of(library, "1700000000000_deadbeef_0.png") == "ASSET_NOT_FOUND"
    # sidecars and thumbnails exist but are not media
    assert await code_of(library, f"{item.filename}.json") == "ASSET_NOT_FOUND"
    assert await code_of(library, item.thumb.removeprefix("/generated/")) == "ASSET_NOT_FOUND"
    assert await code_of(library, "passwd") == "ASSET_NOT_FOUND"


async def test_symlink_pointing_outside_is_refused(library: Library, tmp_path: Path) -> None:
    secret = tmp_path / "secret.png"
    secret.write_bytes(b"\x89PNG\r\n\x1a\nsecret")
    os.symlink(secret, library.generated / "link.png")
    assert await code_of(library, "link.png") == "INVALID_FILENAME"
    item = await library.save()
    os.symlink(library.generated / item.filename, library.generated / "inside.png")
    assert await code_of(library, "inside.png") == "INVALID_FILENAME"


async def test_directory_is_not_found(library: Library) -> None:
    (library.generated / "folder.png").mkdir()
    assert await code_of(library, "folder.png") == "ASSET_NOT_FOUND"


async def test_fifo_is_not_found(library: Library) -> None:
    os.mkfifo(library.generated / "pipe.png")
    assert await code_of(library, "pipe.png") == "ASSET_NOT_FOUND"


async def test_valid_read_still_works(library: Library) -> None:
    item = await library.save()
    reply = await read(library, item.filename)
    assert reply.mime == "image/png" and reply.data.startswith(b"\x89PNG")


def test_check_name_accepts_plain_names() -> None:
    assert check_name("1700000000000_abcdef12_0.png") == "1700000000000_abcdef12_0.png"
    with pytest.raises(Ima2Error):
        check_name("a" * 300)
