"""Records, queries and pages of the media index. Plain data, no storage code."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from ima2_common import limits

MediaStatus = Literal["ok", "missing"]
STATUS_OK: MediaStatus = "ok"
STATUS_MISSING: MediaStatus = "missing"


@dataclass(slots=True)
class HistoryRecord:
    """One indexed media file. `metadata` is the sidecar object."""

    filename: str
    created_at: int
    media_type: str
    mime: str
    size_bytes: int
    kind: str = ""
    session_id: str | None = None
    node_id: str | None = None
    client_node_id: str | None = None
    request_id: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    has_thumb: bool = False
    status: MediaStatus = STATUS_OK
    is_favorite: bool = False  # for the browser id of the query that loaded it


@dataclass(frozen=True, slots=True)
class IndexState:
    """What reconcile needs to know about a row without loading its metadata."""

    filename: str
    status: MediaStatus
    has_thumb: bool
    media_type: str


@dataclass(frozen=True, slots=True)
class HistoryCursor:
    before: int
    before_filename: str


@dataclass(frozen=True, slots=True)
class HistoryQuery:
    """A history page request. Order is always created_at DESC, filename DESC.

    `browser_id` marks the favourites of that browser; `favorites_only` keeps only them (none
    without a browser id). `q` keeps rows whose prompt matches (full-text, word prefixes).
    `group_by="session"` groups the page by session (done by the library).
    """

    limit: int = limits.HISTORY_DEFAULT_PAGE
    before: int | None = None
    before_filename: str = ""
    since: int | None = None
    session_id: str = ""
    request_id: str = ""
    favorites_only: bool = False
    browser_id: str = ""
    group_by: str = ""
    q: str = ""  # prompt search: every word must start a word of the prompt

    @staticmethod
    def clamp_limit(limit: int | None) -> int:
        if not limit or limit <= 0:
            return limits.HISTORY_DEFAULT_PAGE
        return min(limit, limits.HISTORY_MAX_PAGE)


@dataclass(slots=True)
class SessionGroup:
    session_id: str
    title: str | None
    label: str
    last_used_at: int
    items: list[HistoryRecord] = field(default_factory=list)


@dataclass(slots=True)
class HistoryPage:
    items: list[HistoryRecord]
    total: int
    next_cursor: HistoryCursor | None = None
    groups: list[SessionGroup] | None = None  # groupBy=session: sessions of the page
    loose: list[HistoryRecord] | None = None  # groupBy=session: items without a session
