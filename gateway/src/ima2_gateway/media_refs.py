"""Media references in job events become the spec's data URLs here, once per event.

Services store media first (final images in the library's folder, previews in a short-lived
object store) and publish references; the gateway reads the bytes and encodes them once for
each event it forwards, whatever the number of listeners.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

from nats.js.object_store import ObjectStore
from starlette.concurrency import run_in_threadpool

from ima2_common import events
from ima2_common.errors import Ima2Error
from ima2_common.job_events import JobEvent, MediaRef, WithMedia, parse_event
from ima2_common.logging import log_fields
from ima2_common.media import to_data_url
from ima2_gateway.media_files import resolve_media
from ima2_gateway.sse import frame

log = logging.getLogger("ima2.gateway.media")


def _read_stored(root: Path, name: str) -> bytes | None:
    try:
        path, _ = resolve_media(root, name)
        return path.read_bytes()
    except (Ima2Error, OSError):
        return None  # deleted since: the event goes out without its image


class MediaInliner:
    def __init__(self, root: Path, previews: ObjectStore) -> None:
        self.root = root
        self.previews = previews

    async def _bytes(self, ref: MediaRef) -> bytes | None:
        if ref.file:
            return await run_in_threadpool(_read_stored, self.root, ref.file)
        if ref.preview:
            try:
                return (await self.previews.get(ref.preview)).data
            except Exception as exc:
                log.warning("preview unavailable", extra=log_fields(error=type(exc).__name__))
        return None

    async def _data_url(self, ref: MediaRef) -> str | None:
        data = await self._bytes(ref)
        return to_data_url(data, ref.mime) if data else None

    async def inline(self, event: JobEvent) -> JobEvent:
        """Replace the event's media references (in place) by `image` data URLs."""
        if isinstance(event, WithMedia) and event.mediaRef is not None:
            event.image = await self._data_url(event.mediaRef)
            event.mediaRef = None
        for entry in getattr(event, "images", None) or []:
            raw = entry.pop(events.MEDIA_REF, None)
            if isinstance(raw, dict):
                image = await self._data_url(MediaRef.model_validate(raw))
                if image:
                    entry["image"] = image
        return event

    async def frame(self, event: str, raw: bytes, event_id: int | None) -> bytes:
        """The SSE frame of one event, with its images inlined (raw bytes pass through untouched)."""
        if events.MEDIA_REF_MARK not in raw:
            return frame(event, raw, event_id)
        inlined = await self.inline(parse_event(event, json.loads(raw)))
        return frame(event, inlined.to_json(), event_id)
