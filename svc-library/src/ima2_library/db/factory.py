"""Pick the database from settings: SQLite under IMA2_HOME, PostgreSQL when IMA2_DATABASE_URL is set."""

from __future__ import annotations

from ima2_common.settings import Settings
from ima2_library.db.database import Database
from ima2_library.db.sqlite_database import SqliteDatabase


def create_database(settings: Settings) -> Database:
    if settings.database_url:
        from ima2_library.db.postgres_database import PostgresDatabase

        return PostgresDatabase(settings.database_url)
    return SqliteDatabase(settings.sqlite_path)
