"""Where account-switch sessions live: in memory (one replica, unit tests) or in a JetStream KV
bucket, so a poll answered by another svc-auth replica sees the same session.

Every change is a read-modify-write with the entry's revision (compare-and-set), so a replica
noting that a session was asked about cannot overwrite the ending another replica just wrote.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

from nats.js.errors import KeyNotFoundError, KeyWrongLastSequenceError
from nats.js.kv import KeyValue

from ima2_common.errors import Ima2Error
from ima2_common.nats_util import bucket_keys

KEY_PREFIX = "s."


def _key(session_id: str) -> str:
    """A KV key for any session id (ids come from requests: hex keeps every one a valid key)."""
    return KEY_PREFIX + (session_id.encode().hex() or "0")  # odd length: never a real id


def _session_id(key: str) -> str:
    return bytes.fromhex(key.removeprefix(KEY_PREFIX)).decode()


BUCKET_WAIT_SECONDS = 10.0


@dataclass
class SwitchSession:
    id: str
    provider: str
    user_code: str
    verification_url: str
    expires_in: int
    interval: int
    expires_at: float
    last_seen: float
    flow: str = "device"
    status: str = "pending"  # pending | complete | error | expired
    email: str = ""
    error: str = ""
    finished_at: float = 0.0


Change = Callable[[SwitchSession], None]


class SessionStore(Protocol):
    async def create(self, session: SwitchSession) -> None: ...

    async def get(self, session_id: str) -> SwitchSession | None: ...

    async def update(self, session_id: str, change: Change) -> SwitchSession | None: ...

    async def delete(self, session_id: str) -> None: ...

    async def all(self) -> list[SwitchSession]: ...


def _encode(session: SwitchSession) -> bytes:
    return json.dumps(dataclasses.asdict(session)).encode()


def _decode(data: bytes) -> SwitchSession:
    return SwitchSession(**json.loads(data))


class MemorySessionStore:
    """Copies in and out, like the KV store, so callers never share a live object."""

    def __init__(self) -> None:
        self._data: dict[str, bytes] = {}

    async def create(self, session: SwitchSession) -> None:
        self._data[session.id] = _encode(session)

    async def get(self, session_id: str) -> SwitchSession | None:
        data = self._data.get(session_id)
        return _decode(data) if data is not None else None

    async def update(self, session_id: str, change: Change) -> SwitchSession | None:
        session = await self.get(session_id)
        if session is None:
            return None
        change(session)
        self._data[session_id] = _encode(session)
        return session

    async def delete(self, session_id: str) -> None:
        self._data.pop(session_id, None)

    async def all(self) -> list[SwitchSession]:
        return [_decode(data) for data in list(self._data.values())]


class KvSessionStore:
    """Sessions in a JetStream KV bucket; the bucket may arrive after the service started serving."""

    def __init__(self, bucket: Awaitable[KeyValue]) -> None:
        self._bucket = asyncio.ensure_future(bucket)

    async def _kv(self) -> KeyValue:
        try:
            return await asyncio.wait_for(asyncio.shield(self._bucket), BUCKET_WAIT_SECONDS)
        except TimeoutError:
            raise Ima2Error(
                "EVENTS_UNAVAILABLE", "Account switching needs NATS, which is not reachable."
            ) from None

    async def create(self, session: SwitchSession) -> None:
        await (await self._kv()).create(_key(session.id), _encode(session))

    async def _entry(self, session_id: str) -> tuple[SwitchSession, int] | None:
        try:
            entry = await (await self._kv()).get(_key(session_id))
        except KeyNotFoundError:
            return None
        if not entry.value or entry.revision is None:
            return None
        return _decode(entry.value), entry.revision

    async def get(self, session_id: str) -> SwitchSession | None:
        found = await self._entry(session_id)
        return found[0] if found else None

    async def update(self, session_id: str, change: Change) -> SwitchSession | None:
        kv = await self._kv()
        while True:
            found = await self._entry(session_id)
            if found is None:
                return None
            session, revision = found
            change(session)
            try:
                await kv.update(_key(session_id), _encode(session), last=revision)
            except KeyWrongLastSequenceError:
                continue  # another replica changed it meanwhile: apply the change to its version
            return session

    async def delete(self, session_id: str) -> None:
        await (await self._kv()).delete(_key(session_id))

    async def all(self) -> list[SwitchSession]:
        keys = await bucket_keys(await self._kv())
        sessions = await asyncio.gather(*(self.get(_session_id(key)) for key in keys))
        return [s for s in sessions if s is not None]

    def close(self) -> None:
        self._bucket.cancel()
