"""The database contract every store is written against: portable SQL, async all the way.

Statements use `?` placeholders and SQL that SQLite and PostgreSQL both accept (`ON CONFLICT`,
row-value comparisons, partial indexes, BIGINT epoch-ms columns, TEXT JSON). A backend turns
the placeholders into its own style. Work happens inside `transaction()` (read-write, one
writer at a time per row set) or `snapshot()` (read-only, one consistent view).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any, Protocol

Row = tuple[Any, ...]


class Tx(Protocol):
    """One open transaction. Methods are awaited in order; nothing else runs on it meanwhile."""

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run one statement; returns the affected row count."""
        ...

    async def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None: ...

    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> Row | None: ...

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Row]: ...


class Database(ABC):
    """An embedded (SQLite) or server (PostgreSQL) database with versioned migrations."""

    dialect: str = ""

    @abstractmethod
    async def start(self) -> None:
        """Connect and apply pending migrations."""

    @abstractmethod
    async def close(self) -> None: ...

    @abstractmethod
    def transaction(self) -> AbstractAsyncContextManager[Tx]:
        """A read-write transaction: committed on normal exit, rolled back on any exception."""

    @abstractmethod
    def snapshot(self) -> AbstractAsyncContextManager[Tx]:
        """A read-only transaction whose statements all see the same committed state."""

    @abstractmethod
    async def schema_version(self) -> int: ...

    # Conveniences for single statements.

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        async with self.transaction() as tx:
            return await tx.execute(sql, params)

    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        async with self.snapshot() as tx:
            return await tx.fetchone(sql, params)

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        async with self.snapshot() as tx:
            return await tx.fetchall(sql, params)


def in_list(count: int) -> str:
    """`(?, ?, …)` for an IN clause of `count` values."""
    return "(" + ", ".join("?" for _ in range(count)) + ")"


def chunks(items: Sequence[Any], size: int) -> list[Sequence[Any]]:
    return [items[start : start + size] for start in range(0, len(items), size)]
