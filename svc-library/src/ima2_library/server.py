"""svc-library process: wiring and lifecycle.

Start-up order: open the database (migrations) → make sure one session exists → reconcile the
generated dir against the index → serve gRPC (health SERVING) → render missing thumbnails in
the background. Shutdown: health NOT_SERVING, drain RPCs, stop the backfill, close the database.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass

from ima2_common.grpc_server import GrpcServer, wait_for_shutdown_signal
from ima2_common.logging import log_fields, setup_logging
from ima2_common.settings import Settings
from ima2_library.agent.agent_servicer import AgentStoreServicer
from ima2_library.agent.agent_store import AgentStore
from ima2_library.annotations import AnnotationStore
from ima2_library.cardnews_files import CardNewsFiles
from ima2_library.db.database import Database
from ima2_library.db.factory import create_database
from ima2_library.history.history_base import HistoryStoreBase
from ima2_library.history.history_store import HistorySqlStore
from ima2_library.library import MediaLibrary
from ima2_library.media.store import MediaFileStore
from ima2_library.prompts.prompts_store import PromptStore
from ima2_library.reconcile import BackfillResult, ReconcileResult
from ima2_library.servicer import LibraryServicer
from ima2_library.sessions.sessions_store import SessionStore
from ima2_proto.v1 import agent_pb2, agent_pb2_grpc, library_pb2, library_pb2_grpc

log = logging.getLogger("ima2.library.server")

SERVICE_NAME = library_pb2.DESCRIPTOR.services_by_name["LibraryService"].full_name
AGENT_SERVICE_NAME = agent_pb2.DESCRIPTOR.services_by_name["AgentStore"].full_name


@dataclass
class RunningLibrary:
    settings: Settings
    grpc: GrpcServer
    library: MediaLibrary
    database: Database
    history: HistoryStoreBase
    sessions: SessionStore
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
        await self.database.close()


async def start(settings: Settings, *, reconcile: bool = True, backfill: bool = True) -> RunningLibrary:
    database = create_database(settings)
    await database.start()
    history = HistorySqlStore(database)
    sessions = SessionStore(database)
    files = MediaFileStore(settings.generated_path, settings.version)
    library = MediaLibrary(settings, files, history, sessions)
    try:
        made = await sessions.ensure_default_session()
        if made is not None:
            log.info("default_session_created", extra=log_fields(sessionId=made.id))
        reconciled = await library.reconcile() if reconcile else None
        server = GrpcServer("svc-library", settings.listen_address(settings.library_addr))
        servicer = LibraryServicer(
            library,
            sessions,
            AnnotationStore(database),
            PromptStore(database),
            CardNewsFiles(settings.generated_path),
        )
        library_pb2_grpc.add_LibraryServiceServicer_to_server(servicer, server.server)
        agent_pb2_grpc.add_AgentStoreServicer_to_server(
            AgentStoreServicer(AgentStore(database)), server.server
        )
        await server.start([SERVICE_NAME, AGENT_SERVICE_NAME])
    except BaseException:
        library.close()
        await database.close()
        raise
    log.info("library_started", extra=log_fields(database=database.dialect))
    task = None
    if backfill:
        task = asyncio.create_task(_backfill(library, reconciled), name="library-thumbnail-backfill")
    return RunningLibrary(settings, server, library, database, history, sessions, task)


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
