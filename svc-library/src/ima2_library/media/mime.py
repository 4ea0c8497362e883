"""Supported media types: MIME ⇄ extension, and sniffing the real type from the bytes."""

from __future__ import annotations

IMAGE_MIMES = ("image/png", "image/jpeg", "image/webp")
VIDEO_MIMES = ("video/mp4",)

# The extension a new file gets (the reference's `format` values: png | jpeg | webp).
EXT_FOR_MIME = {"image/png": "png", "image/jpeg": "jpeg", "image/webp": "webp", "video/mp4": "mp4"}
# Every extension accepted for an existing or caller-named file.
MIME_FOR_EXT = {
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "webp": "image/webp",
    "mp4": "video/mp4",
}
MIME_ALIASES = {"image/jpg": "image/jpeg", "image/pjpeg": "image/jpeg", "image/x-png": "image/png"}

THUMB_SUFFIX = ".thumb.jpg"
SIDECAR_SUFFIX = ".json"


def normalize_mime(mime: str) -> str:
    base = (mime or "").split(";", 1)[0].strip().lower()
    return MIME_ALIASES.get(base, base)


def sniff_mime(data: bytes) -> str | None:
    """The media type the bytes really are, or None when unsupported."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if len(data) >= 12 and data[4:8] == b"ftyp":
        return "video/mp4"
    return None


def media_type_for(mime: str) -> str:
    return "video" if mime.startswith("video/") else "image"


def extension_of(filename: str) -> str:
    _, dot, ext = filename.rpartition(".")
    return ext.lower() if dot else ""


def mime_for_filename(filename: str) -> str | None:
    return MIME_FOR_EXT.get(extension_of(filename))


def is_thumbnail_name(filename: str) -> bool:
    return filename.lower().endswith(THUMB_SUFFIX)


def is_media_name(filename: str) -> bool:
    """A listable media file: a supported extension, not hidden, not a thumbnail or sidecar."""
    return (
        not filename.startswith(".")
        and not is_thumbnail_name(filename)
        and mime_for_filename(filename) is not None
    )
