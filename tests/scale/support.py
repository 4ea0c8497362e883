"""Helpers of the scale suite: jobs in the JetStream registry, each gateway's event stream."""

from __future__ import annotations

import json
from typing import Any

import httpx
import nats
from nats.aio.client import Client
from nats.js.errors import KeyNotFoundError

from ima2_common import events
from ima2_common.inflight import job_key
from tests.image_support import inflight_ids
from tests.scale.conftest import Scaled

HANG = {"upstream": "openai", "path": "/responses", "mode": "hang", "count": 0}


def node_body(request_id: str, **extra: Any) -> dict[str, Any]:
    return {"prompt": "scale", "provider": "api", "requestId": request_id, **extra}


async def start_async(client: httpx.AsyncClient, request_id: str) -> httpx.Response:
    return await client.post("/api/node/generate", json=node_body(request_id, **{"async": True}))


def code_of(response: httpx.Response) -> str:
    body = response.json()
    return str(body["error"]["code"] if isinstance(body.get("error"), dict) else body["code"])


class Registry:
    """Reads the jobs bucket straight from the NATS cluster (through every listed server)."""

    def __init__(self, scaled: Scaled) -> None:
        self.servers = list(scaled.stack.info["stack"]["natsServers"])
        self.nc: Client | None = None

    async def __aenter__(self) -> Registry:
        self.nc = await nats.connect(self.servers, max_reconnect_attempts=-1, reconnect_time_wait=0.2)
        self.js = self.nc.jetstream(timeout=5)
        self.jobs = await self.js.key_value(events.JOBS_BUCKET)
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self.nc is not None:
            await self.nc.close()

    async def record(self, request_id: str) -> dict[str, Any] | None:
        try:
            entry = await self.jobs.get(job_key(request_id))
        except KeyNotFoundError:
            return None
        return json.loads(entry.value) if entry.value else None

    async def owner_pid(self, request_id: str) -> int | None:
        record = await self.record(request_id)
        if not record:
            return None
        return int(str(record["owner"]).rsplit(":", 1)[1])


async def idle(client: httpx.AsyncClient) -> bool:
    return not await inflight_ids(client)


async def cancel_all(client: httpx.AsyncClient) -> None:
    for request_id in await inflight_ids(client):
        await client.delete(f"/api/inflight/{request_id}")
