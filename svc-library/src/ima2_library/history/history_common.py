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

    `favorites_only`, `browser_id` and `group_by` are part of the shape but not applied yet.
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

    @staticmethod
    def clamp_limit(limit: int | None) -> int:
        if not limit or limit <= 0:
            return limits.HISTORY_DEFAULT_PAGE
        return min(limit, limits.HISTORY_MAX_PAGE)


@dataclass(slots=True)
class HistoryPage:
    items: list[HistoryRecord]
    total: int
    next_cursor: HistoryCursor | None = None
