"""Saving a finished video through svc-library, with the cancel rule of every job: a result that
lands after a cancel never stays (a save in flight is let finish, then deleted)."""

from __future__ import annotations

import asyncio
import logging
import secrets
from typing import Any

from ima2_common.errors import Ima2Error
from ima2_common.grpc_client import ServiceClient
from ima2_common.logging import log_fields
from ima2_common.structs import dict_to_struct
from ima2_jobs.runner import Job
from ima2_proto.v1 import library_pb2

log = logging.getLogger("ima2.video.store")

SAVE_TIMEOUT = 120.0
DISCARD_TIMEOUT = 30.0
NAME_HEX_BYTES = 4


def new_video_name(created_at_ms: int) -> str:
    """`<ms>_<8 hex>.mp4`, the reference's generated video name (chosen here: the lineage names it)."""
    return f"{created_at_ms}_{secrets.token_hex(NAME_HEX_BYTES)}.mp4"


class VideoSaver:
    def __init__(self, library: ServiceClient, job: Job) -> None:
        self.library = library
        self.job = job
        self.saved: list[str] = []
        self._pending: asyncio.Task[library_pb2.MediaItem] | None = None

    async def save(self, data: bytes, filename: str, metadata: dict[str, Any]) -> library_pb2.MediaItem:
        self.job.raise_if_canceled()
        request = library_pb2.SaveMediaRequest(
            data=data,
            mime="video/mp4",
            kind="video",
            filename=filename,
            metadata=dict_to_struct(metadata),
            request_id=self.job.request_id,
        )
        self._pending = asyncio.create_task(self._store(request))
        item = await asyncio.shield(self._pending)
        if self.job.canceled:
            await self.discard()
            raise asyncio.CancelledError
        return item

    async def _store(self, request: library_pb2.SaveMediaRequest) -> library_pb2.MediaItem:
        item = await self.library.call("SaveMedia", request, timeout=SAVE_TIMEOUT)
        self.saved.append(item.filename)
        return item

    async def discard(self) -> None:
        if self._pending is not None and not self._pending.done():
            await asyncio.wait([self._pending], timeout=SAVE_TIMEOUT)
        while self.saved:
            filename = self.saved.pop()
            try:
                await self.library.call(
                    "DeleteHistory",
                    library_pb2.DeleteHistoryRequest(filename=filename, permanent=True),
                    timeout=DISCARD_TIMEOUT,
                )
            except Ima2Error as err:
                log.warning("canceled video not removed", extra=log_fields(filename=filename, code=err.code))
            else:
                log.info("canceled video removed", extra=log_fields(filename=filename))
