"""The media index on a `Database`: one implementation for SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from itertools import islice
from typing import Any

from ima2_library.db.database import Database, in_list
from ima2_library.history import history_sql as q
from ima2_library.history.history_base import HistoryStoreBase
from ima2_library.history.history_common import (
    HistoryCursor,
    HistoryPage,
    HistoryQuery,
    HistoryRecord,
    IndexState,
    MediaStatus,
)

# Stay well below SQLite's host-parameter limit (32766) and keep statements small.
_IN_CHUNK = 500


def record_to_row(record: HistoryRecord) -> tuple[Any, ...]:
    return (
        record.filename,
        int(record.created_at),
        record.kind or "",
        record.media_type,
        record.mime,
        int(record.size_bytes),
        record.session_id or None,
        record.node_id or None,
        record.client_node_id or None,
        record.request_id or None,
        json.dumps(record.metadata, ensure_ascii=False, separators=(",", ":")),
        1 if record.has_thumb else 0,
        record.status,
    )


def row_to_record(row: Sequence[Any]) -> HistoryRecord:
    try:
        metadata = json.loads(row[10]) if row[10] else {}
    except ValueError:
        metadata = {}
    return HistoryRecord(
        filename=row[0],
        created_at=int(row[1]),
        kind=row[2] or "",
        media_type=row[3],
        mime=row[4],
        size_bytes=int(row[5]),
        session_id=row[6],
        node_id=row[7],
        client_node_id=row[8],
        request_id=row[9],
        metadata=metadata if isinstance(metadata, dict) else {},
        has_thumb=bool(row[11]),
        status=row[12],
    )


def _chunks(items: Iterable[Any], size: int) -> Iterable[list[Any]]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


class HistorySqlStore(HistoryStoreBase):
    def __init__(self, database: Database) -> None:
        self.db = database

    # Writes

    async def upsert(self, record: HistoryRecord) -> None:
        await self.db.execute(q.UPSERT, record_to_row(record))

    async def upsert_many(self, records: Iterable[HistoryRecord], batch_size: int = 1000) -> int:
        written = 0
        for batch in _chunks(records, batch_size):
            rows = [record_to_row(record) for record in batch]
            async with self.db.transaction() as tx:
                await tx.executemany(q.UPSERT, rows)
            written += len(rows)
        return written

    async def delete(self, filename: str) -> bool:
        return await self.db.execute(q.DELETE, (filename,)) > 0

    async def set_status(self, filenames: Sequence[str], status: MediaStatus) -> int:
        return await self._update_many("status = ?", status, filenames)

    async def set_has_thumb(self, filenames: Sequence[str], has_thumb: bool) -> int:
        return await self._update_many("has_thumb = ?", 1 if has_thumb else 0, filenames)

    async def _update_many(self, assignment: str, value: Any, filenames: Sequence[str]) -> int:
        changed = 0
        for batch in _chunks(filenames, _IN_CHUNK):
            sql = f"UPDATE media SET {assignment} WHERE filename IN {in_list(len(batch))}"
            changed += await self.db.execute(sql, [value, *batch])
        return changed

    async def toggle_favorite(self, browser_id: str, filename: str, now_ms: int) -> bool:
        async with self.db.transaction() as tx:
            if await tx.execute(q.FAVORITE_REMOVE, (browser_id, filename)) > 0:
                return False
            await tx.execute(q.FAVORITE_ADD, (browser_id, filename, now_ms))
            return True

    # Reads

    async def get(self, filename: str) -> HistoryRecord | None:
        row = await self.db.fetchone(q.GET, (filename,))
        return row_to_record(row) if row else None

    async def get_by_node(self, node_id: str) -> HistoryRecord | None:
        row = await self.db.fetchone(q.GET_BY_NODE, (node_id,))
        return row_to_record(row) if row else None

    async def count_visible(self) -> int:
        row = await self.db.fetchone(q.COUNT_VISIBLE)
        return int(row[0]) if row else 0

    async def index_states(self) -> list[IndexState]:
        rows = await self.db.fetchall(q.INDEX_STATES)
        return [
            IndexState(filename=row[0], status=row[1], has_thumb=bool(row[2]), media_type=row[3])
            for row in rows
        ]

    async def list(self, query: HistoryQuery) -> HistoryPage:
        limit = HistoryQuery.clamp_limit(query.limit)
        if query.favorites_only and not query.browser_id:
            return HistoryPage(items=[], total=0)
        dialect = self.db.dialect
        (_, _), (count_sql, count_params) = q.list_statements(query, limit, dialect)
        async with self.db.snapshot() as tx:
            total_row = await tx.fetchone(count_sql, count_params)
            total = int(total_row[0]) if total_row else 0
            # The count says how common the searched words are, which picks the page plan.
            wide = dialect == "sqlite" and bool(q.search_terms(query.q)) and total > q.WIDE_MATCHES
            (page_sql, page_params), _ = q.list_statements(query, limit, dialect, wide)
            rows = await tx.fetchall(page_sql, page_params)
            items = [row_to_record(row) for row in rows[:limit]]
            if query.browser_id and items:
                if query.favorites_only:
                    favorites = {item.filename for item in items}
                else:
                    names = [item.filename for item in items]
                    found = await tx.fetchall(
                        f"SELECT filename FROM favorites WHERE browser_id = ? AND filename IN {in_list(len(names))}",
                        [query.browser_id, *names],
                    )
                    favorites = {row[0] for row in found}
                for item in items:
                    item.is_favorite = item.filename in favorites
        cursor = None
        if len(rows) > limit and items:
            last = items[-1]
            cursor = HistoryCursor(before=last.created_at, before_filename=last.filename)
        return HistoryPage(items=items, total=total, next_cursor=cursor)
