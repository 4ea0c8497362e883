"""PostgreSQL (psycopg 3, async, pooled) behind the async `Database` contract.

Selected when `IMA2_DATABASE_URL` is set. The same migrations and the same portable SQL as
SQLite; `?` placeholders become `%s`. Transactions run at READ COMMITTED (writes that must
not race, such as graph saves, use conditional updates); snapshots run at REPEATABLE READ,
read only, so a page and its total see one state.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import AsyncIterator, Sequence
from typing import Any

from psycopg import AsyncConnection, OperationalError
from psycopg_pool import AsyncConnectionPool, PoolTimeout

from ima2_common.errors import Ima2Error
from ima2_library.db.database import Database, Row, Tx
from ima2_library.db.migrations import migrate_postgres, postgres_current_version

CONNECTION_WAIT_SECONDS = 5.0
DATABASE_DOWN = "The library database (PostgreSQL) cannot be reached; try again shortly."


@functools.lru_cache(maxsize=512)
def to_pyformat(sql: str) -> str:
    """`?` → `%s` (our statements hold no literal question marks; literal `%` is escaped)."""
    return sql.replace("%", "%%").replace("?", "%s")


class _PostgresTx(Tx):
    def __init__(self, conn: AsyncConnection[Any]) -> None:
        self._conn = conn

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        cursor = await self._conn.execute(to_pyformat(sql), tuple(params))
        return cursor.rowcount

    async def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        if not rows:
            return
        async with self._conn.cursor() as cursor:
            await cursor.executemany(to_pyformat(sql), [tuple(r) for r in rows])

    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        cursor = await self._conn.execute(to_pyformat(sql), tuple(params))
        row = await cursor.fetchone()
        return tuple(row) if row is not None else None

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        cursor = await self._conn.execute(to_pyformat(sql), tuple(params))
        return [tuple(row) for row in await cursor.fetchall()]


class PostgresDatabase(Database):
    dialect = "postgres"

    def __init__(self, url: str, min_size: int = 1, max_size: int = 8) -> None:
        self.url = url
        self._pool = AsyncConnectionPool(
            url,
            min_size=min_size,
            max_size=max_size,
            open=False,
            kwargs={"autocommit": True},
            name="ima2-library",
            # A connection left broken by a database restart is replaced before it is handed out.
            check=AsyncConnectionPool.check_connection,
            timeout=CONNECTION_WAIT_SECONDS,
        )
        self._open = False

    async def start(self) -> None:
        if self._open:
            return
        # Migrate on a dedicated connection first, so pool connections see the final schema.
        conn = await AsyncConnection.connect(self.url, autocommit=True)
        try:
            await migrate_postgres(conn)
        finally:
            await conn.close()
        await self._pool.open(wait=True, timeout=15.0)
        self._open = True

    async def close(self) -> None:
        if self._open:
            self._open = False
            await self._pool.close()

    @contextlib.asynccontextmanager
    async def _tx(self, read_only: bool) -> AsyncIterator[Tx]:
        """A transaction; while PostgreSQL is down or restarting it fails with SERVICE_UNAVAILABLE
        (nothing was committed) and the pool reconnects on its own once the server is back."""
        try:
            async with self._pool.connection() as conn, conn.transaction():
                if read_only:
                    await conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
                yield _PostgresTx(conn)
        except (OperationalError, PoolTimeout):
            raise Ima2Error("SERVICE_UNAVAILABLE", DATABASE_DOWN) from None

    def transaction(self) -> contextlib.AbstractAsyncContextManager[Tx]:
        return self._tx(read_only=False)

    def snapshot(self) -> contextlib.AbstractAsyncContextManager[Tx]:
        return self._tx(read_only=True)

    async def schema_version(self) -> int:
        async with self._pool.connection() as conn:
            return await postgres_current_version(conn)
