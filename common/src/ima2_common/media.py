"""Image bytes helpers: MIME sniffing, base64 and data URLs."""

from __future__ import annotations

import base64
import binascii

EXTENSIONS = {"image/png": "png", "image/jpeg": "jpg", "image/webp": "webp", "video/mp4": "mp4"}


def sniff_mime(data: bytes) -> str | None:
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data[4:8] == b"ftyp":
        return "video/mp4"
    return None


def strip_data_url(value: str) -> tuple[str | None, str]:
    """Split `data:<mime>;base64,<b64>` into (mime, b64); plain base64 gives (None, value)."""
    if value.startswith("data:"):
        header, _, payload = value.partition(",")
        mime = header[5:].split(";", 1)[0] or None
        return mime, payload
    return None, value


def decode_base64(value: str) -> bytes:
    """Decode base64 (standard or url-safe, padding optional); raises ValueError."""
    cleaned = "".join(value.split())
    cleaned += "=" * (-len(cleaned) % 4)
    try:
        if "-" in cleaned or "_" in cleaned:
            return base64.urlsafe_b64decode(cleaned)
        return base64.b64decode(cleaned, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError("not base64") from exc


def to_data_url(data: bytes, mime: str) -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode()}"
