"""SQL text of the media index, portable across SQLite and PostgreSQL (`?` placeholders).

The listing filter on `status = 'ok'` is written as a literal so both planners use the partial
indexes of migration 1; the cursor is a row-value comparison, one index range in both.
"""

from __future__ import annotations

import re
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
SELECT_M_COLUMNS = ", ".join(f"m.{col}" for col in COLUMNS)

UPSERT = (
    f"INSERT INTO media ({SELECT_COLUMNS}) VALUES ({', '.join('?' for _ in COLUMNS)}) "
    "ON CONFLICT (filename) DO UPDATE SET "
    + ", ".join(f"{col} = excluded.{col}" for col in COLUMNS if col != "filename")
)

GET = f"SELECT {SELECT_COLUMNS} FROM media WHERE filename = ?"
DELETE = "DELETE FROM media WHERE filename = ?"

GET_BY_NODE = (
    f"SELECT {SELECT_COLUMNS} FROM media WHERE node_id = ? AND status = 'ok' "
    "ORDER BY created_at DESC, filename DESC LIMIT 1"
)

# Kept by the triggers of migration 3: the unfiltered total without counting rows.
COUNT_VISIBLE = "SELECT visible FROM media_count WHERE id = 1"
INDEX_STATES = "SELECT filename, status, has_thumb, media_type FROM media"

FAVORITE_GET = "SELECT 1 FROM favorites WHERE browser_id = ? AND filename = ?"
FAVORITE_ADD = (
    "INSERT INTO favorites (browser_id, filename, created_at) VALUES (?, ?, ?) "
    "ON CONFLICT (browser_id, filename) DO NOTHING"
)
FAVORITE_REMOVE = "DELETE FROM favorites WHERE browser_id = ? AND filename = ?"

ORDER = " ORDER BY m.created_at DESC, m.filename DESC"


# Search terms: runs of letters and digits (any script); everything else separates terms, so no
# user text ever reaches the full-text query syntax. At most this many terms are used.
_TERM = re.compile(r"\w+", re.UNICODE)
MAX_SEARCH_TERMS = 8


def search_terms(text: str) -> list[str]:
    return [term.lower() for term in _TERM.findall(text or "")][:MAX_SEARCH_TERMS]


# Above this many matches, SQLite pages by walking the listing index and testing each row
# against the (materialised) match set; below it, by fetching the matching rows and sorting them.
# Either way a page costs about the same at any history size.
WIDE_MATCHES = 2000


def search_clause(terms: list[str], dialect: str, wide: bool = False) -> tuple[str, str]:
    """(WHERE fragment, parameter) matching rows whose prompt holds every term as a word prefix.

    SQLite answers from the FTS5 table of migration 4, PostgreSQL from its GIN tsvector index.
    `wide` (SQLite): the unary `+` keeps the planner on the created_at index for common terms."""
    if dialect == "postgres":
        tsquery = " & ".join(f"{term}:*" for term in terms)
        return (
            "m.prompt_tsv @@ to_tsquery('simple'::regconfig, ?)",
            tsquery,
        )
    rowid = "+m.rowid" if wide else "m.rowid"
    return f"{rowid} IN (SELECT rowid FROM media_fts WHERE media_fts MATCH ?)", fts_match(terms)


def fts_match(terms: list[str]) -> str:
    return " ".join(f'"{term}"*' for term in terms)


def only_search(query: HistoryQuery) -> bool:
    """A search with no other filter: SQLite counts it from the FTS table alone."""
    return bool(search_terms(query.q)) and not (
        query.favorites_only or query.since is not None or query.session_id or query.request_id
    )


COUNT_FTS = "SELECT COUNT(*) FROM media_fts WHERE media_fts MATCH ?"


def filter_clause(
    query: HistoryQuery, dialect: str = "sqlite", wide: bool = False
) -> tuple[str, str, list[Any]]:
    """(FROM+JOIN, WHERE, params) of the filters that `total` counts (everything but the cursor)."""
    source = "media m"
    params: list[Any] = []
    if query.favorites_only:
        source += " JOIN favorites f ON f.filename = m.filename AND f.browser_id = ?"
        params.append(query.browser_id)
    where = ["m.status = 'ok'"]
    if query.since is not None:
        where.append("m.created_at > ?")
        params.append(query.since)
    if query.session_id:
        where.append("m.session_id = ?")
        params.append(query.session_id)
    if query.request_id:
        where.append("m.request_id = ?")
        params.append(query.request_id)
    terms = search_terms(query.q)
    if terms:
        fragment, param = search_clause(terms, dialect, wide)
        where.append(fragment)
        params.append(param)
    return source, " WHERE " + " AND ".join(where), params


def is_unfiltered(query: HistoryQuery) -> bool:
    return not (
        query.favorites_only
        or query.since is not None
        or query.session_id
        or query.request_id
        or search_terms(query.q)
    )


def list_statements(
    query: HistoryQuery, limit: int, dialect: str = "sqlite", wide: bool = False
) -> tuple[tuple[str, list[Any]], tuple[str, list[Any]]]:
    """(page SQL, params) fetching `limit + 1` rows, and (count SQL, params).

    The unfiltered total comes from the trigger-kept counter: O(1) at any size. Filtered totals
    count the matching rows through the filter's index."""
    source, where, params = filter_clause(query, dialect, wide)
    count_params = [] if is_unfiltered(query) else params
    if is_unfiltered(query):
        count_sql = COUNT_VISIBLE
    elif dialect == "sqlite" and only_search(query):
        count_sql, count_params = COUNT_FTS, [fts_match(search_terms(query.q))]
    else:
        count_sql = f"SELECT COUNT(*) FROM {source}{where}"
    page_where, page_params = where, list(params)
    if query.before is not None:
        if query.before_filename:
            page_where += " AND (m.created_at, m.filename) < (?, ?)"
            page_params += [query.before, query.before_filename]
        else:
            page_where += " AND m.created_at < ?"
            page_params.append(query.before)
    page_sql = f"SELECT {SELECT_M_COLUMNS} FROM {source}{page_where}{ORDER} LIMIT ?"
    page_params.append(limit + 1)
    return (page_sql, page_params), (count_sql, count_params)
