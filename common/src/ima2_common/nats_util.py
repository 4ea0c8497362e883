"""NATS connection, the events stream and the job buckets."""

from __future__ import annotations

import logging

import nats
from nats.aio.client import Client
from nats.js import JetStreamContext
from nats.js.api import DiscardPolicy, KeyValueConfig, ObjectStoreConfig, StorageType, StreamConfig
from nats.js.errors import BadRequestError
from nats.js.kv import KeyValue
from nats.js.object_store import ObjectStore

from ima2_common import events, limits
from ima2_common.logging import log_fields

log = logging.getLogger("ima2.nats")


def server_list(url: str) -> list[str]:
    """`IMA2_NATS_URL` may list every node of a cluster, comma-separated."""
    return [part.strip() for part in url.split(",") if part.strip()]


async def connect(url: str, name: str) -> Client:
    """Connect, reconnecting forever: a NATS restart must not end a service.

    With several servers listed the client fails over to the next one (and learns the rest of
    the cluster from the server it reaches)."""

    async def on_error(exc: Exception) -> None:
        log.warning("nats error", extra=log_fields(error=type(exc).__name__))

    async def on_disconnect() -> None:
        log.warning("nats disconnected")

    async def on_reconnect() -> None:
        log.info("nats reconnected")

    return await nats.connect(
        server_list(url),
        name=name,
        max_reconnect_attempts=-1,
        reconnect_time_wait=0.5,
        connect_timeout=2,
        allow_reconnect=True,
        error_cb=on_error,
        disconnected_cb=on_disconnect,
        reconnected_cb=on_reconnect,
    )


def events_stream_config(replicas: int = 1) -> StreamConfig:
    return StreamConfig(
        name=events.EVENTS_STREAM,
        subjects=[f"{events.EVENTS_SUBJECT_PREFIX}.>"],
        max_msgs=limits.SSE_REPLAY_EVENTS,
        max_bytes=limits.SSE_REPLAY_MAX_BYTES,
        max_msg_size=limits.NATS_MAX_PAYLOAD,
        discard=DiscardPolicy.OLD,
        storage=StorageType.FILE,
        num_replicas=replicas,
    )


async def ensure_events_stream(js: JetStreamContext, replicas: int = 1) -> None:
    config = events_stream_config(replicas)
    try:
        await js.add_stream(config)
    except BadRequestError:
        await js.update_stream(config)


async def bucket_keys(kv: KeyValue) -> list[str]:
    """The keys of a KV bucket, from the stream's own subject list in one request.

    nats-py's `KeyValue.keys()` decides it has seen every key from a race between its watcher and
    a consumer-info call: with a few listings at once it answers early about one time in ten, and
    the listing misses keys. Keys whose last entry is a delete marker are listed too."""
    prefix = kv._pre  # the client keeps the bucket's subject prefix and stream name private
    info = await kv._js.stream_info(kv._stream, subjects_filter=prefix + ">")
    return [subject[len(prefix) :] for subject in info.state.subjects or {}]


async def jobs_bucket(js: JetStreamContext, replicas: int = 1) -> KeyValue:
    return await js.create_key_value(KeyValueConfig(bucket=events.JOBS_BUCKET, history=1, replicas=replicas))


async def config_bucket(js: JetStreamContext, replicas: int = 1) -> KeyValue:
    return await js.create_key_value(
        KeyValueConfig(bucket=events.CONFIG_BUCKET, history=1, replicas=replicas)
    )


async def terminal_bucket(js: JetStreamContext, replicas: int = 1) -> KeyValue:
    return await js.create_key_value(
        KeyValueConfig(
            bucket=events.TERMINAL_BUCKET, history=1, ttl=limits.TERMINAL_JOB_TTL_SECONDS, replicas=replicas
        )
    )


async def previews_store(js: JetStreamContext, replicas: int = 1) -> ObjectStore:
    config = ObjectStoreConfig(
        ttl=limits.PREVIEW_TTL_SECONDS, max_bytes=limits.PREVIEWS_MAX_BYTES, replicas=replicas
    )
    return await js.create_object_store(events.PREVIEWS_BUCKET, config=config)  # this client wants both


SWITCH_BUCKET = "ima2_auth_switch"  # svc-auth's account-switch sessions
SWITCH_TTL_SECONDS = 3600  # a session left behind by a replica that died goes away on its own


async def switch_bucket(js: JetStreamContext, replicas: int = 1) -> KeyValue:
    return await js.create_key_value(
        KeyValueConfig(bucket=SWITCH_BUCKET, history=1, ttl=SWITCH_TTL_SECONDS, replicas=replicas)
    )
