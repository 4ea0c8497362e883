"""The library's media operations: composes the file store and the index (no gRPC here)."""

from __future__ import annotations

import asyncio
import logging
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ima2_common.errors import Ima2Error
from ima2_common.logging import log_fields
from ima2_common.settings import Settings
from ima2_library.history.history_base import HistoryStoreBase
from ima2_library.history.history_common import (
    STATUS_MISSING,
    STATUS_OK,
    HistoryPage,
    HistoryQuery,
    HistoryRecord,
)
from ima2_library.media import naming
from ima2_library.media.mime import EXT_FOR_MIME, media_type_for, normalize_mime, sniff_mime
from ima2_library.media.store import MediaFileStore
from ima2_library.reconcile import (
    BackfillResult,
    ReconcileResult,
    backfill_thumbnails,
    reconcile_index,
    record_from_file,
)

log = logging.getLogger("ima2.library")


@dataclass(slots=True)
class SaveMediaInput:
    data: bytes
    mime: str
    kind: str = ""
    filename: str = ""
    index: int = 0
    metadata: dict[str, Any] | None = None
    request_id: str = ""


@dataclass(slots=True)
class MediaContent:
    data: bytes
    mime: str
    metadata: dict[str, Any]


@dataclass(slots=True)
class StorageStatus:
    generated_dir_label: str
    generated_count: int
    state: str
    message_kind: str
    override_generated_dir: bool
    override_config_dir: bool


def _now_ms() -> int:
    return int(time.time() * 1000)


def _positive_int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return 0
    return int(value) if value > 0 else 0


def dir_label(path: Path) -> str:
    """`~/.ima2/generated` when under $HOME, else the absolute path."""
    try:
        home = Path.home().resolve()
        return "~/" + path.relative_to(home).as_posix() if path != home else "~"
    except (RuntimeError, ValueError):
        return str(path)


class MediaLibrary:
    def __init__(self, settings: Settings, files: MediaFileStore, history: HistoryStoreBase) -> None:
        self.settings = settings
        self.files = files
        self.history = history
        self._reserved: set[str] = set()
        self._backfill_lock = asyncio.Lock()
        self._stop = threading.Event()
        self._dir_label = dir_label(files.dir)
        self._config_dir_overridden = settings.home_dir != Path("~/.ima2").expanduser().resolve()
        self._pool = ThreadPoolExecutor(
            max_workers=max(1, min(4, os.cpu_count() or 1)), thread_name_prefix="thumb"
        )

    # Lifecycle

    async def reconcile(self) -> ReconcileResult:
        return await reconcile_index(self.files, self.history)

    async def backfill(self, reconciled: ReconcileResult | None = None) -> BackfillResult:
        async with self._backfill_lock:
            scan = reconciled.scan if reconciled is not None else None
            return await backfill_thumbnails(self.files, self.history, self._pool, scan, self._stop)

    def close(self) -> None:
        self._stop.set()
        self._pool.shutdown(wait=False, cancel_futures=True)

    # Save

    async def save(self, request: SaveMediaInput) -> HistoryRecord:
        if not request.data:
            raise Ima2Error("INVALID_IMAGE", "The media body is empty.")
        declared = normalize_mime(request.mime)
        mime = sniff_mime(request.data)
        if mime is None or (declared and media_type_for(declared) != media_type_for(mime)):
            raise Ima2Error("INVALID_IMAGE")
        kind = naming.normalize_kind(request.kind)
        metadata = dict(request.metadata or {})
        created_at = _positive_int(metadata.get("createdAt")) or _now_ms()

        source = str(metadata.get("canvasSourceFilename") or metadata.get("sourceFilename") or "")
        filename = await self._reserve_name(request, kind, mime, created_at, source)
        try:
            sidecar = self._sidecar(metadata, kind, filename, mime, created_at, request.request_id)
            stored = await asyncio.to_thread(self.files.write_new, filename, request.data, mime, sidecar)
            record = record_from_file(stored, kind)
            try:
                await self.history.upsert(record)
            except Exception as exc:
                await asyncio.to_thread(self.files.remove, filename)
                raise Ima2Error("STORAGE_FAILED") from exc
        finally:
            self._reserved.discard(filename)
        log.info(
            "media_saved",
            extra=log_fields(
                filename=filename,
                kind=kind,
                mime=mime,
                bytes=record.size_bytes,
                embedded=stored.embedded,
                thumb=record.has_thumb,
            ),
        )
        return record

    async def _reserve_name(
        self, request: SaveMediaInput, kind: str, mime: str, created_at: int, source: str
    ) -> str:
        """Pick a name no other save holds and no file has; the caller must release it."""
        for _attempt in range(3):
            if request.filename:
                filename = naming.caller_name(request.filename, mime)
            else:
                filename = naming.generated_name(kind, mime, created_at, request.index, source)
            if filename not in self._reserved:
                self._reserved.add(filename)  # before any await: concurrent saves see it
                if not await asyncio.to_thread(self.files.exists, filename):
                    return filename
                self._reserved.discard(filename)
            if request.filename:
                break  # a chosen name is not redrawn
        raise Ima2Error("ASSET_EXISTS")

    @staticmethod
    def _sidecar(
        metadata: dict[str, Any], kind: str, filename: str, mime: str, created_at: int, request_id: str
    ) -> dict[str, Any]:
        sidecar = dict(metadata)
        sidecar.setdefault("kind", kind)
        if request_id and not sidecar.get("requestId"):
            sidecar["requestId"] = request_id
        if kind == "node" and not sidecar.get("nodeId"):
            sidecar["nodeId"] = naming.node_id_from_name(filename)
        sidecar.setdefault("format", EXT_FOR_MIME[mime])
        sidecar["filename"] = filename
        sidecar["mime"] = mime
        sidecar["mediaType"] = media_type_for(mime)
        sidecar["createdAt"] = created_at
        return sidecar

    # Read

    async def read(self, filename: str) -> MediaContent:
        try:
            data, mime = await asyncio.to_thread(self.files.read, filename)
        except Ima2Error as err:
            if err.code == "ASSET_NOT_FOUND":
                await self._forget_if_indexed(filename)
            raise
        metadata = await asyncio.to_thread(self.files.read_sidecar, filename)
        if metadata is None:
            row = await self.history.get(filename)
            metadata = row.metadata if row is not None else None
        if metadata is None:
            metadata = await asyncio.to_thread(self.files.read_embedded, filename)
        return MediaContent(data=data, mime=mime, metadata=metadata or {})

    async def _forget_if_indexed(self, filename: str) -> None:
        row = await self.history.get(filename)
        if row is not None and row.status == STATUS_OK:
            await self.history.set_status([filename], STATUS_MISSING)

    # Listing and lookups

    async def list(self, query: HistoryQuery) -> HistoryPage:
        return await self.history.list(query)

    async def get_node(self, node_id: str) -> HistoryRecord:
        if not node_id:
            raise Ima2Error("NODE_NOT_FOUND")
        record = await self.history.get_by_node(node_id)
        if record is None:
            raise Ima2Error("NODE_NOT_FOUND")
        if not await asyncio.to_thread(self.files.exists, record.filename):
            await self.history.set_status([record.filename], STATUS_MISSING)
            raise Ima2Error("NODE_NOT_FOUND")
        return record

    async def storage_status(self) -> StorageStatus:
        count = await self.history.count_visible()
        return StorageStatus(
            generated_dir_label=self._dir_label,
            generated_count=count,
            state="ok" if count > 0 else "not_found",
            message_kind="none" if count > 0 else "apology",
            override_generated_dir=self.settings.generated_dir is not None,
            override_config_dir=self._config_dir_overridden,
        )
