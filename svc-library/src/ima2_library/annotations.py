"""Per-browser canvas annotations of a generated file: `{paths, boxes, memos}`, size-capped."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from ima2_common import limits
from ima2_common.errors import Ima2Error
from ima2_library.db.database import Database


@dataclass(slots=True)
class AnnotationRecord:
    filename: str
    browser_id: str
    payload: dict[str, Any] | None
    updated_at: int = 0


def normalize_payload(value: Any) -> tuple[dict[str, Any], str]:
    """The reference accepts the object itself or `{annotations: {...}}`; lists default to []."""
    payload = value.get("annotations", value) if isinstance(value, dict) else value
    if not isinstance(payload, dict):
        raise Ima2Error("INVALID_ANNOTATION", "annotations payload is required")
    normalized = {
        key: payload[key] if isinstance(payload.get(key), list) else [] for key in ("paths", "boxes", "memos")
    }
    try:
        text = json.dumps(normalized, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    except ValueError:
        raise Ima2Error("INVALID_ANNOTATION") from None
    if len(text) > limits.ANNOTATION_MAX_CHARS:
        raise Ima2Error("ANNOTATION_TOO_LARGE", "annotations payload is too large")
    return normalized, text


class AnnotationStore:
    def __init__(self, database: Database) -> None:
        self.db = database

    async def get(self, browser_id: str, filename: str) -> AnnotationRecord:
        row = await self.db.fetchone(
            "SELECT payload, updated_at FROM annotations WHERE browser_id = ? AND filename = ?",
            (browser_id, filename),
        )
        if row is None:
            return AnnotationRecord(filename, browser_id, None)
        try:
            payload = json.loads(row[0])
        except ValueError:
            payload = None
        return AnnotationRecord(
            filename, browser_id, payload if isinstance(payload, dict) else None, int(row[1])
        )

    async def put(self, browser_id: str, filename: str, value: Any) -> AnnotationRecord:
        payload, text = normalize_payload(value)
        stamp = int(time.time() * 1000)
        await self.db.execute(
            "INSERT INTO annotations (browser_id, filename, payload, updated_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (browser_id, filename) DO UPDATE SET payload = excluded.payload, "
            "updated_at = excluded.updated_at",
            (browser_id, filename, text, stamp),
        )
        return AnnotationRecord(filename, browser_id, payload, stamp)

    async def delete(self, browser_id: str, filename: str) -> bool:
        return (
            await self.db.execute(
                "DELETE FROM annotations WHERE browser_id = ? AND filename = ?", (browser_id, filename)
            )
            > 0
        )
