"""The `<file>.json` sidecar: the full metadata object of a media file."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from ima2_common.files import write_json_atomic
from ima2_common.logging import log_fields
from ima2_library.media.mime import SIDECAR_SUFFIX

log = logging.getLogger("ima2.library.sidecar")

MAX_SIDECAR_BYTES = 4 * 1024 * 1024


def sidecar_name(filename: str) -> str:
    return filename + SIDECAR_SUFFIX


def legacy_sidecar_name(filename: str) -> str:
    """The reference also reads `<base>.json` (`foo.png` → `foo.json`)."""
    return filename.rsplit(".", 1)[0] + SIDECAR_SUFFIX


def write_sidecar(generated_dir: Path, filename: str, metadata: dict[str, Any]) -> None:
    write_json_atomic(generated_dir / sidecar_name(filename), metadata)


def read_sidecar(generated_dir: Path, filename: str, names: set[str] | None = None) -> dict[str, Any] | None:
    """The sidecar object, or None when absent or unreadable.

    `names` (a directory listing) avoids a failed open per candidate when given.
    """
    for candidate in (sidecar_name(filename), legacy_sidecar_name(filename)):
        if names is not None and candidate not in names:
            continue
        path = generated_dir / candidate
        try:
            if path.is_symlink():
                continue
            with path.open("rb") as handle:
                raw = handle.read(MAX_SIDECAR_BYTES + 1)
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            continue
        except OSError:
            continue
        if len(raw) > MAX_SIDECAR_BYTES:
            log.warning("sidecar_too_large", extra=log_fields(filename=filename))
            continue
        try:
            value = json.loads(raw)
        except ValueError:
            log.warning("sidecar_unreadable", extra=log_fields(filename=filename))
            continue
        if isinstance(value, dict):
            return value
    return None
