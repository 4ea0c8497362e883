"""The inputs of a video job: images from data URLs or generated files, and generated videos.

Generated files are read through svc-library (which resolves names strictly inside the data
dir), never from a path of ours; so a request can only ever reach files of the library.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ima2_common.errors import Ima2Error
from ima2_common.grpc_client import ServiceClient
from ima2_common.media import decode_base64, sniff_mime, strip_data_url, to_data_url
from ima2_common.structs import struct_to_dict
from ima2_proto.v1 import library_pb2

READ_TIMEOUT = 30.0
SAFE_NAME_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._-]{0,199}$")


@dataclass
class Image:
    data: bytes
    mime: str
    filename: str | None = None  # a generated file's name, None for inline images

    @property
    def data_url(self) -> str:
        return to_data_url(self.data, self.mime)


@dataclass
class GeneratedVideo:
    filename: str
    data: bytes
    sidecar: dict[str, Any]


def generated_name(value: str) -> str:
    """A bare generated file name (`/generated/` prefix allowed); separators and `..` are refused."""
    name = value.strip()
    name = name.removeprefix("/generated/").lstrip("/")
    if not SAFE_NAME_RE.match(name) or ".." in name:
        raise Ima2Error("INVALID_VIDEO_SOURCE", "Generated inputs must be plain file names of the library.")
    return name


def inline_image(value: str) -> Image:
    _, payload = strip_data_url(value.strip())
    try:
        data = decode_base64(payload)
    except ValueError:
        raise Ima2Error("INVALID_IMAGE", "An input image is not valid base64.") from None
    sniffed = sniff_mime(data)
    if sniffed is None or not sniffed.startswith("image/"):
        raise Ima2Error("INVALID_IMAGE", "Input images must be PNG, JPEG or WebP.")
    return Image(data=data, mime=sniffed)


class MediaReader:
    def __init__(self, library: ServiceClient) -> None:
        self.library = library

    async def _read(self, name: str) -> library_pb2.MediaBytes:
        return await self.library.call(
            "ReadMedia", library_pb2.ReadMediaRequest(filename=name), timeout=READ_TIMEOUT
        )

    async def image(self, value: str) -> Image:
        name = generated_name(value)
        if name.lower().endswith(".mp4"):
            raise Ima2Error("INVALID_VIDEO_SOURCE", "Use continueFromVideo to continue a generated video.")
        media = await self._read(name)
        mime = sniff_mime(media.data)
        if mime is None or not mime.startswith("image/"):
            raise Ima2Error("INVALID_VIDEO_SOURCE", "The generated file is not an image.")
        return Image(data=media.data, mime=mime, filename=name)

    async def video(self, value: str) -> GeneratedVideo:
        """A generated `.mp4` of the library with its sidecar (the lineage authority)."""
        name = generated_name(value)
        if not name.lower().endswith(".mp4"):
            raise Ima2Error("INVALID_VIDEO_SOURCE", "Generated video inputs must be .mp4 files.")
        media = await self._read(name)
        sidecar = struct_to_dict(media.metadata) if media.HasField("metadata") else {}
        return GeneratedVideo(filename=name, data=media.data, sidecar=sidecar)
