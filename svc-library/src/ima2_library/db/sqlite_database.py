"""One SQLite connection behind a lock, used from worker threads only.

WAL mode and `foreign_keys=ON`, as in the reference. Every call goes through
`run(fn)`, which takes the lock and hands `fn` the connection; async callers wrap it in
`asyncio.to_thread` so the event loop never waits on the disk.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from ima2_library.db.migrations import migrate_sqlite

T = TypeVar("T")


class SqliteDatabase:
    def __init__(self, path: Path | None) -> None:
        """`path=None` opens a private in-memory database (tests)."""
        self.path = path
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None

    def open(self) -> None:
        if self._conn is not None:
            return
        target = ":memory:"
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            target = str(self.path)
        # Autocommit mode: transactions are opened explicitly with `transaction()`.
        conn = sqlite3.connect(target, check_same_thread=False, isolation_level=None, timeout=10.0)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA busy_timeout=10000")
        conn.execute("PRAGMA temp_store=MEMORY")
        conn.execute("PRAGMA cache_size=-32000")
        self._conn = conn
        with self._lock:
            migrate_sqlite(conn)

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def run(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run `fn(conn)` holding the connection lock (call from a worker thread)."""
        with self._lock:
            if self._conn is None:
                raise RuntimeError("database is closed")
            return fn(self._conn)

    def transaction(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run `fn(conn)` inside BEGIN IMMEDIATE … COMMIT (ROLLBACK on error)."""

        def wrapped(conn: sqlite3.Connection) -> T:
            conn.execute("BEGIN IMMEDIATE")
            try:
                result = fn(conn)
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
            return result

        return self.run(wrapped)
