"""svc-image process: wiring and lifecycle."""

from __future__ import annotations

import contextlib

import httpx

from ima2_common.grpc_client import ServiceClient
from ima2_common.grpc_server import GrpcServer, wait_for_shutdown_signal
from ima2_common.logging import setup_logging
from ima2_common.nats_failover import failover_jetstream
from ima2_common.nats_util import (
    config_bucket,
    connect,
    ensure_events_stream,
    jobs_bucket,
    previews_store,
    terminal_bucket,
)
from ima2_common.settings import Settings
from ima2_image.agent.planner import AgentPlanner
from ima2_image.agent.runner import AgentRunner
from ima2_image.agent.servicer import AgentServicer
from ima2_image.agent.store import AgentRecordsClient
from ima2_image.cardnews_jobs import CardNewsJobs
from ima2_image.generation import ImageJobs
from ima2_image.jobs_common import JobDeps
from ima2_image.planner_config import PlannerConfigStore
from ima2_image.prompt_builder import PromptBuilder, PromptBuilderConfigStore
from ima2_image.providers.registry import ProviderRegistry
from ima2_image.servicer import ImageServicer
from ima2_image.status import ProviderStatusProbe
from ima2_image.style_sheet import StyleSheetExtractor
from ima2_jobs.registry import JobRegistry
from ima2_jobs.runner import JobRunner
from ima2_proto.v1 import (
    agent_pb2,
    agent_pb2_grpc,
    auth_pb2_grpc,
    image_pb2,
    image_pb2_grpc,
    library_pb2_grpc,
)


async def serve(settings: Settings) -> None:
    setup_logging("svc-image", settings.logs_dir, settings.log_level, settings.log_json_stderr)
    nc = await connect(settings.nats_url, "svc-image")
    js = failover_jetstream(nc)
    await ensure_events_stream(js, settings.nats_replicas)
    registry = JobRegistry(
        await jobs_bucket(js, settings.nats_replicas),
        await terminal_bucket(js, settings.nats_replicas),
        settings.max_parallel,
        settings.job_lease_seconds,
    )
    runner = JobRunner("svc-image", nc, js, registry, await previews_store(js, settings.nats_replicas))
    await runner.start()
    library = ServiceClient("library", settings.library_addr, library_pb2_grpc.LibraryServiceStub)
    auth = ServiceClient("auth", settings.auth_addr, auth_pb2_grpc.AuthServiceStub)
    agent_store = ServiceClient("library", settings.library_addr, agent_pb2_grpc.AgentStoreStub)
    http = httpx.AsyncClient(limits=httpx.Limits(max_connections=200, max_keepalive_connections=50))
    providers = ProviderRegistry(settings, http, auth)
    config_kv = await config_bucket(js, settings.nats_replicas)
    planner = PlannerConfigStore(config_kv, settings.grok_planner_model)
    deps = JobDeps(runner, library, providers, planner, settings.multimode_timeout_seconds)
    jobs = ImageJobs(deps)
    probe = ProviderStatusProbe(providers, http)
    prompt_builder = PromptBuilder(
        settings,
        http,
        providers.credentials,
        probe.status_of,
        PromptBuilderConfigStore(config_kv, settings),
    )
    server = GrpcServer("svc-image", settings.listen_address(settings.image_addr))
    image_pb2_grpc.add_ImageServiceServicer_to_server(
        ImageServicer(
            jobs,
            probe,
            planner,
            StyleSheetExtractor(settings, http, auth),
            prompt_builder,
            CardNewsJobs(deps, settings.card_news_concurrency),
        ),
        server.server,
    )
    agent_runner = AgentRunner(deps, AgentRecordsClient(agent_store), AgentPlanner(prompt_builder))
    agent_pb2_grpc.add_AgentServiceServicer_to_server(AgentServicer(agent_runner), server.server)
    await server.start(
        [
            image_pb2.DESCRIPTOR.services_by_name["ImageService"].full_name,
            agent_pb2.DESCRIPTOR.services_by_name["AgentService"].full_name,
        ]
    )
    try:
        await wait_for_shutdown_signal()
    finally:
        await server.stop()
        await runner.stop()
        await http.aclose()
        for client in (library, auth, agent_store):
            await client.close()
        with contextlib.suppress(Exception):
            await nc.drain()
