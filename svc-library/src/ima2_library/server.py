"""svc-library process: wiring and lifecycle.

Start-up order: open the index (migrations) → reconcile the generated dir against it →
serve gRPC (health SERVING) → render missing thumbnails in the background. Shutdown:
health NOT_SERVING, drain RPCs, stop the backfill, close the database.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass

from ima2_common.grpc_server import GrpcServer, wait_for_shutdown_signal
from ima2_common.logging import log_fields, setup_logging
from ima2_common.settings import Settings
from ima2_library.history.factory import create_history_store
from ima2_library.history.history_base import HistoryStoreBase
from ima2_library.library import MediaLibrary
from ima2_library.media.store import MediaFileStore
from ima2_library.reconcile import BackfillResult, ReconcileResult
from ima2_library.servicer import LibraryServicer
from ima2_proto.v1 import library_pb2, library_pb2_grpc

log = logging.getLogger("ima2.library.server")

SERVICE_NAME = library_pb2.DESCRIPTOR.services_by_name["LibraryService"].full_name


@dataclass
class RunningLibrary:
    settings: Settings
    grpc: GrpcServer
    library: MediaLibrary
    history: HistoryStoreBase
    backfill_task: asyncio.Task[BackfillResult | None] | None

    @property
    def port(self) -> int:
        return self.grpc.port

    async def wait_backfill(self) -> None:
        if self.backfill_task is not None:
            await asyncio.shield(self.backfill_task)

    async def stop(self, grace: float = 5.0) -> None:
        await self.grpc.stop(grace)
        self.library.close()
        if self.backfill_task is not None and not self.backfill_task.done():
            self.backfill_task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self.backfill_task
        await self.history.close()


async def start(settings: Settings, *, reconcile: bool = True, backfill: bool = True) -> RunningLibrary:
    history = create_history_store(settings)
    await history.start()
    files = MediaFileStore(settings.generated_path, settings.version)
    library = MediaLibrary(settings, files, history)
    try:
        reconciled = await library.reconcile() if reconcile else None
        server = GrpcServer("svc-library", settings.listen_address(settings.library_addr))
        library_pb2_grpc.add_LibraryServiceServicer_to_server(LibraryServicer(library), server.server)
        await server.start([SERVICE_NAME])
    except BaseException:
        library.close()
        await history.close()
        raise
    task = None
    if backfill:
        task = asyncio.create_task(_backfill(library, reconciled), name="library-thumbnail-backfill")
    return RunningLibrary(settings, server, library, history, task)


async def _backfill(library: MediaLibrary, reconciled: ReconcileResult | None) -> BackfillResult | None:
    try:
        return await library.backfill(reconciled)
    except asyncio.CancelledError:
        raise
    except Exception as exc:
        log.error("thumbnail_backfill_failed", exc_info=exc, extra=log_fields())
        return None


async def serve(settings: Settings) -> None:
    setup_logging("svc-library", settings.logs_dir, settings.log_level, settings.log_json_stderr)
    running = await start(settings)
    try:
        await wait_for_shutdown_signal()
    finally:
        await running.stop()
