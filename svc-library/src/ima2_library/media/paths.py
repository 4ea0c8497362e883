"""Resolve a file name from a request strictly inside the generated dir.

Rules: the name is one path component (no separators, no NUL, not `.`/`..`, not hidden,
not absolute) → else INVALID_FILENAME. The entry must exist → else ASSET_NOT_FOUND. A symlink
is refused (INVALID_FILENAME: it could point anywhere); a directory or other non-regular file
is ASSET_NOT_FOUND. Reads open with O_NOFOLLOW and re-check the opened file, so swapping the
entry for a link between the check and the read does not escape either.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from ima2_common.errors import Ima2Error
from ima2_library.media.mime import is_media_name

MAX_NAME_LENGTH = 255


def check_name(filename: str) -> str:
    """The name itself is a safe single component (no filesystem access)."""
    if (
        not filename
        or len(filename) > MAX_NAME_LENGTH
        or "\x00" in filename
        or "/" in filename
        or "\\" in filename
        or filename in (".", "..")
        or filename.startswith(".")
        or os.path.isabs(filename)
    ):
        raise Ima2Error("INVALID_FILENAME")
    return filename


def resolve_media_path(generated_dir: Path, filename: str) -> Path:
    """The path of an existing regular media file directly inside `generated_dir`."""
    check_name(filename)
    if not is_media_name(filename):
        # Sidecars, thumbnails and anything else are not media.
        raise Ima2Error("ASSET_NOT_FOUND")
    path = generated_dir / filename
    if path.parent != generated_dir:
        raise Ima2Error("INVALID_FILENAME")
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        raise Ima2Error("ASSET_NOT_FOUND") from None
    except OSError:
        raise Ima2Error("INVALID_FILENAME") from None
    if stat.S_ISLNK(info.st_mode):
        raise Ima2Error("INVALID_FILENAME", "Symbolic links are not served.")
    if not stat.S_ISREG(info.st_mode):
        raise Ima2Error("ASSET_NOT_FOUND")
    return path


def read_media_file(generated_dir: Path, filename: str) -> tuple[Path, bytes]:
    """Read a media file's bytes after `resolve_media_path`, refusing links at open time too."""
    path = resolve_media_path(generated_dir, filename)
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise Ima2Error("ASSET_NOT_FOUND") from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise Ima2Error("INVALID_FILENAME", "Symbolic links are not served.") from None
        raise Ima2Error("ASSET_NOT_FOUND") from None
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            raise Ima2Error("ASSET_NOT_FOUND")
        return path, handle.read()
