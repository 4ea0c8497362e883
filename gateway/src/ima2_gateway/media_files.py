"""Files of the library's folder as the gateway may read them: strictly inside it, never sidecars."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from ima2_common.errors import Ima2Error


def resolve_media(root: Path, name: str) -> tuple[Path, os.stat_result]:
    if not name or "\x00" in name or "\\" in name or name.startswith("/"):
        raise Ima2Error("INVALID_FILENAME")
    parts = name.split("/")
    if any(part in ("", ".", "..") for part in parts) or any(part.startswith(".") for part in parts):
        raise Ima2Error("INVALID_FILENAME")
    if name.lower().endswith(".json"):
        raise Ima2Error("NOT_FOUND", "Generated metadata is not public.")
    path = root / name
    try:
        info = os.lstat(path)
    except (FileNotFoundError, NotADirectoryError):
        raise Ima2Error("ASSET_NOT_FOUND") from None
    if not stat.S_ISREG(info.st_mode):
        raise Ima2Error("ASSET_NOT_FOUND")
    real = Path(os.path.realpath(path))
    if real.parent != Path(os.path.realpath(path.parent)) or not real.is_relative_to(os.path.realpath(root)):
        raise Ima2Error("ASSET_NOT_FOUND")
    return path, info
