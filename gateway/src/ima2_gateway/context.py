"""Everything a route needs, built once per app in the lifespan."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from typing import Any

from fastapi import Request
from nats.aio.client import Client
from nats.js import JetStreamContext

from ima2_common.grpc_client import ServiceClient
from ima2_common.inflight import InflightView
from ima2_common.settings import Settings
from ima2_gateway.events_mux import EventMultiplexer
from ima2_gateway.media_refs import MediaInliner
from ima2_proto.v1 import agent_pb2_grpc, auth_pb2_grpc, image_pb2_grpc, library_pb2_grpc, video_pb2_grpc


@dataclass
class Services:
    image: ServiceClient[image_pb2_grpc.ImageServiceStub]
    video: ServiceClient[video_pb2_grpc.VideoServiceStub]
    library: ServiceClient[library_pb2_grpc.LibraryServiceStub]
    auth: ServiceClient[auth_pb2_grpc.AuthServiceStub]
    # Agent Mode: svc-library's AgentStore and svc-image's AgentService (their own channels).
    agent_store: ServiceClient[agent_pb2_grpc.AgentStoreStub]
    agent: ServiceClient[agent_pb2_grpc.AgentServiceStub]

    def all(self) -> dict[str, ServiceClient[Any]]:
        """One client per part (what /api/health probes)."""
        return {"image": self.image, "video": self.video, "library": self.library, "auth": self.auth}

    def clients(self) -> list[ServiceClient[Any]]:
        """Every client, to close."""
        return [*self.all().values(), self.agent_store, self.agent]


@dataclass
class Gateway:
    settings: Settings
    services: Services
    nc: Client
    js: JetStreamContext
    registry: InflightView
    events: EventMultiplexer
    media: MediaInliner
    started_at_ms: int = field(default_factory=lambda: int(time.time() * 1000))
    started_monotonic: float = field(default_factory=time.monotonic)
    pid: int = field(default_factory=os.getpid)


def gateway(request: Request) -> Gateway:
    found: Gateway = request.app.state.gateway
    return found
