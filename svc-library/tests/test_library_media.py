"""SaveMedia / ReadMedia through a real gRPC channel."""

from __future__ import annotations

import io
import json
import logging
import os
import re
from urllib.parse import quote

import pytest
from library_testkit import MP4_BYTES, Library, image_bytes, real_mp4
from PIL import Image

from ima2_common.errors import Ima2Error
from ima2_library.media import xmp
from ima2_library.servicer import LibraryServicer
from ima2_proto.v1 import common_pb2, library_pb2, library_pb2_grpc

FORMATS = [("PNG", "image/png", "png"), ("JPEG", "image/jpeg", "jpeg"), ("WEBP", "image/webp", "webp")]
META = {
    "prompt": 'a red fox & "friends" <under> the moon — 狐',
    "revisedPrompt": "a fox",
    "sessionId": "s_01",
    "clientNodeId": "c1",
    "model": "gpt-image-1",
    "provider": "oauth",
    "quality": "medium",
    "size": "1024x1024",
    "usage": {"input_tokens": 12, "output_tokens": 34},
    "refsCount": 2,
    "webSearchCalls": 1,
    "elapsed": 3.5,
}


def no_temp_files(directory) -> bool:
    return not [name for name in os.listdir(directory) if name.endswith(".tmp")]


@pytest.mark.parametrize(("fmt", "mime", "ext"), FORMATS)
async def test_save_writes_file_sidecar_thumbnail_and_xmp(
    library: Library, fmt: str, mime: str, ext: str
) -> None:
    data = image_bytes(fmt, (1000, 500))
    item = await library.save(data, mime, "classic", META, index=3, request_id="req-1")

    assert re.fullmatch(rf"\d{{13}}_[0-9a-f]{{8}}_3\.{ext}", item.filename)
    assert item.url == f"/generated/{item.filename}"
    assert item.thumb == "/generated/" + item.filename.rsplit(".", 1)[0] + ".thumb.jpg"
    assert item.media_type == "image" and item.mime == mime
    path = library.generated / item.filename
    assert item.size_bytes == path.stat().st_size
    assert item.created_at > 1_700_000_000_000

    sidecar = json.loads((library.generated / f"{item.filename}.json").read_text())
    assert sidecar["prompt"] == META["prompt"]
    assert sidecar["usage"] == META["usage"]
    assert sidecar["elapsed"] == 3.5 and sidecar["refsCount"] == 2
    assert sidecar["requestId"] == "req-1" and sidecar["kind"] == "classic"
    assert sidecar["filename"] == item.filename and sidecar["mime"] == mime
    assert sidecar["mediaType"] == "image" and sidecar["createdAt"] == item.created_at
    returned = dict(item.metadata)
    assert returned["prompt"] == META["prompt"] and returned["filename"] == item.filename

    with Image.open(library.generated / item.thumb.removeprefix("/generated/")) as thumb:
        assert thumb.format == "JPEG" and thumb.size == (320, 160)
    with Image.open(path) as saved:
        assert saved.size == (1000, 500) and saved.format == fmt

    embedded, source = xmp.read_embedded(path.read_bytes())
    assert source == "xmp"
    assert embedded is not None
    assert embedded["schema"] == "ima2.generation.v1" and embedded["app"] == "ima2-gen"
    for key in (
        "prompt",
        "revisedPrompt",
        "sessionId",
        "clientNodeId",
        "model",
        "provider",
        "size",
        "quality",
    ):
        assert embedded[key] == META[key]
    assert embedded["requestId"] == "req-1" and embedded["createdAt"] == item.created_at
    assert embedded["refsCount"] == 2 and embedded["webSearchCalls"] == 1
    assert "usage" not in embedded  # nested objects stay in the sidecar
    assert no_temp_files(library.generated)


async def test_embedding_keeps_the_pixels(library: Library) -> None:
    original = image_bytes("JPEG", (64, 48))
    item = await library.save(original, "image/jpeg", metadata={"prompt": "p"})
    with Image.open(library.generated / item.filename) as saved, Image.open(io.BytesIO(original)) as src:
        assert saved.tobytes() == src.tobytes()


async def test_small_images_are_not_enlarged(library: Library) -> None:
    item = await library.save(image_bytes("PNG", (100, 40), "RGBA"))
    with Image.open(library.generated / item.thumb.removeprefix("/generated/")) as thumb:
        assert thumb.size == (100, 40) and thumb.mode == "RGB"


@pytest.mark.parametrize(
    ("kind", "extra", "pattern"),
    [
        ("edit", {}, r"\d{13}_[0-9a-f]{8}\.png"),
        ("multimode", {"index": 2}, r"\d{13}_[0-9a-f]{8}_multimode_2\.png"),
        ("node", {}, r"n_[0-9a-f]{10}\.png"),
        ("imported", {}, r"imported-\d{14}-[0-9a-f]{6}\.png"),
        ("canvas", {}, r"canvas-1700000000000_abcd_0-\d{14}-[0-9a-f]{6}\.png"),
    ],
)
async def test_names_per_kind(library: Library, kind: str, extra: dict, pattern: str) -> None:
    metadata = {"canvasSourceFilename": "1700000000000_abcd_0.png"} if kind == "canvas" else None
    item = await library.save(kind=kind, metadata=metadata, **extra)
    assert re.fullmatch(pattern, item.filename), item.filename
    if kind == "node":
        assert item.metadata["nodeId"] == item.filename.removesuffix(".png")


async def test_video_is_saved_with_a_first_frame_thumbnail(library: Library) -> None:
    clip = real_mp4(640, 360)
    item = await library.save(clip, "video/mp4", "video", {"prompt": "waves"})
    assert re.fullmatch(r"\d{13}_[0-9a-f]{8}\.mp4", item.filename)
    assert item.media_type == "video" and item.mime == "video/mp4"
    assert item.thumb == f"/generated/{item.filename}.thumb.jpg"
    assert (library.generated / f"{item.filename}.json").exists()
    assert (library.generated / item.filename).read_bytes() == clip
    with Image.open(library.generated / f"{item.filename}.thumb.jpg") as thumb:
        assert thumb.format == "JPEG" and thumb.size == (320, 180)


async def test_undecodable_video_is_saved_without_thumbnail(library: Library) -> None:
    item = await library.save(MP4_BYTES, "video/mp4", "video", {"prompt": "waves"})
    assert item.media_type == "video" and item.thumb == ""
    assert (library.generated / item.filename).read_bytes() == MP4_BYTES


async def test_caller_filename_for_nodes(library: Library) -> None:
    item = await library.save(kind="node", filename="n_0123456789", metadata={"nodeId": "n_0123456789"})
    assert item.filename == "n_0123456789.png"
    with pytest.raises(Ima2Error) as exists:
        await library.save(kind="node", filename="n_0123456789.png")
    assert exists.value.code == "ASSET_EXISTS"
    for bad in ("../n_1.png", "n_1.jpeg", ".hidden", "a/b", "x.json", "x.thumb.jpg", "a\x00b"):
        with pytest.raises(Ima2Error) as err:
            await library.save(kind="node", filename=bad)
        assert err.value.code == "INVALID_FILENAME", bad


async def test_the_bytes_decide_the_type(library: Library) -> None:
    item = await library.save(image_bytes("JPEG"), "image/png")
    assert item.filename.endswith(".jpeg") and item.mime == "image/jpeg"
    for data, mime in ((b"", "image/png"), (b"not an image", "image/png"), (image_bytes(), "video/mp4")):
        with pytest.raises(Ima2Error) as err:
            await library.save(data, mime)
        assert err.value.code == "INVALID_IMAGE"
    with pytest.raises(Ima2Error) as err:
        await library.save(kind="bogus")
    assert err.value.code == "INVALID_REQUEST"
    assert no_temp_files(library.generated)


async def test_corrupt_image_is_saved_raw(library: Library, caplog: pytest.LogCaptureFixture) -> None:
    broken = image_bytes()[:60]  # a PNG signature and IHDR, then nothing
    with caplog.at_level(logging.WARNING, logger="ima2.library"):
        item = await library.save(broken)
    assert "metadata_embed_skipped" in [r.getMessage() for r in caplog.records]
    assert (library.generated / item.filename).read_bytes() == broken
    assert item.thumb == ""
    assert (library.generated / f"{item.filename}.json").exists()


async def test_read_media_returns_bytes_mime_and_metadata(library: Library) -> None:
    item = await library.save(
        image_bytes("WEBP"), "image/webp", metadata={"prompt": "hello", "nodeId": "n_x"}
    )
    reply = await library.client.call("ReadMedia", library_pb2.ReadMediaRequest(filename=item.filename))
    assert reply.data == (library.generated / item.filename).read_bytes()
    assert reply.mime == "image/webp"
    assert reply.metadata["prompt"] == "hello" and reply.metadata["filename"] == item.filename


async def test_node_names_with_special_characters_are_encoded(library: Library) -> None:
    with pytest.raises(Ima2Error):
        await library.save(kind="node", filename="n a")
    item = await library.save(kind="node", filename="n_a-b.c_d")
    assert item.url == "/generated/" + quote(item.filename, safe="")


async def test_get_node(library: Library) -> None:
    item = await library.save(kind="node", metadata={"prompt": "root", "sessionId": "s1"})
    node_id = item.filename.removesuffix(".png")
    node = await library.client.call("GetNode", library_pb2.GetNodeRequest(node_id=node_id))
    assert node.node_id == node_id and node.url == item.url
    assert node.meta["prompt"] == "root" and node.meta["sessionId"] == "s1"
    for missing in ("n_ffffffffff", ""):
        with pytest.raises(Ima2Error) as err:
            await library.client.call("GetNode", library_pb2.GetNodeRequest(node_id=missing))
        assert err.value.code == "NODE_NOT_FOUND"
    (library.generated / item.filename).unlink()
    with pytest.raises(Ima2Error) as err:
        await library.client.call("GetNode", library_pb2.GetNodeRequest(node_id=node_id))
    assert err.value.code == "NODE_NOT_FOUND"


async def test_storage_status(start_library) -> None:
    lib = await start_library()
    status = await lib.client.call("GetStorageStatus", common_pb2.Empty())
    assert status.state == "not_found" and status.message_kind == "apology" and status.generated_count == 0
    assert status.generated_dir_label.endswith("home/generated")
    assert status.override_config_dir and not status.override_generated_dir
    await lib.save()
    status = await lib.client.call("GetStorageStatus", common_pb2.Empty())
    assert status.state == "ok" and status.message_kind == "ok" and status.generated_count == 1
    assert status.legacy_files_found == 0


def test_every_rpc_is_implemented() -> None:
    service = library_pb2.DESCRIPTOR.services_by_name["LibraryService"]
    missing = [
        m.name
        for m in service.methods
        if getattr(LibraryServicer, m.name) is getattr(library_pb2_grpc.LibraryServiceServicer, m.name)
    ]
    assert missing == []


async def test_health_is_serving(library: Library) -> None:
    assert await library.client.healthy()
