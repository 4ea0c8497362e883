"""Reference images as providers send them: bytes, a sniffed MIME and data URLs."""

from __future__ import annotations

from dataclasses import dataclass

from ima2_common.errors import Ima2Error
from ima2_common.media import EXTENSIONS, decode_base64, sniff_mime, strip_data_url, to_data_url


@dataclass(frozen=True)
class Reference:
    data: bytes
    mime: str  # sniffed from the bytes (png/jpeg/webp), else the declared one, else image/png

    @property
    def data_url(self) -> str:
        return to_data_url(self.data, self.mime)

    @property
    def extension(self) -> str:
        return EXTENSIONS.get(self.mime, "png")


def load(value: str) -> Reference:
    declared, payload = strip_data_url(value)
    try:
        data = decode_base64(payload)
    except ValueError:
        raise Ima2Error("REF_NOT_BASE64") from None
    if not data:
        raise Ima2Error("REF_EMPTY")
    return Reference(data, sniff_mime(data) or declared or "image/png")


def load_all(values: list[str]) -> list[Reference]:
    return [load(value) for value in values]
