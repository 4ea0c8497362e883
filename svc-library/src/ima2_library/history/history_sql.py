"""SQL text shared by the SQLite and (next) PostgreSQL stores.

Statements use `?` placeholders; a psycopg store renders them with `to_pyformat`. The
listing filter on `status = 'ok'` is written as a literal so SQLite can use the partial
indexes of migration 1.
"""

from __future__ import annotations

from typing import Any

from ima2_library.history.history_common import HistoryQuery

COLUMNS = (
    "filename",
    "created_at",
    "kind",
    "media_type",
    "mime",
    "size_bytes",
    "session_id",
    "node_id",
    "client_node_id",
    "request_id",
    "metadata",
    "has_thumb",
    "status",
)
SELECT_COLUMNS = ", ".join(COLUMNS)

UPSERT = (
    f"INSERT INTO media ({SELECT_COLUMNS}) VALUES ({', '.join('?' for _ in COLUMNS)}) "
    "ON CONFLICT (filename) DO UPDATE SET "
    + ", ".join(f"{col} = excluded.{col}" for col in COLUMNS if col != "filename")
)

GET = f"SELECT {SELECT_COLUMNS} FROM media WHERE filename = ?"

GET_BY_NODE = (
    f"SELECT {SELECT_COLUMNS} FROM media WHERE node_id = ? AND status = 'ok' "
    "ORDER BY created_at DESC, filename DESC LIMIT 1"
)

COUNT_VISIBLE = "SELECT COUNT(*) FROM media WHERE status = 'ok'"

INDEX_STATES = "SELECT filename, status, has_thumb, media_type FROM media"

ORDER = " ORDER BY created_at DESC, filename DESC"


def to_pyformat(sql: str) -> str:
    """`?` → `%s` for psycopg (our statements hold no literal question marks)."""
    return sql.replace("%", "%%").replace("?", "%s")


def filter_clause(query: HistoryQuery) -> tuple[str, list[Any]]:
    """WHERE clause of the filters that `total` counts (everything but the cursor)."""
    where = ["status = 'ok'"]
    params: list[Any] = []
    if query.since is not None:
        where.append("created_at > ?")
        params.append(query.since)
    if query.session_id:
        where.append("session_id = ?")
        params.append(query.session_id)
    if query.request_id:
        where.append("request_id = ?")
        params.append(query.request_id)
    return " WHERE " + " AND ".join(where), params


def list_statements(query: HistoryQuery, limit: int) -> tuple[tuple[str, list[Any]], tuple[str, list[Any]]]:
    """(page SQL, params) fetching `limit + 1` rows, and (count SQL, params)."""
    where, params = filter_clause(query)
    count_sql = "SELECT COUNT(*) FROM media" + where
    page_where, page_params = where, list(params)
    if query.before is not None:
        if query.before_filename:
            # Row-value comparison: one index range in both SQLite and PostgreSQL.
            page_where += " AND (created_at, filename) < (?, ?)"
            page_params += [query.before, query.before_filename]
        else:
            page_where += " AND created_at < ?"
            page_params.append(query.before)
    page_sql = f"SELECT {SELECT_COLUMNS} FROM media{page_where}{ORDER} LIMIT ?"
    page_params.append(limit + 1)
    return (page_sql, page_params), (count_sql, params)


def in_list_statement(prefix: str, count: int) -> str:
    return f"{prefix} ({', '.join('?' for _ in range(count))})"
