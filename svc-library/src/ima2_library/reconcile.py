"""Startup reconcile of the generated dir against the index, and thumbnail backfill.

- Files present on disk but not indexed (or marked missing) get a row, from the sidecar,
  else the embedded XMP, else `stat`.
- Rows whose file is gone are marked `missing` (hidden from listings, kept for history).
- `has_thumb` is corrected from the listing; missing thumbnails are rendered afterwards.

One `scandir` of the folder, set arithmetic against one index read, batched upserts.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from itertools import islice

from ima2_common.errors import Ima2Error
from ima2_common.logging import log_fields
from ima2_library.history.history_base import HistoryStoreBase
from ima2_library.history.history_common import STATUS_MISSING, STATUS_OK, HistoryRecord
from ima2_library.media.naming import infer_kind, node_id_from_name, normalize_kind
from ima2_library.media.store import DirectoryScan, MediaFileStore, StoredFile
from ima2_library.media.thumbnails import can_thumbnail, thumb_name

log = logging.getLogger("ima2.library.reconcile")

DESCRIBE_BATCH = 1000
THUMB_BATCH = 64


@dataclass(slots=True)
class ReconcileResult:
    scanned: int = 0
    indexed: int = 0
    missing: int = 0
    thumbs_flagged: int = 0
    temps_removed: int = 0
    scan: DirectoryScan = field(default_factory=DirectoryScan)


@dataclass(slots=True)
class BackfillResult:
    total: int = 0
    created: int = 0
    skipped: int = 0
    failed: int = 0


def record_from_file(stored: StoredFile, kind: str = "") -> HistoryRecord:
    """The index row for a stored file; ids come from its metadata (node files: from the name)."""
    meta = stored.metadata
    kind = kind or _known_kind(meta.get("kind")) or infer_kind(stored.filename)
    node_id = _text(meta.get("nodeId"))
    if not node_id and kind == "node":
        node_id = node_id_from_name(stored.filename)
    return HistoryRecord(
        filename=stored.filename,
        created_at=stored.created_at,
        kind=kind,
        media_type=stored.media_type,
        mime=stored.mime,
        size_bytes=stored.size_bytes,
        session_id=_text(meta.get("sessionId")) or None,
        node_id=node_id or None,
        client_node_id=_text(meta.get("clientNodeId")) or None,
        request_id=_text(meta.get("requestId")) or None,
        metadata=meta,
        has_thumb=stored.has_thumb,
        status=STATUS_OK,
    )


def _known_kind(value: object) -> str:
    if not isinstance(value, str) or not value:
        return ""
    try:
        return normalize_kind(value)
    except Ima2Error:
        return ""


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def _chunks(items: Iterable[str], size: int) -> Iterator[list[str]]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


async def reconcile_index(files: MediaFileStore, history: HistoryStoreBase) -> ReconcileResult:
    """Bring the index in line with the folder. Filesystem work runs in worker threads."""
    await asyncio.to_thread(files.ensure_dir)
    scan = await asyncio.to_thread(files.scan)
    states = {state.filename: state for state in await history.index_states()}
    result = ReconcileResult(scanned=len(scan.media), scan=scan)

    present = set(scan.media)
    unindexed = [name for name in scan.media if (s := states.get(name)) is None or s.status != STATUS_OK]
    gone = [name for name, s in states.items() if s.status == STATUS_OK and name not in present]
    thumb_on: list[str] = []
    thumb_off: list[str] = []
    for name in present:
        state = states.get(name)
        if state is None or state.status != STATUS_OK:
            continue
        on_disk = thumb_name(name) in scan.names
        if on_disk and not state.has_thumb:
            thumb_on.append(name)
        elif state.has_thumb and not on_disk:
            thumb_off.append(name)

    for batch in _chunks(unindexed, DESCRIBE_BATCH):
        stored = await asyncio.to_thread(_describe_batch, files, batch, scan.names)
        result.indexed += await history.upsert_many([record_from_file(item) for item in stored])
    if gone:
        result.missing = await history.set_status(gone, STATUS_MISSING)
    if thumb_on:
        result.thumbs_flagged += await history.set_has_thumb(thumb_on, True)
    if thumb_off:
        result.thumbs_flagged += await history.set_has_thumb(thumb_off, False)
    if scan.temps:
        result.temps_removed = await asyncio.to_thread(files.remove_stale_temps, scan.temps)
    log.info(
        "reconcile_done",
        extra=log_fields(
            scanned=result.scanned,
            indexed=result.indexed,
            missing=result.missing,
            thumbsFlagged=result.thumbs_flagged,
            tempsRemoved=result.temps_removed,
        ),
    )
    return result


def _describe_batch(files: MediaFileStore, names: list[str], listing: set[str]) -> list[StoredFile]:
    out = []
    for name in names:
        stored = files.describe_unindexed(name, listing)
        if stored is not None:
            out.append(stored)
    return out


async def backfill_thumbnails(
    files: MediaFileStore,
    history: HistoryStoreBase,
    pool: ThreadPoolExecutor,
    scan: DirectoryScan | None = None,
    stop: threading.Event | None = None,
) -> BackfillResult:
    """Render every missing thumbnail; `has_thumb` is set batch by batch as they land.

    total = media files seen; skipped = already had one, or not renderable.
    """
    if scan is None:
        scan = await asyncio.to_thread(files.scan)
    result = BackfillResult(total=len(scan.media))
    todo: list[str] = []
    for name in scan.media:
        if thumb_name(name) in scan.names or not can_thumbnail(name):
            result.skipped += 1
        else:
            todo.append(name)
    for batch in _chunks(todo, THUMB_BATCH):
        if stop is not None and stop.is_set():
            break
        outcomes = await asyncio.to_thread(lambda batch=batch: list(pool.map(files.make_thumbnail, batch)))
        created = [name for name, ok in zip(batch, outcomes, strict=True) if ok]
        result.created += len(created)
        result.failed += len(batch) - len(created)
        if created:
            await history.set_has_thumb(created, True)
    if result.created or result.failed:
        log.info(
            "thumbnails_backfilled",
            extra=log_fields(
                total=result.total, created=result.created, skipped=result.skipped, failed=result.failed
            ),
        )
    return result
