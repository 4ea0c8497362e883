"""Versioned schema migrations.

Each migration is a numbered list of portable DDL statements (SQLite and PostgreSQL both
accept them: BIGINT for epoch-ms columns, TEXT for JSON, partial indexes). A
`schema_version` table records what was applied. The SQLite runner is here; a
PostgreSQL runner applies the same `MIGRATIONS` with its own connection.
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass


@dataclass(frozen=True)
class Migration:
    version: int
    description: str
    statements: tuple[str, ...]


SCHEMA_VERSION_DDL = (
    "CREATE TABLE IF NOT EXISTS schema_version ("
    " version INTEGER PRIMARY KEY,"
    " description TEXT NOT NULL,"
    " applied_at BIGINT NOT NULL)"
)

MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "media index",
        (
            """
            CREATE TABLE media (
                filename       TEXT PRIMARY KEY,
                created_at     BIGINT NOT NULL,
                kind           TEXT NOT NULL DEFAULT '',
                media_type     TEXT NOT NULL,
                mime           TEXT NOT NULL,
                size_bytes     BIGINT NOT NULL DEFAULT 0,
                session_id     TEXT,
                node_id        TEXT,
                client_node_id TEXT,
                request_id     TEXT,
                metadata       TEXT NOT NULL DEFAULT '{}',
                has_thumb      INTEGER NOT NULL DEFAULT 0,
                status         TEXT NOT NULL DEFAULT 'ok' CHECK (status IN ('ok', 'missing'))
            )
            """,
            # The listing order. Partial on status = 'ok' so the first page and COUNT(*) of the
            # visible rows are both answered from this index alone.
            "CREATE INDEX media_created_idx ON media (created_at DESC, filename DESC) WHERE status = 'ok'",
            "CREATE INDEX media_session_idx ON media (session_id, created_at DESC, filename DESC)"
            " WHERE status = 'ok'",
            "CREATE INDEX media_request_idx ON media (request_id)",
            "CREATE INDEX media_node_idx ON media (node_id)",
        ),
    ),
)

LATEST_VERSION = MIGRATIONS[-1].version


class SchemaTooNewError(RuntimeError):
    pass


def _now_ms() -> int:
    return int(time.time() * 1000)


def sqlite_current_version(conn: sqlite3.Connection) -> int:
    conn.execute(SCHEMA_VERSION_DDL)
    row = conn.execute("SELECT MAX(version) FROM schema_version").fetchone()
    return int(row[0] or 0)


def migrate_sqlite(conn: sqlite3.Connection, migrations: tuple[Migration, ...] = MIGRATIONS) -> int:
    """Apply every migration newer than the database, each in its own transaction.

    Returns the resulting version. Refuses a database written by a newer release.
    """
    current = sqlite_current_version(conn)
    latest = migrations[-1].version if migrations else 0
    if current > latest:
        raise SchemaTooNewError(f"database schema {current} is newer than this release ({latest})")
    for migration in migrations:
        if migration.version <= current:
            continue
        conn.execute("BEGIN IMMEDIATE")
        try:
            for statement in migration.statements:
                conn.execute(statement)
            conn.execute(
                "INSERT INTO schema_version (version, description, applied_at) VALUES (?, ?, ?)",
                (migration.version, migration.description, _now_ms()),
            )
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
        current = migration.version
    return current
