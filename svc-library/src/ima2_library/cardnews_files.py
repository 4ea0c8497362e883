"""Card news files: `generated/cardnews/<setId>/manifest.json` and `card-NN.<ext>`, written atomically.

The set id and the file name are checked against the shared patterns and the resolved path must
stay inside the card news folder, so a request can never write anywhere else.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from ima2_common import cardnews
from ima2_common.errors import Ima2Error
from ima2_common.files import write_atomic

MAX_FILE_BYTES = 64 * 1024 * 1024


class CardNewsFiles:
    def __init__(self, generated_dir: Path) -> None:
        self.root = (generated_dir / cardnews.DIR_NAME).resolve()

    def path_of(self, set_id: str, name: str) -> Path:
        cardnews.check_set_id(set_id)
        if name != cardnews.MANIFEST_NAME and not cardnews.CARD_FILE_RE.match(name):
            raise Ima2Error("INVALID_FILENAME")
        path = (self.root / set_id / name).resolve()
        if path.parent.parent != self.root:
            raise Ima2Error("INVALID_FILENAME")
        return path

    async def write(self, set_id: str, name: str, data: bytes) -> None:
        if len(data) > MAX_FILE_BYTES:
            raise Ima2Error("CARD_NEWS_BAD_REQUEST", "The card news file is too large.")
        path = self.path_of(set_id, name)
        await asyncio.to_thread(write_atomic, path, data)
