"""The gateway application factory."""

import contextlib
import logging
from collections.abc import AsyncIterator

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from ima2_common.errors import Ima2Error
from ima2_common.grpc_client import ServiceClient
from ima2_common.inflight import InflightView
from ima2_common.nats_failover import failover_jetstream
from ima2_common.nats_util import connect, ensure_events_stream, jobs_bucket, previews_store, terminal_bucket
from ima2_common.settings import Settings
from ima2_gateway import access, openapi
from ima2_gateway.context import Gateway, Services
from ima2_gateway.errors import error_response
from ima2_gateway.events_mux import EventMultiplexer
from ima2_gateway.media_refs import MediaInliner
from ima2_gateway.middleware import RequestContextMiddleware
from ima2_gateway.routes import (
    agent,
    annotations,
    auth_switch,
    billing,
    canvas_versions,
    cardnews,
    comfy,
    edit,
    events,
    generate,
    grok_planner,
    health,
    history,
    inflight,
    keys,
    media,
    metadata,
    multimode,
    node_generate,
    node_read,
    prompt_builder,
    prompt_import,
    prompts,
    provider_status,
    sessions,
    storage,
    video,
)
from ima2_gateway.routes.docs import mount_docs
from ima2_gateway.routes.web import mount_web
from ima2_proto.v1 import agent_pb2_grpc, auth_pb2_grpc, image_pb2_grpc, library_pb2_grpc, video_pb2_grpc

log = logging.getLogger("ima2.gateway")


@contextlib.asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings: Settings = app.state.settings
    nc = await connect(settings.nats_url, "gateway")
    js = failover_jetstream(nc)
    await ensure_events_stream(js, settings.nats_replicas)
    registry = InflightView(
        await jobs_bucket(js, settings.nats_replicas), await terminal_bucket(js, settings.nats_replicas)
    )
    media = MediaInliner(settings.generated_path, await previews_store(js, settings.nats_replicas))
    mux = EventMultiplexer(js, settings.sse_max_listeners, settings.sse_ping_seconds, media)
    await mux.start()
    services = Services(
        image=ServiceClient("image", settings.image_addr, image_pb2_grpc.ImageServiceStub),
        video=ServiceClient("video", settings.video_addr, video_pb2_grpc.VideoServiceStub),
        library=ServiceClient("library", settings.library_addr, library_pb2_grpc.LibraryServiceStub),
        auth=ServiceClient("auth", settings.auth_addr, auth_pb2_grpc.AuthServiceStub),
        agent_store=ServiceClient("library", settings.library_addr, agent_pb2_grpc.AgentStoreStub),
        agent=ServiceClient("image", settings.image_addr, agent_pb2_grpc.AgentServiceStub),
    )
    gw = Gateway(
        settings=settings, services=services, nc=nc, js=js, registry=registry, events=mux, media=media
    )
    app.state.gateway = gw
    try:
        yield
    finally:
        await mux.stop()
        comfy_exporter = getattr(app.state, "comfy_exporter", None)
        if comfy_exporter is not None:
            await comfy_exporter.http.aclose()
        prompt_importer = getattr(app.state, "prompt_importer", None)
        if prompt_importer is not None:
            await prompt_importer.github.http.aclose()
        for client in services.clients():
            await client.close()
        with contextlib.suppress(Exception):
            await nc.drain()


def create_app(settings: Settings) -> FastAPI:
    app = FastAPI(
        title="ima2",
        version=settings.version,
        lifespan=lifespan,
        docs_url=None,  # served by routes.docs, from vendored assets
        openapi_url="/api/openapi.json",
        redoc_url=None,
    )
    app.state.settings = settings
    access.install(app, settings)  # inside the request-id middleware: refusals carry the request id
    app.add_middleware(RequestContextMiddleware, body_limit=settings.body_limit_bytes)

    @app.exception_handler(Ima2Error)
    async def domain_error(request: Request, exc: Ima2Error) -> JSONResponse:
        return error_response(exc, request)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        return error_response(Ima2Error("INVALID_REQUEST", "The request is not valid."), request)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "NOT_FOUND", 405: "NOT_FOUND"}.get(exc.status_code, "INVALID_REQUEST")
        return error_response(Ima2Error(code, status=exc.status_code), request, family="nested")

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.error("unhandled error", exc_info=exc)
        return error_response(Ima2Error("INTERNAL_ERROR"), request)

    routers = (
        health,
        generate,
        inflight,
        events,
        history,
        media,
        edit,
        node_generate,
        multimode,
        provider_status,
        grok_planner,
        keys,
        auth_switch,
        billing,
        sessions,
        node_read,
        annotations,
        canvas_versions,
        prompts,
        storage,
        metadata,
        video,
        prompt_builder,
        comfy,
        prompt_import,
        agent,
    )
    for module in routers:
        app.include_router(module.router)
    # features.cardNews: the routes exist only when it is on; the API document always describes them
    if settings.card_news:
        app.include_router(cardnews.router)
    mount_docs(app, "/api/openapi.json")
    mount_web(app, settings.web_dir)
    openapi.install(app, documented=() if settings.card_news else cardnews.router.routes)
    return app
