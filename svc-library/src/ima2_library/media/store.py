"""The media file store: the generated dir's files, sidecars and thumbnails (no database).

A save writes, in this order and each atomically (temp file + rename): the media file (with
XMP metadata spliced in, best effort), its `<file>.json` sidecar, and its thumbnail. The
index row comes after, from the caller; a crash in between leaves a file that the startup
reconcile indexes from its sidecar.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import re
import stat
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ima2_common.errors import Ima2Error
from ima2_common.files import write_atomic
from ima2_common.logging import log_fields
from ima2_library.media import xmp
from ima2_library.media.mime import (
    IMAGE_MIMES,
    is_media_name,
    media_type_for,
    mime_for_filename,
)
from ima2_library.media.paths import check_name, read_media_file, resolve_media_path
from ima2_library.media.sidecar import read_sidecar, sidecar_name, write_sidecar
from ima2_library.media.thumbnails import ThumbnailError, can_thumbnail, thumb_name, write_thumbnail

log = logging.getLogger("ima2.library.store")

TEMP_SUFFIX = ".tmp"
TRASH_DIR = ".trash"
_TRASH_ID_RE = re.compile(r"^(\d{10,16})(?:-\d+)?_(.+)$")


@dataclass(slots=True)
class StoredFile:
    filename: str
    mime: str
    media_type: str
    size_bytes: int
    created_at: int
    metadata: dict[str, Any]
    has_thumb: bool
    embedded: bool


@dataclass(slots=True)
class DirectoryScan:
    """One listing of the generated dir."""

    names: set[str] = field(default_factory=set)  # every regular file
    media: list[str] = field(default_factory=list)  # listable media files
    temps: list[str] = field(default_factory=list)  # leftovers of interrupted atomic writes


class MediaFileStore:
    def __init__(self, generated_dir: Path, app_version: str = "") -> None:
        self.dir = generated_dir
        self.app_version = app_version

    def ensure_dir(self) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)

    def exists(self, filename: str) -> bool:
        return os.path.lexists(self.dir / filename)

    # Writing

    def write_new(self, filename: str, data: bytes, mime: str, sidecar: dict[str, Any]) -> StoredFile:
        """File, then sidecar, then thumbnail. Blocking: call from a worker thread."""
        self.ensure_dir()
        path = self.dir / filename
        embedded = False
        payload = data
        if mime in IMAGE_MIMES:
            try:
                payload = xmp.embed(data, mime, sidecar, self.app_version or None)
                embedded = True
            except xmp.MetadataEmbedError as exc:
                log.warning(
                    "metadata_embed_skipped", extra=log_fields(filename=filename, mime=mime, reason=str(exc))
                )
        try:
            write_atomic(path, payload)
        except OSError as exc:
            raise Ima2Error("STORAGE_FAILED") from exc
        try:
            write_sidecar(self.dir, filename, sidecar)
        except (OSError, TypeError, ValueError) as exc:
            self.remove(filename)
            raise Ima2Error("STORAGE_FAILED") from exc
        has_thumb = self._thumbnail(filename, payload)
        return StoredFile(
            filename=filename,
            mime=mime,
            media_type=media_type_for(mime),
            size_bytes=len(payload),
            created_at=int(sidecar.get("createdAt") or 0),
            metadata=sidecar,
            has_thumb=has_thumb,
            embedded=embedded,
        )

    def _thumbnail(self, filename: str, data: bytes | None = None) -> bool:
        if not can_thumbnail(filename):
            return False
        try:
            write_thumbnail(self.dir, filename, data)
        except (ThumbnailError, OSError) as exc:
            log.warning("thumbnail_failed", extra=log_fields(filename=filename, reason=str(exc)))
            return False
        return True

    def make_thumbnail(self, filename: str) -> bool:
        """Render the thumbnail of an existing file (backfill). False on failure."""
        return self._thumbnail(filename)

    # Trash and deletion (names are resolved strictly inside the folder; links are refused)

    @property
    def trash_dir(self) -> Path:
        return self.dir / TRASH_DIR

    def _regular(self, path: Path) -> bool:
        try:
            return stat.S_ISREG(os.lstat(path).st_mode)
        except OSError:
            return False

    def trash(self, filename: str, now_ms: int) -> str:
        """Move a media file and its sidecar to `.trash/<ms>_<name>` (+ `.json`); returns the trash id.

        The media file moves first: once it is gone from the folder the asset is deleted, and a
        crash after that leaves at most a stray sidecar, never a half-deleted listing."""
        path = resolve_media_path(self.dir, filename)
        self.trash_dir.mkdir(parents=True, exist_ok=True)
        trash_id = f"{now_ms}_{filename}"
        suffix = 0
        while os.path.lexists(self.trash_dir / trash_id) or os.path.lexists(
            self.trash_dir / (trash_id + ".json")
        ):
            suffix += 1
            trash_id = f"{now_ms}-{suffix}_{filename}"
        os.rename(path, self.trash_dir / trash_id)
        sidecar = self.dir / sidecar_name(filename)
        if self._regular(sidecar):
            with contextlib.suppress(OSError):
                os.rename(sidecar, self.trash_dir / (trash_id + ".json"))
        self._unlink_thumbnail(filename)
        return trash_id

    def restore(self, trash_id: str, filename: str) -> None:
        """Move a trashed file (and sidecar) back under its name; never overwrites a file."""
        check_name(filename)
        try:
            check_name(trash_id)
        except Ima2Error:
            raise Ima2Error("TRASH_NOT_FOUND") from None
        match = _TRASH_ID_RE.match(trash_id)
        if match is None or match.group(2) != filename or trash_id.endswith(".json"):
            raise Ima2Error("TRASH_NOT_FOUND", "No trashed copy of that file under that trash id.")
        source = self.trash_dir / trash_id
        if not self._regular(source):
            raise Ima2Error("TRASH_NOT_FOUND")
        target = self.dir / filename
        try:
            os.link(source, target)  # fails when the name is taken: never clobbers
        except FileExistsError:
            raise Ima2Error("ASSET_EXISTS") from None
        except OSError as exc:
            if exc.errno not in (errno.EPERM, errno.EXDEV, errno.ENOTSUP, errno.EMLINK):
                raise
            if os.path.lexists(target):
                raise Ima2Error("ASSET_EXISTS") from None
            os.rename(source, target)
        else:
            os.unlink(source)
        trashed_sidecar = self.trash_dir / (trash_id + ".json")
        if self._regular(trashed_sidecar):
            with contextlib.suppress(OSError):
                os.replace(trashed_sidecar, self.dir / sidecar_name(filename))

    def delete_permanent(self, filename: str) -> None:
        """Unlink a media file, its sidecar and its thumbnail."""
        path = resolve_media_path(self.dir, filename)
        os.unlink(path)
        sidecar = self.dir / sidecar_name(filename)
        if self._regular(sidecar):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(sidecar)
        self._unlink_thumbnail(filename)

    def _unlink_thumbnail(self, filename: str) -> None:
        thumb = self.dir / thumb_name(filename)
        if thumb_name(filename) != filename and self._regular(thumb):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(thumb)

    def remove(self, filename: str) -> None:
        """Best-effort removal of a file, its sidecar and its thumbnail (rollback of a failed save)."""
        for name in (filename, sidecar_name(filename), thumb_name(filename)):
            with contextlib.suppress(OSError):
                os.unlink(self.dir / name)

    # Reading

    def read(self, filename: str) -> tuple[bytes, str]:
        """(bytes, mime) of a media file, resolved strictly inside the generated dir."""
        path, data = read_media_file(self.dir, filename)
        return data, mime_for_filename(path.name) or "application/octet-stream"

    def read_sidecar(self, filename: str, names: set[str] | None = None) -> dict[str, Any] | None:
        return read_sidecar(self.dir, filename, names)

    def read_embedded(self, filename: str) -> dict[str, Any] | None:
        try:
            with (self.dir / filename).open("rb") as handle:
                data = handle.read()
        except OSError:
            return None
        metadata, _source = xmp.read_embedded(data)
        return metadata

    def describe_unindexed(self, filename: str, names: set[str]) -> StoredFile | None:
        """Metadata of a file found on disk without a row: sidecar, else embedded XMP, else stat."""
        path = self.dir / filename
        try:
            info = os.stat(path, follow_symlinks=False)
        except OSError:
            return None
        mime = mime_for_filename(filename) or "application/octet-stream"
        metadata = self.read_sidecar(filename, names)
        if metadata is None and mime in IMAGE_MIMES:
            metadata = self.read_embedded(filename)
        metadata = dict(metadata or {})
        created_at = _positive_int(metadata.get("createdAt")) or int(info.st_mtime * 1000)
        metadata.setdefault("createdAt", created_at)
        metadata["filename"] = filename
        metadata.setdefault("mime", mime)
        metadata.setdefault("mediaType", media_type_for(mime))
        return StoredFile(
            filename=filename,
            mime=mime,
            media_type=media_type_for(mime),
            size_bytes=info.st_size,
            created_at=created_at,
            metadata=metadata,
            has_thumb=thumb_name(filename) in names,
            embedded=False,
        )

    # Listing

    def scan(self) -> DirectoryScan:
        """One `scandir` of the generated dir (top level; sub-folders such as `.trash` are skipped)."""
        result = DirectoryScan()
        try:
            entries = os.scandir(self.dir)
        except FileNotFoundError:
            return result
        with entries:
            for entry in entries:
                name = entry.name
                try:
                    if not entry.is_file(follow_symlinks=False):
                        continue
                except OSError:
                    continue
                result.names.add(name)
                if name.startswith(".") and name.endswith(TEMP_SUFFIX):
                    result.temps.append(name)
                elif is_media_name(name):
                    result.media.append(name)
        return result

    def remove_stale_temps(self, temps: list[str], older_than_s: float = 60.0) -> int:
        """Delete temp files left by interrupted atomic writes (ours start with `.` and end `.tmp`)."""
        removed = 0
        cutoff = time.time() - older_than_s
        for name in temps:
            path = self.dir / name
            with contextlib.suppress(OSError):
                if os.stat(path, follow_symlinks=False).st_mtime < cutoff:
                    os.unlink(path)
                    removed += 1
        return removed


def _positive_int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return 0
    return int(value) if value > 0 else 0
