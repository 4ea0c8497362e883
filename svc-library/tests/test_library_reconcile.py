"""Startup reconcile: files without rows, rows without files, thumbnails; BackfillThumbnails."""

from __future__ import annotations

import json
import os
import time

from library_testkit import Library, image_bytes, real_mp4, stop

from ima2_common.files import write_atomic, write_json_atomic
from ima2_library.media import xmp
from ima2_proto.v1 import common_pb2, library_pb2


async def test_file_and_sidecar_without_row_are_indexed_on_restart(start_library) -> None:
    lib = await start_library()
    await lib.save(metadata={"createdAt": 1000})
    generated = lib.generated
    await stop(lib)

    # As if a crash hit between the file+sidecar and the row.
    name = "1700000000123_0badcafe_0.png"
    write_atomic(generated / name, image_bytes("PNG", (400, 200)))
    write_json_atomic(
        generated / f"{name}.json",
        {
            "prompt": "orphan",
            "sessionId": "s_z",
            "requestId": "req-o",
            "createdAt": 1_700_000_000_123,
            "kind": "classic",
        },
    )
    lib = await start_library()
    await lib.running.wait_backfill()
    page = await lib.history()
    assert page.total == 2
    item = page.items[0]
    assert item.filename == name and item.created_at == 1_700_000_000_123
    assert item.metadata["prompt"] == "orphan" and item.metadata["filename"] == name
    assert (await lib.history(session_id="s_z")).total == 1
    assert (await lib.history(request_id="req-o")).total == 1
    # its thumbnail was backfilled and the row knows it
    assert (generated / "1700000000123_0badcafe_0.thumb.jpg").exists()
    assert (await lib.history()).items[0].thumb.endswith(".thumb.jpg")


async def test_file_without_sidecar_uses_xmp_then_stat(start_library) -> None:
    lib = await start_library()
    generated = lib.generated
    await stop(lib)
    with_xmp = xmp.embed(
        image_bytes("JPEG"), "image/jpeg", {"prompt": "from xmp", "createdAt": 1234, "sessionId": "s_x"}
    )
    write_atomic(generated / "imported-20240101000000-abcdef.jpeg", with_xmp)
    write_atomic(generated / "n_0123456789.webp", image_bytes("WEBP"))
    lib = await start_library()
    by_name = {i.filename: i for i in (await lib.history()).items}
    a = by_name["imported-20240101000000-abcdef.jpeg"]
    assert a.created_at == 1234 and a.metadata["prompt"] == "from xmp" and a.mime == "image/jpeg"
    b = by_name["n_0123456789.webp"]
    assert abs(b.created_at - time.time() * 1000) < 60_000
    node = await lib.client.call("GetNode", library_pb2.GetNodeRequest(node_id="n_0123456789"))
    assert node.url == "/generated/n_0123456789.webp"


async def test_deleted_file_disappears_and_comes_back(start_library) -> None:
    lib = await start_library()
    keep = await lib.save(metadata={"createdAt": 2000})
    gone = await lib.save(metadata={"createdAt": 1000})
    generated = lib.generated
    await stop(lib)
    moved = generated.parent / "moved.png"
    os.replace(generated / gone.filename, moved)

    lib = await start_library()
    page = await lib.history()
    assert [i.filename for i in page.items] == [keep.filename] and page.total == 1
    status = await lib.client.call("GetStorageStatus", common_pb2.Empty())
    assert status.generated_count == 1
    await stop(lib)

    os.replace(moved, generated / gone.filename)
    lib = await start_library()
    assert (await lib.history()).total == 2


async def test_missing_thumbnails_are_backfilled_at_start(start_library) -> None:
    lib = await start_library()
    item = await lib.save(image_bytes("PNG", (900, 900)))
    thumb = lib.generated / item.thumb.removeprefix("/generated/")
    await stop(lib)
    thumb.unlink()
    lib = await start_library(backfill=False)
    # the row no longer claims a thumbnail it does not have
    assert (await lib.history()).items[0].thumb == ""
    await stop(lib)
    lib = await start_library()
    await lib.running.wait_backfill()
    assert thumb.exists()
    assert (await lib.history()).items[0].thumb == item.thumb


async def test_backfill_rpc_counts(library: Library) -> None:
    a = await library.save()
    await library.save()
    video = await library.save(real_mp4(), "video/mp4", "video")
    await library.save(b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 32, "video/mp4", "video")  # no frames
    (library.generated / a.thumb.removeprefix("/generated/")).unlink()
    (library.generated / video.thumb.removeprefix("/generated/")).unlink()
    reply = await library.client.call("BackfillThumbnails", common_pb2.Empty())
    assert (reply.total, reply.created, reply.skipped, reply.failed) == (4, 2, 1, 1)
    assert (library.generated / video.thumb.removeprefix("/generated/")).exists()
    reply = await library.client.call("BackfillThumbnails", common_pb2.Empty())
    assert (reply.total, reply.created, reply.skipped, reply.failed) == (4, 0, 3, 1)


async def test_undecodable_file_counts_as_failed(library: Library) -> None:
    (library.generated / "1700000000000_00000000_0.png").write_bytes(b"\x89PNG\r\n\x1a\ngarbage")
    reply = await library.client.call("BackfillThumbnails", common_pb2.Empty())
    assert reply.failed == 1 and reply.created == 0


async def test_stale_temp_files_are_removed(start_library) -> None:
    lib = await start_library()
    generated = lib.generated
    await stop(lib)
    stale = generated / ".1700000000000_aa_0.png.x1y2.tmp"
    stale.write_bytes(b"partial")
    old = time.time() - 3600
    os.utime(stale, (old, old))
    fresh = generated / ".other.png.abcd.tmp"
    fresh.write_bytes(b"partial")
    lib = await start_library()
    assert not stale.exists() and fresh.exists()
    assert (await lib.history()).total == 0


async def test_sidecar_json_is_valid_after_restart(start_library) -> None:
    lib = await start_library()
    item = await lib.save(metadata={"prompt": "x"})
    await stop(lib)
    lib = await start_library()
    sidecar = json.loads((lib.generated / f"{item.filename}.json").read_text())
    assert sidecar["filename"] == item.filename
    assert (await lib.history()).items[0].filename == item.filename
