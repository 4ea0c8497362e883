"""The media index contract. Callers depend on this ABC only; `HistorySqlStore` implements it
on any `Database` (SQLite or PostgreSQL)."""

from __future__ import annotations

import builtins
from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence

from ima2_library.history.history_common import (
    HistoryPage,
    HistoryQuery,
    HistoryRecord,
    IndexState,
    MediaStatus,
)


class HistoryStoreBase(ABC):
    """Async API over the media index and the per-browser favourites."""

    @abstractmethod
    async def upsert(self, record: HistoryRecord) -> None:
        """Insert or replace the row for `record.filename`."""

    @abstractmethod
    async def upsert_many(self, records: Iterable[HistoryRecord], batch_size: int = 1000) -> int:
        """Bulk insert-or-replace in batched transactions; returns the number of rows written."""

    @abstractmethod
    async def delete(self, filename: str) -> bool:
        """Drop the row of a file that was deleted or moved to the trash."""

    @abstractmethod
    async def get(self, filename: str) -> HistoryRecord | None: ...

    @abstractmethod
    async def get_by_node(self, node_id: str) -> HistoryRecord | None:
        """The newest visible row whose node id is `node_id`."""

    @abstractmethod
    async def list(self, query: HistoryQuery) -> HistoryPage: ...

    @abstractmethod
    async def count_visible(self) -> int:
        """Rows with status `ok`."""

    @abstractmethod
    async def index_states(self) -> builtins.list[IndexState]:  # `list` is a method here
        """Every row's filename, status, has_thumb and media type (for reconcile)."""

    @abstractmethod
    async def set_status(self, filenames: Sequence[str], status: MediaStatus) -> int: ...

    @abstractmethod
    async def set_has_thumb(self, filenames: Sequence[str], has_thumb: bool) -> int: ...

    @abstractmethod
    async def toggle_favorite(self, browser_id: str, filename: str, now_ms: int) -> bool:
        """Flip the favourite of `filename` for `browser_id`; returns the new state."""
