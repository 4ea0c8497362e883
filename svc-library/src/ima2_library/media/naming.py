"""File names per media kind (reference §2.2), and validation of caller-chosen names."""

from __future__ import annotations

import re
import secrets
from datetime import UTC, datetime

from ima2_common.errors import Ima2Error
from ima2_library.media.mime import EXT_FOR_MIME, MIME_FOR_EXT, SIDECAR_SUFFIX, THUMB_SUFFIX, extension_of

KINDS = ("classic", "edit", "multimode", "node", "video", "canvas", "imported")
# Reference kind spellings that map onto ours.
KIND_ALIASES = {"generate": "classic", "multimode-image": "multimode", "import": "imported", "": "classic"}

CALLER_NAME_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._-]{0,199}$")
_SOURCE_BASE_RE = re.compile(r"[^A-Za-z0-9_-]+")
_MAX_SOURCE_BASE = 80


def normalize_kind(kind: str) -> str:
    value = (kind or "").strip().lower()
    value = KIND_ALIASES.get(value, value)
    if value not in KINDS:
        raise Ima2Error("INVALID_REQUEST", f"Unknown media kind: {value[:40]!r}.")
    return value


def _hex(nbytes: int) -> str:
    return secrets.token_hex(nbytes)


def _utc_stamp(created_at_ms: int) -> str:
    return datetime.fromtimestamp(created_at_ms / 1000, tz=UTC).strftime("%Y%m%d%H%M%S")


def source_base(source_filename: str) -> str:
    """`foo.png` → `foo`, reduced to a safe slug for canvas names."""
    base = source_filename.rsplit("/", 1)[-1]
    if "." in base:
        base = base.rsplit(".", 1)[0]
    if base.lower().endswith(".thumb"):
        base = base[: -len(".thumb")]
    slug = _SOURCE_BASE_RE.sub("-", base).strip("-_")[:_MAX_SOURCE_BASE]
    return slug or "image"


def generated_name(
    kind: str, mime: str, created_at_ms: int, index: int = 0, source_filename: str = ""
) -> str:
    """A fresh name for `kind`; the extension follows the MIME type."""
    ext = EXT_FOR_MIME[mime]
    ms = int(created_at_ms)
    if kind == "classic":
        return f"{ms}_{_hex(4)}_{max(index, 0)}.{ext}"
    if kind == "edit":
        return f"{ms}_{_hex(4)}.{ext}"
    if kind == "multimode":
        return f"{ms}_{_hex(4)}_multimode_{max(index, 0)}.{ext}"
    if kind == "node":
        return f"n_{_hex(5)}.{ext}"
    if kind == "video":
        return f"{ms}_{_hex(4)}.{ext}"
    if kind == "imported":
        return f"imported-{_utc_stamp(ms)}-{_hex(3)}.{ext}"
    if kind == "canvas":
        return f"canvas-{source_base(source_filename)}-{_utc_stamp(ms)}-{_hex(3)}.{ext}"
    raise Ima2Error("INVALID_REQUEST", f"Unknown media kind: {kind[:40]!r}.")


def caller_name(filename: str, mime: str) -> str:
    """Validate a caller-chosen name (a node id, with or without extension) for `mime`.

    A name without a media extension gets the MIME's extension; one with an extension must
    match the MIME type. Hidden names, separators, `..`, thumbnails and sidecars are refused.
    """
    name = filename.strip()
    if (
        not CALLER_NAME_RE.match(name)
        or ".." in name
        or name.lower().endswith((THUMB_SUFFIX, SIDECAR_SUFFIX, ".tmp"))
    ):
        raise Ima2Error("INVALID_FILENAME")
    ext = extension_of(name)
    if ext in MIME_FOR_EXT:
        if MIME_FOR_EXT[ext] != mime:
            raise Ima2Error("INVALID_FILENAME", "The file extension does not match the media type.")
        return name
    return f"{name}.{EXT_FOR_MIME[mime]}"


def node_id_from_name(filename: str) -> str:
    """`n_0123456789.png` → `n_0123456789` (a node file's name is its node id)."""
    return filename.rsplit(".", 1)[0]


_KIND_PATTERNS = (
    (re.compile(r"^n_[0-9a-f]{10}\.[a-z0-9]+$"), "node"),
    (re.compile(r"^imported-"), "imported"),
    (re.compile(r"^canvas-"), "canvas"),
    (re.compile(r"^\d+_[0-9a-f]+_multimode_\d+\.[a-z0-9]+$"), "multimode"),
    (re.compile(r"^\d+_[0-9a-f]+_\d+\.[a-z0-9]+$"), "classic"),
    (re.compile(r"^\d+_[0-9a-f]+\.mp4$"), "video"),
    (re.compile(r"^\d+_[0-9a-f]+\.[a-z0-9]+$"), "edit"),
)


def infer_kind(filename: str) -> str:
    """Best guess of the kind from a name alone (files found without metadata)."""
    lowered = filename.lower()
    for pattern, kind in _KIND_PATTERNS:
        if pattern.match(lowered):
            return kind
    return ""
