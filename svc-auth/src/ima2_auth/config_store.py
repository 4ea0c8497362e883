"""config.json: the saved keys and the Gemini auth mode (mode 0600, atomic writes).

A corrupt file is reported (`corrupt`), never silently dropped or overwritten.
"""

from __future__ import annotations

import json
import logging
import threading
from pathlib import Path
from typing import Any

from ima2_common.files import write_json_atomic
from ima2_common.logging import log_fields

log = logging.getLogger("ima2.auth.config")


class ConfigStore:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.corrupt = False
        self._lock = threading.Lock()
        self._data: dict[str, Any] = self._load()

    def _load(self) -> dict[str, Any]:
        try:
            raw = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return {}
        try:
            data = json.loads(raw)
        except json.JSONDecodeError:
            self.corrupt = True
            log.error(
                "config.json is not valid JSON; it is left untouched", extra=log_fields(path=str(self.path))
            )
            return {}
        if not isinstance(data, dict):
            self.corrupt = True
            return {}
        return data

    def get(self, key: str) -> Any:
        with self._lock:
            return self._data.get(key)

    def update(self, changes: dict[str, Any]) -> None:
        """Apply changes (None deletes) and persist atomically with mode 0600."""
        with self._lock:
            if self.corrupt:
                raise OSError("config.json is corrupt; fix or remove it first")
            data = dict(self._data)
            for key, value in changes.items():
                if value is None:
                    data.pop(key, None)
                else:
                    data[key] = value
            write_json_atomic(self.path, data, mode=0o600)
            self._data = data
