"""Pick the index backend from settings: SQLite under IMA2_HOME, PostgreSQL when a URL is set."""

from __future__ import annotations

from ima2_common.settings import Settings
from ima2_library.db.sqlite_database import SqliteDatabase
from ima2_library.history.history_base import HistoryStoreBase
from ima2_library.history.history_sqlite import HistorySqliteStore


def create_history_store(settings: Settings) -> HistoryStoreBase:
    if settings.database_url:
        # The PostgreSQL store (psycopg 3, history_postgres.py) plugs in here.
        raise RuntimeError("IMA2_DATABASE_URL is set but the PostgreSQL history store is not available yet")
    return HistorySqliteStore(SqliteDatabase(settings.sqlite_path))
