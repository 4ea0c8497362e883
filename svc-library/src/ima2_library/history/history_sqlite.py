"""The media index in SQLite (WAL, one locked connection, calls run in worker threads)."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import Iterable, Sequence
from itertools import islice
from typing import Any

from ima2_library.db.sqlite_database import SqliteDatabase
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

# SQLite's default limit on host parameters is 32766 since 3.32; stay well below it.
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


class HistorySqliteStore(HistoryStoreBase):
    def __init__(self, database: SqliteDatabase) -> None:
        self.db = database

    # Lifecycle

    async def start(self) -> None:
        await asyncio.to_thread(self.db.open)

    async def close(self) -> None:
        await asyncio.to_thread(self.db.close)

    # Writes

    async def upsert(self, record: HistoryRecord) -> None:
        row = record_to_row(record)
        await asyncio.to_thread(self.db.run, lambda conn: conn.execute(q.UPSERT, row))

    async def upsert_many(self, records: Iterable[HistoryRecord], batch_size: int = 1000) -> int:
        return await asyncio.to_thread(self.upsert_many_sync, records, batch_size)

    def upsert_many_sync(self, records: Iterable[HistoryRecord], batch_size: int = 1000) -> int:
        """The bulk path: one transaction per batch, `executemany` inside."""
        written = 0
        for batch in _chunks(records, batch_size):
            rows = [record_to_row(record) for record in batch]
            self.db.transaction(lambda conn, rows=rows: conn.executemany(q.UPSERT, rows))
            written += len(rows)
        return written

    async def set_status(self, filenames: Sequence[str], status: MediaStatus) -> int:
        return await asyncio.to_thread(self._update_many, "status = ?", status, filenames)

    async def set_has_thumb(self, filenames: Sequence[str], has_thumb: bool) -> int:
        return await asyncio.to_thread(self._update_many, "has_thumb = ?", 1 if has_thumb else 0, filenames)

    def _update_many(self, assignment: str, value: Any, filenames: Sequence[str]) -> int:
        changed = 0
        for batch in _chunks(filenames, _IN_CHUNK):
            sql = q.in_list_statement(f"UPDATE media SET {assignment} WHERE filename IN", len(batch))
            cursor = self.db.transaction(
                lambda conn, sql=sql, batch=batch: conn.execute(sql, [value, *batch])
            )
            changed += cursor.rowcount
        return changed

    # Reads

    async def get(self, filename: str) -> HistoryRecord | None:
        row = await asyncio.to_thread(self.db.run, lambda conn: conn.execute(q.GET, (filename,)).fetchone())
        return row_to_record(row) if row else None

    async def get_by_node(self, node_id: str) -> HistoryRecord | None:
        row = await asyncio.to_thread(
            self.db.run, lambda conn: conn.execute(q.GET_BY_NODE, (node_id,)).fetchone()
        )
        return row_to_record(row) if row else None

    async def count_visible(self) -> int:
        row = await asyncio.to_thread(self.db.run, lambda conn: conn.execute(q.COUNT_VISIBLE).fetchone())
        return int(row[0])

    async def index_states(self) -> list[IndexState]:
        def load(conn: sqlite3.Connection) -> list[IndexState]:
            return [
                IndexState(filename=row[0], status=row[1], has_thumb=bool(row[2]), media_type=row[3])
                for row in conn.execute(q.INDEX_STATES)
            ]

        return await asyncio.to_thread(self.db.run, load)

    async def list(self, query: HistoryQuery) -> HistoryPage:
        return await asyncio.to_thread(self.list_sync, query)

    def list_sync(self, query: HistoryQuery) -> HistoryPage:
        limit = HistoryQuery.clamp_limit(query.limit)
        (page_sql, page_params), (count_sql, count_params) = q.list_statements(query, limit)

        def run(conn: sqlite3.Connection) -> tuple[list[Any], int]:
            # One read transaction so the page and the total see the same snapshot.
            conn.execute("BEGIN")
            try:
                rows = conn.execute(page_sql, page_params).fetchall()
                total = conn.execute(count_sql, count_params).fetchone()[0]
            finally:
                conn.execute("COMMIT")
            return rows, int(total)

        rows, total = self.db.run(run)
        items = [row_to_record(row) for row in rows[:limit]]
        cursor = None
        if len(rows) > limit and items:
            last = items[-1]
            cursor = HistoryCursor(before=last.created_at, before_filename=last.filename)
        return HistoryPage(items=items, total=total, next_cursor=cursor)
