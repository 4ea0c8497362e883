"""The library's media operations: composes the file store, the index and the graph store (no gRPC).

Every write keeps one order: bytes on disk first (atomically: temp file + rename), then the
row. A crash between the two leaves a complete file that the startup reconcile indexes; a
crash inside a write leaves only a hidden temp file, which reconcile removes.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ima2_common.errors import Ima2Error
from ima2_common.logging import log_fields
from ima2_common.settings import Settings
from ima2_library import storage
from ima2_library.history.history_base import HistoryStoreBase
from ima2_library.history.history_common import (
    STATUS_MISSING,
    STATUS_OK,
    HistoryPage,
    HistoryQuery,
    HistoryRecord,
    SessionGroup,
)
from ima2_library.media import naming, xmp
from ima2_library.media.mime import EXT_FOR_MIME, media_type_for, normalize_mime, sniff_mime
from ima2_library.media.paths import check_name, resolve_media_path
from ima2_library.media.store import MediaFileStore
from ima2_library.reconcile import (
    BackfillResult,
    ReconcileResult,
    backfill_thumbnails,
    reconcile_index,
    record_from_file,
)
from ima2_library.sessions.sessions_store import SessionStore

log = logging.getLogger("ima2.library")

CANVAS_NAME_RE = re.compile(r"^canvas-[A-Za-z0-9._-]+\.png$")
ORIGINAL_NAME_MAX = 200


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
class DeleteOutcome:
    filename: str
    trash: str  # internal | none (permanent)
    trash_id: str
    sessions_touched: int
    nodes_touched: int


@dataclass(slots=True)
class MetadataRead:
    metadata: dict[str, Any] | None
    source: str
    warnings: list[str]


def _now_ms() -> int:
    return int(time.time() * 1000)


def _positive_int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return 0
    return int(value) if value > 0 else 0


def _first_text(*values: Any) -> str | None:
    return next((v for v in values if isinstance(v, str) and v.strip()), None)


class MediaLibrary:
    def __init__(
        self, settings: Settings, files: MediaFileStore, history: HistoryStoreBase, sessions: SessionStore
    ) -> None:
        self.settings = settings
        self.files = files
        self.history = history
        self.sessions = sessions
        self._reserved: set[str] = set()
        self._backfill_lock = asyncio.Lock()
        self._stop = threading.Event()
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
            record = await self._write(filename, request.data, mime, sidecar, kind)
        finally:
            self._reserved.discard(filename)
        return record

    async def _write(
        self, filename: str, data: bytes, mime: str, sidecar: dict[str, Any], kind: str
    ) -> HistoryRecord:
        """File (+XMP), sidecar, thumbnail, then the row; the row failing removes the file again."""
        stored = await asyncio.to_thread(self.files.write_new, filename, data, mime, sidecar)
        record = record_from_file(stored, kind)
        try:
            await self.history.upsert(record)
        except Exception as exc:
            await asyncio.to_thread(self.files.remove, filename)
            raise Ima2Error("STORAGE_FAILED") from exc
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
        sidecar["format"] = EXT_FOR_MIME[mime]  # what the bytes are, whatever was asked for
        sidecar["filename"] = filename
        sidecar["mime"] = mime
        sidecar["mediaType"] = media_type_for(mime)
        sidecar["createdAt"] = created_at
        return sidecar

    # Import and canvas versions

    async def import_local(self, data: bytes, mime: str, original_filename: str = "") -> HistoryRecord:
        if not data:
            raise Ima2Error("EMPTY_IMPORT")
        sniffed = sniff_mime(data)
        if sniffed is None or media_type_for(sniffed) != "image":
            raise Ima2Error("IMPORT_BAD_FORMAT")
        original = os.path.basename(original_filename[:ORIGINAL_NAME_MAX]) or None
        metadata = {"kind": "imported", "canvasVersion": False, "originalFilename": original}
        return await self.save(SaveMediaInput(data=data, mime=sniffed, kind="imported", metadata=metadata))

    async def _source_metadata(self, filename: str | None) -> dict[str, Any]:
        if not filename:
            return {}
        try:
            check_name(filename)
        except Ima2Error:
            return {}
        return await asyncio.to_thread(self.files.read_sidecar, filename) or {}

    async def save_canvas_version(
        self, data: bytes, source_filename: str, prompt: str = "", filename: str = ""
    ) -> HistoryRecord:
        """A new canvas version of `source_filename`, or (with `filename`) an update of one."""
        if filename and (not CANVAS_NAME_RE.match(filename) or ".." in filename):
            raise Ima2Error("INVALID_CANVAS_VERSION_FILENAME")
        if not data:
            raise Ima2Error("EMPTY_CANVAS_VERSION")
        if sniff_mime(data) != "image/png":
            raise Ima2Error("CANVAS_VERSION_NOT_PNG")
        source = os.path.basename(source_filename or "")
        now = _now_ms()
        if not filename:
            if not source:
                raise Ima2Error("CANVAS_SOURCE_REQUIRED")
            source_meta = await self._source_metadata(source)
            text = _first_text(prompt, source_meta.get("userPrompt"), source_meta.get("prompt"))
            metadata = self._canvas_meta(text, source, source_meta.get("promptMode"), now, {})
            return await self.save(
                SaveMediaInput(data=data, mime="image/png", kind="canvas", metadata=metadata)
            )

        try:
            await asyncio.to_thread(resolve_media_path, self.files.dir, filename)
        except Ima2Error as err:
            if err.code == "ASSET_NOT_FOUND":
                raise Ima2Error("CANVAS_VERSION_NOT_FOUND") from None
            raise
        previous = await self._source_metadata(filename)
        source_meta = await self._source_metadata(source) if source else {}
        text = _first_text(
            prompt,
            source_meta.get("userPrompt"),
            source_meta.get("prompt"),
            previous.get("userPrompt"),
            previous.get("prompt"),
        )
        mode = source_meta.get("promptMode") or previous.get("promptMode")
        metadata = self._canvas_meta(text, source or None, mode, now, previous)
        sidecar = self._sidecar(metadata, "canvas", filename, "image/png", now, "")
        return await self._write(filename, data, "image/png", sidecar, "canvas")

    @staticmethod
    def _canvas_meta(
        prompt: str | None, source: str | None, mode: Any, now: int, previous: dict[str, Any]
    ) -> dict[str, Any]:
        return {
            "kind": "canvas",
            "provider": "canvas",
            "format": "png",
            "prompt": prompt,
            "userPrompt": prompt,
            "promptMode": mode if isinstance(mode, str) and mode else "direct",
            "createdAt": now,
            "canvasMergedAt": now,
            "canvasVersion": True,
            "canvasSourceFilename": source,
            "annotationsBaked": bool(previous.get("annotationsBaked")),
            "annotationSnapshot": previous.get("annotationSnapshot"),
            "annotationOnly": bool(previous.get("annotationOnly")),
        }

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

    @staticmethod
    def read_metadata(data: bytes) -> MetadataRead:
        metadata, source = xmp.read_embedded(data)
        warnings: list[str] = []
        if metadata is None and sniff_mime(data) is None:
            warnings.append("unrecognized_image_format")
        return MetadataRead(metadata=metadata, source=source or "", warnings=warnings)

    # Listing and lookups

    async def list(self, query: HistoryQuery) -> HistoryPage:
        page = await self.history.list(query)
        if query.group_by == "session":
            await self._group(page)
        return page

    async def _group(self, page: HistoryPage) -> None:
        """The reference's grouping of one page: sessions newest-used first, the rest loose."""
        groups: dict[str, SessionGroup] = {}
        loose: list[HistoryRecord] = []
        for item in page.items:
            if not item.session_id:
                loose.append(item)
                continue
            group = groups.get(item.session_id)
            if group is None:
                group = groups[item.session_id] = SessionGroup(item.session_id, None, "", item.created_at)
            group.items.append(item)
            group.last_used_at = max(group.last_used_at, item.created_at)
        titles = await self.sessions.titles(list(groups))
        for group in groups.values():
            group.title = titles.get(group.session_id)
            group.label = group.title or group.session_id[:8]
        page.groups = sorted(groups.values(), key=lambda g: g.last_used_at, reverse=True)
        page.loose = loose

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

    async def require_media(self, filename: str) -> None:
        """`filename` names a regular media file inside the generated dir (else the documented 4xx)."""
        await asyncio.to_thread(resolve_media_path, self.files.dir, filename)

    async def toggle_favorite(self, browser_id: str, filename: str) -> bool:
        check_name(filename)
        record = await self.history.get(filename)
        if record is None or record.status != STATUS_OK:
            raise Ima2Error("ASSET_NOT_FOUND")
        return await self.history.toggle_favorite(browser_id, filename, _now_ms())

    # Delete and restore

    async def delete(self, filename: str, permanent: bool) -> DeleteOutcome:
        """Trash (recoverable) or unlink a file; its row goes and graph nodes showing it are marked."""
        if permanent:
            await asyncio.to_thread(self.files.delete_permanent, filename)
            trash, trash_id = "none", ""
        else:
            trash, trash_id = "internal", await asyncio.to_thread(self.files.trash, filename, _now_ms())
        await self.history.delete(filename)
        touched = await self.sessions.mark_asset_missing(filename)
        log.info(
            "media_deleted",
            extra=log_fields(
                filename=filename,
                permanent=permanent,
                sessionsTouched=touched.sessions_touched,
                nodesTouched=touched.nodes_touched,
            ),
        )
        return DeleteOutcome(filename, trash, trash_id, touched.sessions_touched, touched.nodes_touched)

    async def restore(self, trash_id: str, filename: str) -> HistoryRecord:
        if not trash_id:
            raise Ima2Error("TRASH_ID_REQUIRED")
        await asyncio.to_thread(self.files.restore, trash_id, filename)
        listing = {filename, f"{filename}.json"}
        stored = await asyncio.to_thread(self.files.describe_unindexed, filename, listing)
        if stored is None:
            raise Ima2Error("TRASH_NOT_FOUND")
        stored.has_thumb = await asyncio.to_thread(self.files.make_thumbnail, filename)
        record = record_from_file(stored)
        await self.history.upsert(record)
        log.info("media_restored", extra=log_fields(filename=filename))
        return record

    # Storage support

    async def storage_status(self) -> storage.StorageStatus:
        count = await self.history.count_visible()
        return await asyncio.to_thread(
            storage.inspect,
            self.files.dir,
            count,
            extra_legacy=self.settings.legacy_generated_dirs,
            override_generated_dir=self.settings.generated_dir is not None,
            override_config_dir=self._config_dir_overridden,
        )

    async def open_generated_dir(self) -> None:
        await storage.open_directory(self.files.dir, self.settings.open_command)
