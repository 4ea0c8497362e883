"""`python -m ima2_library.backfill [--json]`: render missing thumbnails without a running server.

This is what `ima2 backfill-thumbs --offline` runs: the same reconcile and backfill the service
does at start-up, on the data dir of IMA2_HOME, then one result line (JSON with --json).
"""

from __future__ import annotations

import argparse
import asyncio
import json
from dataclasses import asdict

from ima2_common.settings import Settings
from ima2_library.db.factory import create_database
from ima2_library.history.history_store import HistorySqlStore
from ima2_library.library import MediaLibrary
from ima2_library.media.store import MediaFileStore
from ima2_library.reconcile import BackfillResult
from ima2_library.sessions.sessions_store import SessionStore


async def run(settings: Settings) -> BackfillResult:
    database = create_database(settings)
    await database.start()
    files = MediaFileStore(settings.generated_path, settings.version)
    library = MediaLibrary(settings, files, HistorySqlStore(database), SessionStore(database))
    try:
        return await library.backfill(await library.reconcile())
    finally:
        library.close()
        await database.close()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m ima2_library.backfill")
    parser.add_argument("--json", action="store_true", help="print the result as one JSON line")
    args = parser.parse_args()
    result = asdict(asyncio.run(run(Settings())))
    if args.json:
        print(json.dumps({"ok": True, **result}))
    else:
        print(
            f"thumbnails: {result['created']} created, {result['skipped']} skipped, "
            f"{result['failed']} failed, of {result['total']}"
        )


if __name__ == "__main__":
    main()
