"""config.json: the saved keys and the Gemini auth mode (mode 0600, atomic writes).

The file is re-read whenever it changes on disk (mtime, size or inode), so an edit by hand or by
another process is seen at once. A corrupt file is reported (`corrupt`) and never overwritten:
writes fail with CONFIG_CORRUPT until it is fixed or removed.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import threading
from pathlib import Path
from typing import Any

from ima2_common.errors import Ima2Error
from ima2_common.files import write_json_atomic
from ima2_common.logging import log_fields

log = logging.getLogger("ima2.auth.config")

Stamp = tuple[int, int, int] | None


def _stamp(path: Path) -> Stamp:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return (st.st_mtime_ns, st.st_size, st.st_ino)


class ConfigStore:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.corrupt = False
        self._lock = threading.Lock()
        self._data: dict[str, Any] = {}
        self._stamp: Stamp = None
        self._loaded = False
        with self._lock:
            self._refresh()

    # -- sync core (called through asyncio.to_thread from async code) ----------------------------
    def _refresh(self) -> None:
        stamp = _stamp(self.path)
        if self._loaded and stamp == self._stamp:
            return
        self._loaded = True
        self._stamp = stamp
        self.corrupt = False
        if stamp is None:
            self._data = {}
            return
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            self._data, self._stamp = {}, None
            return
        except (json.JSONDecodeError, UnicodeDecodeError):
            data = None
        if not isinstance(data, dict):
            self.corrupt = True
            self._data = {}
            log.error(
                "config.json is not a JSON object; it is left untouched",
                extra=log_fields(path=str(self.path)),
            )
            return
        self._data = data

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            self._refresh()
            return dict(self._data)

    def is_corrupt(self) -> bool:
        with self._lock:
            self._refresh()
            return self.corrupt

    def update(self, changes: dict[str, Any]) -> bool:
        """Apply changes (None deletes) and persist atomically with mode 0600.

        Returns whether anything changed; nothing is written when nothing did."""
        with self._lock:
            self._refresh()
            if self.corrupt:
                raise Ima2Error("CONFIG_CORRUPT")
            data = dict(self._data)
            for key, value in changes.items():
                if value is None:
                    data.pop(key, None)
                else:
                    data[key] = value
            if data == self._data and self._stamp is not None:
                return False
            write_json_atomic(self.path, data, mode=0o600)
            self._data = data
            self._stamp = _stamp(self.path)
            return True

    # -- async facade ------------------------------------------------------------------------------
    async def aget_all(self) -> dict[str, Any]:
        return await asyncio.to_thread(self.snapshot)

    async def acorrupt(self) -> bool:
        return await asyncio.to_thread(self.is_corrupt)

    async def aupdate(self, changes: dict[str, Any]) -> bool:
        return await asyncio.to_thread(self.update, changes)
