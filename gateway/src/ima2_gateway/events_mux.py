"""The /api/events multiplexer: one JetStream consumer per gateway, fanned out to every listener.

Event ids are the JetStream stream sequence, so every gateway replica serves the same ids and
the same replay. The stream itself is the replay ring (bounded to 2000 events). Each listener
has a bounded queue; a listener that falls behind stops receiving live frames and catches up
from the stream instead, so a slow client never stalls the others.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import ConsumerConfig, DeliverPolicy

from ima2_common import events, limits
from ima2_common.errors import Ima2Error
from ima2_common.logging import log_fields
from ima2_gateway.media_refs import MediaInliner
from ima2_gateway.sse import PING, frame

log = logging.getLogger("ima2.gateway.events")
SUBJECT = f"{events.EVENTS_SUBJECT_PREFIX}.>"
REPLAY_READ_TIMEOUT = 5.0
WATCHDOG_SECONDS = 5.0


@dataclass(frozen=True)
class StreamBounds:
    first: int
    last: int


def _event_name(msg: Msg) -> str:
    return (msg.headers or {}).get(events.HEADER_EVENT, "message")


def replay_frame(msg: Msg) -> bytes:
    payload = events.strip_images_for_replay(json.loads(msg.data))
    return frame(_event_name(msg), payload, msg.metadata.sequence.stream)


class Listener:
    def __init__(self) -> None:
        self.queue: asyncio.Queue[tuple[int, bytes]] = asyncio.Queue(limits.SSE_LISTENER_QUEUE)
        self.lagging = False
        self.last_seq = 0

    def offer(self, seq: int, data: bytes) -> None:
        if self.lagging:
            return
        try:
            self.queue.put_nowait((seq, data))
        except asyncio.QueueFull:
            self.lagging = True


class EventMultiplexer:
    def __init__(
        self, js: JetStreamContext, max_listeners: int, ping_seconds: float, media: MediaInliner
    ) -> None:
        self.js = js
        self.media = media
        self.max_listeners = max_listeners
        self.ping_seconds = ping_seconds
        self.listeners: set[Listener] = set()
        self._subscription: JetStreamContext.PushSubscription | None = None
        self._delivered = 0  # the last stream sequence the live consumer handed over
        self._delivered_at = time.monotonic()
        self._watchdog: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._delivered = (await self.bounds()).last
        await self._subscribe()
        self._watchdog = asyncio.create_task(self._watch())

    async def stop(self) -> None:
        if self._watchdog is not None:
            self._watchdog.cancel()
        await self._unsubscribe()

    async def _subscribe(self) -> None:
        self._delivered_at = time.monotonic()
        self._subscription = await self.js.subscribe(
            SUBJECT,
            cb=self._on_message,
            ordered_consumer=True,
            config=ConsumerConfig(
                deliver_policy=DeliverPolicy.BY_START_SEQUENCE, opt_start_seq=self._delivered + 1
            ),
        )

    async def _unsubscribe(self) -> None:
        if self._subscription is not None:
            with contextlib.suppress(Exception):
                await self._subscription.unsubscribe()
            self._subscription = None

    async def _watch(self) -> None:
        while True:
            await asyncio.sleep(WATCHDOG_SECONDS)
            try:
                last = (await self.bounds()).last
                silent = time.monotonic() - self._delivered_at
                if last > self._delivered and silent > WATCHDOG_SECONDS:
                    log.warning(
                        "live event consumer stalled, recreating it",
                        extra=log_fields(fromSeq=self._delivered + 1, toSeq=last),
                    )
                    await self._unsubscribe()
                    await self._subscribe()
            except Exception as exc:  # NATS still failing over: look again on the next round
                log.warning("event watchdog check failed", extra=log_fields(error=type(exc).__name__))

    async def _on_message(self, msg: Msg) -> None:
        seq = msg.metadata.sequence.stream
        if seq <= self._delivered:
            return  # a consumer being replaced delivered it already
        self._delivered, self._delivered_at = seq, time.monotonic()
        if not self.listeners:
            return
        data = await self.media.frame(_event_name(msg), msg.data, seq)  # once, for every listener
        for listener in self.listeners:
            listener.offer(seq, data)

    async def bounds(self) -> StreamBounds:
        info = await self.js.stream_info(events.EVENTS_STREAM)
        last = info.state.last_seq
        first = info.state.first_seq if info.state.messages else last + 1
        return StreamBounds(first=max(first, 1), last=last)

    def admit(self) -> Listener:
        if len(self.listeners) >= self.max_listeners:
            raise Ima2Error("SSE_CAPACITY")
        listener = Listener()
        self.listeners.add(listener)
        return listener

    def release(self, listener: Listener) -> None:
        self.listeners.discard(listener)

    async def _replay(self, start: int, end: int) -> AsyncIterator[tuple[int, bytes]]:
        if start > end:
            return
        subscription = await self.js.subscribe(
            SUBJECT,
            ordered_consumer=True,
            config=ConsumerConfig(deliver_policy=DeliverPolicy.BY_START_SEQUENCE, opt_start_seq=start),
        )
        try:
            while True:
                msg = await subscription.next_msg(timeout=REPLAY_READ_TIMEOUT)
                seq = msg.metadata.sequence.stream
                if seq > end:
                    return
                yield seq, replay_frame(msg)
                if seq >= end:
                    return
        finally:
            with contextlib.suppress(Exception):
                await subscription.unsubscribe()

    async def stream(
        self, listener: Listener, cursor: int | None, bounds: StreamBounds
    ) -> AsyncIterator[bytes]:
        """Frames for one client: replay after `cursor` (or nothing), then live, with pings.

        `bounds` must be read after the listener was admitted and before the client learns it is
        connected: every event after `bounds.last` then reaches its queue, none is skipped.
        """
        if cursor is None:
            listener.last_seq = bounds.last
        else:
            if cursor < bounds.first - 1 or cursor > bounds.last:
                yield frame(events.REPLAY_GAP, {"lastEventId": cursor, "oldestAvailableId": bounds.first})
                cursor = bounds.first - 1
            listener.last_seq = cursor
            async for item in self._catch_up(listener, bounds.last):
                yield item
        while True:
            if listener.lagging:
                async for item in self._recover(listener):
                    yield item
            try:
                async with asyncio.timeout(self.ping_seconds):
                    first = await listener.queue.get()
            except TimeoutError:
                yield PING
                continue
            # Everything already queued goes out in one write.
            batch = [first]
            while not listener.queue.empty():
                batch.append(listener.queue.get_nowait())
            chunks = []
            for seq, data in batch:
                if seq > listener.last_seq:
                    listener.last_seq = seq
                    chunks.append(data)
            if chunks:
                yield b"".join(chunks)

    async def _catch_up(self, listener: Listener, end: int) -> AsyncIterator[bytes]:
        async for seq, data in self._replay(listener.last_seq + 1, end):
            listener.last_seq = seq
            yield data

    async def _recover(self, listener: Listener) -> AsyncIterator[bytes]:
        """A lagging listener drops its queue and reads what it missed from the stream."""
        while not listener.queue.empty():
            listener.queue.get_nowait()
        bounds = await self.bounds()
        listener.lagging = False
        if listener.last_seq < bounds.first - 1:
            yield frame(
                events.REPLAY_GAP, {"lastEventId": listener.last_seq, "oldestAvailableId": bounds.first}
            )
            listener.last_seq = bounds.first - 1
        log.info("listener catching up", extra=log_fields(fromSeq=listener.last_seq, toSeq=bounds.last))
        async for item in self._catch_up(listener, bounds.last):
            yield item
