"""A JetStream context that rides out a NATS cluster failover.

When a node of a JetStream cluster dies, the streams and buckets it led have no leader for a few
seconds and the client moves to another server. JetStream calls made in that window fail fast
("no responders", 503) or time out. This context tries them again, with a growing pause, for up
to `FAILOVER_WINDOW_SECONDS`, but only where trying again cannot apply a change twice:

- API requests (stream and consumer info, KV and object-store reads, message gets) are reads or
  idempotent: any transient failure is tried again;
- a publish is tried again when no stream answered (nothing was stored), and after a timeout only
  when it carries a `Nats-Msg-Id` (the stream's duplicate window drops a second copy). Job events
  carry one, so a failover neither loses an event nor gives it two ids.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import nats.errors
from nats.aio.client import Client
from nats.js import JetStreamContext, api
from nats.js.errors import NoStreamResponseError, ServiceUnavailableError

from ima2_common.logging import log_fields

log = logging.getLogger("ima2.nats")
FAILOVER_WINDOW_SECONDS = 15.0
FIRST_PAUSE_SECONDS = 0.1
MAX_PAUSE_SECONDS = 1.0
NOT_STORED = (NoStreamResponseError, nats.errors.NoRespondersError, ServiceUnavailableError)
TRANSIENT = (*NOT_STORED, nats.errors.TimeoutError, asyncio.TimeoutError)
T = TypeVar("T")


async def with_failover(
    what: str,
    call: Callable[[], Awaitable[T]],
    retry_on: tuple[type[BaseException], ...],
    window: float = FAILOVER_WINDOW_SECONDS,
) -> T:
    deadline = time.monotonic() + window
    pause = FIRST_PAUSE_SECONDS
    attempt = 0
    while True:
        try:
            return await call()
        except retry_on as exc:
            attempt += 1
            if time.monotonic() + pause >= deadline:
                raise
            if attempt == 1:
                log.warning(
                    "jetstream unavailable; trying again", extra=log_fields(op=what, error=type(exc).__name__)
                )
            await asyncio.sleep(pause)
            pause = min(MAX_PAUSE_SECONDS, pause * 2)


class FailoverJetStream(JetStreamContext):
    async def _api_request(self, req_subject: str, req: bytes = b"", timeout: float = 5) -> dict[str, Any]:
        parent = super()._api_request
        return await with_failover("api", lambda: parent(req_subject, req, timeout), TRANSIENT)

    async def get_msg(self, *args: Any, **kwargs: Any) -> api.RawStreamMsg:
        parent = super().get_msg
        return await with_failover("get", lambda: parent(*args, **kwargs), TRANSIENT)

    async def publish(self, subject: str, payload: bytes = b"", *args: Any, **kwargs: Any) -> api.PubAck:
        headers = kwargs.get("headers") or (args[2] if len(args) > 2 else None) or {}
        retry_on = TRANSIENT if api.Header.MSG_ID in headers else NOT_STORED
        parent = super().publish
        return await with_failover("publish", lambda: parent(subject, payload, *args, **kwargs), retry_on)


def failover_jetstream(nc: Client, timeout: float = 5.0) -> JetStreamContext:
    return FailoverJetStream(nc, timeout=timeout)
