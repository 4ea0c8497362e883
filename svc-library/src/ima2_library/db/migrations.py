"""Versioned schema migrations.

Each migration is a numbered list of portable DDL statements (SQLite and PostgreSQL both
accept them: BIGINT for epoch-ms columns, TEXT for JSON, DOUBLE PRECISION, partial and
expression indexes). A `schema_version` table records what was applied. `migrate_sqlite`
and `migrate_postgres` apply the same `MIGRATIONS`, each migration in its own transaction;
PostgreSQL takes an advisory lock first so replicas starting together migrate once.
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Migration:
    version: int
    description: str
    statements: tuple[str, ...]
    sqlite: tuple[str, ...] = ()  # dialect-specific statements, run after the portable ones
    postgres: tuple[str, ...] = ()


# The searchable text of a media row (SQLite): its prompt and user prompt from the metadata JSON.
SQLITE_PROMPT = (
    "CASE WHEN json_valid({row}.metadata) THEN"
    " coalesce(json_extract({row}.metadata, '$.prompt'), '') || ' '"
    " || coalesce(json_extract({row}.metadata, '$.userPrompt'), '') ELSE '' END"
)

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
    Migration(
        2,
        "sessions, graphs, style sheets, favourites, annotations, prompt library",
        (
            """
            CREATE TABLE sessions (
                id                     TEXT PRIMARY KEY,
                title                  TEXT NOT NULL,
                created_at             BIGINT NOT NULL,
                updated_at             BIGINT NOT NULL,
                graph_version          BIGINT NOT NULL DEFAULT 0,
                style_sheet            TEXT,
                style_sheet_enabled    INTEGER NOT NULL DEFAULT 0,
                style_sheet_updated_at BIGINT NOT NULL DEFAULT 0
            )
            """,
            "CREATE INDEX sessions_updated_idx ON sessions (updated_at DESC, id DESC)",
            # A graph is replaced whole on each save; `ord` keeps the client's order and
            # `asset` is the generated file a node shows (for asset-missing marking).
            """
            CREATE TABLE graph_nodes (
                session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
                id         TEXT NOT NULL,
                ord        INTEGER NOT NULL,
                x          DOUBLE PRECISION NOT NULL DEFAULT 0,
                y          DOUBLE PRECISION NOT NULL DEFAULT 0,
                data       TEXT NOT NULL DEFAULT '{}',
                asset      TEXT,
                PRIMARY KEY (session_id, id)
            )
            """,
            "CREATE INDEX graph_nodes_asset_idx ON graph_nodes (asset) WHERE asset IS NOT NULL",
            """
            CREATE TABLE graph_edges (
                session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
                id         TEXT NOT NULL,
                ord        INTEGER NOT NULL,
                source     TEXT NOT NULL,
                target     TEXT NOT NULL,
                data       TEXT NOT NULL DEFAULT '{}',
                PRIMARY KEY (session_id, id)
            )
            """,
            """
            CREATE TABLE favorites (
                browser_id TEXT NOT NULL,
                filename   TEXT NOT NULL,
                created_at BIGINT NOT NULL,
                PRIMARY KEY (browser_id, filename)
            )
            """,
            "CREATE INDEX favorites_filename_idx ON favorites (filename)",
            """
            CREATE TABLE annotations (
                browser_id TEXT NOT NULL,
                filename   TEXT NOT NULL,
                payload    TEXT NOT NULL,
                updated_at BIGINT NOT NULL,
                PRIMARY KEY (browser_id, filename)
            )
            """,
            """
            CREATE TABLE prompt_folders (
                id         TEXT PRIMARY KEY,
                parent_id  TEXT,
                name       TEXT NOT NULL,
                created_at BIGINT NOT NULL,
                updated_at BIGINT NOT NULL
            )
            """,
            "CREATE UNIQUE INDEX prompt_folders_name_idx ON prompt_folders (parent_id, lower(name))",
            "INSERT INTO prompt_folders (id, parent_id, name, created_at, updated_at)"
            " VALUES ('__root__', NULL, 'Root', 0, 0)",
            "INSERT INTO prompt_folders (id, parent_id, name, created_at, updated_at)"
            " VALUES ('__trash__', NULL, 'Trash', 0, 0)",
            """
            CREATE TABLE prompts (
                id           TEXT PRIMARY KEY,
                folder_id    TEXT NOT NULL DEFAULT '__root__',
                name         TEXT NOT NULL,
                text         TEXT NOT NULL,
                tags         TEXT,
                mode         TEXT,
                is_favorite  INTEGER NOT NULL DEFAULT 0,
                favorited_at BIGINT,
                created_at   BIGINT NOT NULL,
                updated_at   BIGINT NOT NULL
            )
            """,
            "CREATE INDEX prompts_folder_idx ON prompts (folder_id, updated_at DESC)",
        ),
    ),
    Migration(
        3,
        "visible media counter, kept by triggers (an O(1) total for the unfiltered history page)",
        (
            "CREATE TABLE media_count (id INTEGER PRIMARY KEY CHECK (id = 1), visible BIGINT NOT NULL)",
            "INSERT INTO media_count (id, visible) SELECT 1, COUNT(*) FROM media WHERE status = 'ok'",
        ),
        sqlite=(
            "CREATE TRIGGER media_count_insert AFTER INSERT ON media WHEN NEW.status = 'ok' "
            "BEGIN UPDATE media_count SET visible = visible + 1 WHERE id = 1; END",
            "CREATE TRIGGER media_count_delete AFTER DELETE ON media WHEN OLD.status = 'ok' "
            "BEGIN UPDATE media_count SET visible = visible - 1 WHERE id = 1; END",
            "CREATE TRIGGER media_count_update AFTER UPDATE OF status ON media WHEN OLD.status <> NEW.status "
            "BEGIN UPDATE media_count SET visible = visible + (CASE WHEN NEW.status = 'ok' THEN 1 ELSE -1 END) "
            "WHERE id = 1; END",
        ),
        postgres=(
            """
            CREATE FUNCTION media_count_change() RETURNS trigger LANGUAGE plpgsql AS $body$
            DECLARE delta BIGINT := 0;
            BEGIN
                IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.status = 'ok' THEN delta := delta + 1; END IF;
                IF TG_OP IN ('DELETE', 'UPDATE') AND OLD.status = 'ok' THEN delta := delta - 1; END IF;
                IF delta <> 0 THEN UPDATE media_count SET visible = visible + delta WHERE id = 1; END IF;
                RETURN NULL;
            END
            $body$
            """,
            "CREATE TRIGGER media_count_trigger AFTER INSERT OR UPDATE OF status OR DELETE ON media "
            "FOR EACH ROW EXECUTE FUNCTION media_count_change()",
        ),
    ),
    Migration(
        4,
        "full-text index over the prompts of media rows (history search, `q`)",
        (),
        # SQLite: an FTS5 table keyed by the media rowid, holding the visible (status 'ok') rows
        # only, so counting the matches is counting the FTS hits. Kept by triggers. The prompt is
        # read from the metadata JSON; metadata that is not valid JSON indexes as empty.
        sqlite=(
            "CREATE VIRTUAL TABLE media_fts USING fts5(prompt, tokenize = 'unicode61 remove_diacritics 2')",
            f"INSERT INTO media_fts (rowid, prompt) SELECT rowid, {SQLITE_PROMPT.format(row='media')} FROM media"
            " WHERE status = 'ok'",
            "CREATE TRIGGER media_fts_insert AFTER INSERT ON media WHEN NEW.status = 'ok' BEGIN "
            f"INSERT INTO media_fts (rowid, prompt) VALUES (NEW.rowid, {SQLITE_PROMPT.format(row='NEW')}); END",
            "CREATE TRIGGER media_fts_delete AFTER DELETE ON media BEGIN "
            "DELETE FROM media_fts WHERE rowid = OLD.rowid; END",
            "CREATE TRIGGER media_fts_update AFTER UPDATE OF metadata, status ON media BEGIN "
            "DELETE FROM media_fts WHERE rowid = OLD.rowid; "
            f"INSERT INTO media_fts (rowid, prompt) SELECT NEW.rowid, {SQLITE_PROMPT.format(row='NEW')}"
            " WHERE NEW.status = 'ok'; END",
        ),
        # PostgreSQL: a stored tsvector of the same text ('simple' configuration: no stemming, any
        # language) with a GIN index over the visible rows. Stored, so neither a match recheck nor a
        # filter on a common word recomputes it. The extractor is IMMUTABLE (it may back a generated
        # column) and answers '' for metadata that is not valid JSON instead of failing the write.
        postgres=(
            """
            CREATE FUNCTION media_prompt_text(metadata TEXT) RETURNS TEXT
            LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $body$
            BEGIN
                RETURN coalesce((metadata::jsonb) ->> 'prompt', '') || ' '
                    || coalesce((metadata::jsonb) ->> 'userPrompt', '');
            EXCEPTION WHEN others THEN
                RETURN '';
            END
            $body$
            """,
            "ALTER TABLE media ADD COLUMN prompt_tsv tsvector GENERATED ALWAYS AS "
            "(to_tsvector('simple'::regconfig, media_prompt_text(metadata))) STORED",
            "CREATE INDEX media_prompt_fts_idx ON media USING GIN (prompt_tsv) WHERE status = 'ok'",
        ),
    ),
    Migration(
        5,
        "Agent Mode: sessions, their turns and their queue items (docs/agent-mode.md)",
        (
            """
            CREATE TABLE agent_sessions (
                id                 TEXT PRIMARY KEY,
                title              TEXT NOT NULL,
                created_at         BIGINT NOT NULL,
                updated_at         BIGINT NOT NULL,
                current_image      TEXT,
                style_locks        TEXT NOT NULL DEFAULT '[]',
                subject_locks      TEXT NOT NULL DEFAULT '[]',
                web_search_enabled INTEGER NOT NULL DEFAULT 1,
                settings           TEXT NOT NULL DEFAULT '{}',
                summary            TEXT NOT NULL DEFAULT '',
                compacted_seq      BIGINT NOT NULL DEFAULT 0,
                turn_count         INTEGER NOT NULL DEFAULT 0,
                image_count        INTEGER NOT NULL DEFAULT 0,
                next_seq           BIGINT NOT NULL DEFAULT 1
            )
            """,
            "CREATE INDEX agent_sessions_updated_idx ON agent_sessions (updated_at DESC)",
            """
            CREATE TABLE agent_turns (
                id         TEXT PRIMARY KEY,
                session_id TEXT NOT NULL REFERENCES agent_sessions (id) ON DELETE CASCADE,
                seq        BIGINT NOT NULL,
                role       TEXT NOT NULL CHECK (role IN ('user', 'assistant', 'tool')),
                text       TEXT NOT NULL DEFAULT '',
                images     TEXT NOT NULL DEFAULT '[]',
                tool_calls TEXT NOT NULL DEFAULT '[]',
                status     TEXT NOT NULL DEFAULT 'complete',
                created_at BIGINT NOT NULL,
                UNIQUE (session_id, seq)
            )
            """,
            """
            CREATE TABLE agent_queue (
                id            TEXT PRIMARY KEY,
                session_id    TEXT NOT NULL REFERENCES agent_sessions (id) ON DELETE CASCADE,
                request_id    TEXT NOT NULL UNIQUE,
                prompt        TEXT NOT NULL,
                command       TEXT,
                status        TEXT NOT NULL CHECK (
                    status IN ('queued', 'running', 'succeeded', 'failed', 'canceled')),
                attempts      INTEGER NOT NULL DEFAULT 0,
                options       TEXT NOT NULL DEFAULT '{}',
                result_images TEXT NOT NULL DEFAULT '[]',
                error_code    TEXT,
                error_message TEXT,
                created_at    BIGINT NOT NULL,
                started_at    BIGINT,
                finished_at   BIGINT
            )
            """,
            "CREATE INDEX agent_queue_session_idx ON agent_queue (session_id, created_at)",
            "CREATE INDEX agent_queue_status_idx ON agent_queue (status, created_at)",
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
            for statement in (*migration.statements, *migration.sqlite):
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


# PostgreSQL: the same migrations through an async psycopg connection (autocommit mode).

PG_MIGRATION_LOCK = 0x1A2B_0001  # pg_advisory_xact_lock key: one migrator at a time


async def postgres_current_version(conn: Any) -> int:
    await conn.execute(SCHEMA_VERSION_DDL)
    cursor = await conn.execute("SELECT MAX(version) FROM schema_version")
    row = await cursor.fetchone()
    return int(row[0] or 0)


async def migrate_postgres(conn: Any, migrations: tuple[Migration, ...] = MIGRATIONS) -> int:
    """Apply pending migrations on `conn` (a psycopg AsyncConnection in autocommit mode)."""
    latest = migrations[-1].version if migrations else 0
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock(%s)", (PG_MIGRATION_LOCK,))
        await conn.execute(SCHEMA_VERSION_DDL)
    current = await postgres_current_version(conn)
    if current > latest:
        raise SchemaTooNewError(f"database schema {current} is newer than this release ({latest})")
    for migration in migrations:
        async with conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock(%s)", (PG_MIGRATION_LOCK,))
            cursor = await conn.execute(
                "SELECT 1 FROM schema_version WHERE version = %s", (migration.version,)
            )
            if await cursor.fetchone() is not None:
                continue
            for statement in (*migration.statements, *migration.postgres):
                await conn.execute(statement)
            await conn.execute(
                "INSERT INTO schema_version (version, description, applied_at) VALUES (%s, %s, %s)",
                (migration.version, migration.description, _now_ms()),
            )
        current = migration.version
    return max(current, await postgres_current_version(conn))
