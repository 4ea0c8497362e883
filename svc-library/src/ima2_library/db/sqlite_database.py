"""SQLite (WAL, `foreign_keys=ON`) behind the async `Database` contract.

One connection, used only from one dedicated worker thread, so the event loop never waits on
the disk and the connection is never shared between threads. An asyncio lock makes each
transaction exclusive: statements of two transactions never interleave on the connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import AsyncIterator, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from ima2_library.db.database import Database, Row, Tx
from ima2_library.db.migrations import migrate_sqlite, sqlite_current_version

T = TypeVar("T")


class _SqliteTx(Tx):
    def __init__(self, db: SqliteDatabase) -> None:
        self._db = db

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        return await self._db._call(lambda conn: conn.execute(sql, tuple(params)).rowcount)

    async def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        await self._db._call(lambda conn: conn.executemany(sql, [tuple(r) for r in rows]))

    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        return await self._db._call(lambda conn: conn.execute(sql, tuple(params)).fetchone())

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        return await self._db._call(lambda conn: conn.execute(sql, tuple(params)).fetchall())


class SqliteDatabase(Database):
    dialect = "sqlite"

    def __init__(self, path: Path | None) -> None:
        """`path=None` opens a private in-memory database (tests)."""
        self.path = path
        self._conn: sqlite3.Connection | None = None
        self._executor: ThreadPoolExecutor | None = None
        self._lock = asyncio.Lock()

    async def _call(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        if self._executor is None or self._conn is None:
            raise RuntimeError("database is closed")
        conn = self._conn
        return await asyncio.get_running_loop().run_in_executor(self._executor, fn, conn)

    def _open(self) -> sqlite3.Connection:
        target = ":memory:"
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            target = str(self.path)
        # Autocommit mode: transactions are opened explicitly.
        conn = sqlite3.connect(target, check_same_thread=False, isolation_level=None, timeout=10.0)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA busy_timeout=10000")
        conn.execute("PRAGMA temp_store=MEMORY")
        conn.execute("PRAGMA cache_size=-32000")
        migrate_sqlite(conn)
        return conn

    async def start(self) -> None:
        if self._conn is not None:
            return
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite")
        try:
            self._conn = await asyncio.get_running_loop().run_in_executor(self._executor, self._open)
        except BaseException:
            self._executor.shutdown(wait=False)
            self._executor = None
            raise

    async def close(self) -> None:
        async with self._lock:
            if self._conn is not None and self._executor is not None:
                conn = self._conn
                await asyncio.get_running_loop().run_in_executor(self._executor, conn.close)
            self._conn = None
            if self._executor is not None:
                self._executor.shutdown(wait=True)
                self._executor = None

    @contextlib.asynccontextmanager
    async def _begin(self, statement: str) -> AsyncIterator[Tx]:
        async with self._lock:
            await self._call(lambda conn: conn.execute(statement))
            try:
                yield _SqliteTx(self)
            except BaseException:
                with contextlib.suppress(Exception):
                    await self._call(lambda conn: conn.execute("ROLLBACK"))
                raise
            try:
                await self._call(lambda conn: conn.execute("COMMIT"))
            except BaseException:
                with contextlib.suppress(Exception):
                    await self._call(lambda conn: conn.execute("ROLLBACK"))
                raise

    def transaction(self) -> contextlib.AbstractAsyncContextManager[Tx]:
        return self._begin("BEGIN IMMEDIATE")

    def snapshot(self) -> contextlib.AbstractAsyncContextManager[Tx]:
        return self._begin("BEGIN")

    async def schema_version(self) -> int:
        async with self._lock:
            return await self._call(sqlite_current_version)
