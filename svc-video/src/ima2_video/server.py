"""svc-video process: wiring and lifecycle."""

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
from ima2_jobs.registry import JobRegistry
from ima2_jobs.runner import JobRunner
from ima2_proto.v1 import auth_pb2_grpc, library_pb2_grpc, video_pb2, video_pb2_grpc
from ima2_video.credentials import AuthServiceCredentials
from ima2_video.inputs import MediaReader
from ima2_video.jobs import VideoJobs
from ima2_video.jobs_common import VideoDeps
from ima2_video.planner_model import PlannerModelSource
from ima2_video.poller import PollPolicy, VideoPoller
from ima2_video.servicer import VideoServicer
from ima2_video.tools import VideoTools
from ima2_video.upstream import UpstreamFactory


def poll_policy(settings: Settings) -> PollPolicy:
    return PollPolicy(
        interval=settings.video_poll_interval_seconds,
        budget=settings.video_poll_budget_seconds,
        stall=settings.video_stall_seconds,
    )


async def serve(settings: Settings) -> None:
    setup_logging("svc-video", settings.logs_dir, settings.log_level, settings.log_json_stderr)
    nc = await connect(settings.nats_url, "svc-video")
    js = failover_jetstream(nc)
    await ensure_events_stream(js, settings.nats_replicas)
    registry = JobRegistry(
        await jobs_bucket(js, settings.nats_replicas),
        await terminal_bucket(js, settings.nats_replicas),
        settings.max_parallel,
        settings.job_lease_seconds,
    )
    runner = JobRunner("svc-video", nc, js, registry, await previews_store(js, settings.nats_replicas))
    await runner.start()
    library = ServiceClient("library", settings.library_addr, library_pb2_grpc.LibraryServiceStub)
    auth = ServiceClient("auth", settings.auth_addr, auth_pb2_grpc.AuthServiceStub)
    http = httpx.AsyncClient(limits=httpx.Limits(max_connections=100, max_keepalive_connections=20))
    upstreams = UpstreamFactory(settings, http, AuthServiceCredentials(auth))
    planner_models = PlannerModelSource(
        await config_bucket(js, settings.nats_replicas), settings.grok_planner_model
    )
    deps = VideoDeps(
        runner,
        library,
        upstreams,
        planner_models,
        VideoPoller(poll_policy(settings)),
        settings.video_ffmpeg_timeout_seconds,
    )
    tools = VideoTools(MediaReader(library), upstreams, planner_models, settings.video_ffmpeg_timeout_seconds)
    server = GrpcServer("svc-video", settings.listen_address(settings.video_addr))
    video_pb2_grpc.add_VideoServiceServicer_to_server(VideoServicer(VideoJobs(deps), tools), server.server)
    await server.start([video_pb2.DESCRIPTOR.services_by_name["VideoService"].full_name])
    try:
        await wait_for_shutdown_signal()
    finally:
        await server.stop()
        await runner.stop()
        await http.aclose()
        for client in (library, auth):
            await client.close()
        with contextlib.suppress(Exception):
            await nc.drain()
