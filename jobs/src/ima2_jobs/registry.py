"""The writable in-flight registry, kept in JetStream KV so every replica sees the same jobs.

Admission is one compare-and-set on the `slots` key, so the REQUEST_ID_IN_USE and
TOO_MANY_JOBS rules hold exactly across replicas. Ending a job is also a compare-and-set on
that key (the slot is removed once), so whoever removes it publishes the one terminal event.
The steps of an ending are tried again while NATS fails over, and a job's record is only ever
updated at the revision its owner last wrote: a late write never brings an ended job back.
"""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import nats.errors
from nats.js.errors import KeyNotFoundError, KeyWrongLastSequenceError
from nats.js.kv import KeyValue

from ima2_common.errors import Ima2Error
from ima2_common.inflight import SLOTS_KEY, InflightView, job_key, now_ms

T = TypeVar("T")
STEP_TRIES = 5
NATS_FAILURES = (nats.errors.Error, TimeoutError)


def _backoff(attempt: int) -> float:
    return 0.25 * 2.0**attempt


async def _again(step: Callable[[], Awaitable[T]]) -> T:
    """Run one registry step, again while NATS fails over."""
    for attempt in range(STEP_TRIES - 1):
        try:
            return await step()
        except NATS_FAILURES:
            await asyncio.sleep(_backoff(attempt))
    return await step()


class JobRegistry(InflightView):
    def __init__(self, jobs: KeyValue, terminal: KeyValue, max_parallel: int, lease_seconds: float) -> None:
        super().__init__(jobs, terminal)
        self.max_parallel = max(1, max_parallel)
        self.lease_ms = int(lease_seconds * 1000)

    async def _mutate_slots(self, change: Callable[[dict[str, float]], T]) -> T:
        while True:
            try:
                entry = await self.jobs.get(SLOTS_KEY)
                slots = json.loads(entry.value or b"{}")
                revision: int | None = entry.revision
            except KeyNotFoundError:
                slots, revision = {}, None
            result = change(slots)
            payload = json.dumps(slots).encode()
            try:
                if revision is None:
                    await self.jobs.create(SLOTS_KEY, payload)
                else:
                    await self.jobs.update(SLOTS_KEY, payload, last=revision)
            except KeyWrongLastSequenceError:
                continue
            return result

    async def admit(
        self, request_id: str, kind: str, meta: dict[str, Any], owner: str
    ) -> tuple[dict[str, Any], int]:
        """Claim a slot and write the job's record; returns the record and its revision."""
        # The fraction makes this claim's value its own, so a try whose answer was lost is known
        # by it (two admissions of one id in the same millisecond still meet REQUEST_ID_IN_USE).
        expires = now_ms() + self.lease_ms + random.random()

        def claim(slots: dict[str, float]) -> None:
            if slots.get(request_id) == expires:
                return  # an earlier try landed with its answer lost (NATS failing over)
            if request_id in slots:
                raise Ima2Error("REQUEST_ID_IN_USE")
            if len(slots) >= self.max_parallel:
                raise Ima2Error("TOO_MANY_JOBS", extra={"retryAfter": 5})
            slots[request_id] = expires

        await _again(lambda: self._mutate_slots(claim))
        record = {
            "requestId": request_id,
            "kind": kind,
            "startedAt": now_ms(),
            "phase": "queued",
            "phaseAt": now_ms(),
            "meta": meta,
            "owner": owner,
        }
        revision = await _again(lambda: self.jobs.put(job_key(request_id), json.dumps(record).encode()))
        return record, revision

    async def set_phase(self, request_id: str, phase: str, record: dict[str, Any], revision: int) -> int:
        """Record the job's phase on the owner's copy, at the revision the owner last wrote.

        Returns the new revision, or 0 when the record changed meanwhile (the job ended)."""
        record.update(phase=phase, phaseAt=now_ms())
        try:
            return await self.jobs.update(job_key(request_id), json.dumps(record).encode(), last=revision)
        except KeyWrongLastSequenceError:
            return 0

    async def renew(self, request_ids: list[str]) -> None:
        if not request_ids:
            return
        expires = now_ms() + self.lease_ms

        def extend(slots: dict[str, float]) -> None:
            for request_id in request_ids:
                if request_id in slots:
                    slots[request_id] = expires

        await self._mutate_slots(extend)

    async def release(self, request_id: str) -> bool:
        """Remove the slot; True only for the caller that actually removed it."""
        removed = await self._mutate_slots(lambda slots: slots.pop(request_id, None) is not None)
        return bool(removed)

    async def finish(
        self,
        request_id: str,
        status: str,
        http_status: int = 200,
        error_code: str | None = None,
        record: dict[str, Any] | None = None,
    ) -> bool:
        """End a job once: release its slot and keep a terminal snapshot. False if already ended."""
        if record is None:
            record = await _again(lambda: self.get(request_id))
        if not await self._release_to_end(request_id, record):
            return False
        record = record or {"requestId": request_id, "startedAt": now_ms(), "meta": {}}
        finished = now_ms()
        snapshot = {
            **record,
            "status": status,
            "finishedAt": finished,
            "durationMs": finished - int(record.get("startedAt") or finished),
            "httpStatus": http_status,
            "errorCode": error_code,
        }
        await _again(lambda: self.terminal_kv.put(job_key(request_id), json.dumps(snapshot).encode()))
        await _again(lambda: self.jobs.delete(job_key(request_id)))
        return True

    async def _release_to_end(self, request_id: str, record: dict[str, Any] | None) -> bool:
        unsure = False
        for attempt in range(STEP_TRIES):
            try:
                if await self.release(request_id):
                    return True
                if not unsure:
                    return False
                # A failed try may have removed the slot with its answer lost: the ending is ours
                # unless somebody else has written one since this job started.
                snapshot = await self.terminal_snapshot(request_id)
                started = int((record or {}).get("startedAt") or 0)
                return snapshot is None or int(snapshot.get("finishedAt") or 0) < started
            except NATS_FAILURES:
                if attempt + 1 == STEP_TRIES:
                    raise
                unsure = True
                await asyncio.sleep(_backoff(attempt))
        return False

    async def record_canceled_tombstone(self, request_id: str) -> None:
        snapshot = {
            "requestId": request_id,
            "status": "canceled",
            "finishedAt": now_ms(),
            "httpStatus": 499,
            "errorCode": "GENERATION_CANCELED",
            "meta": {},
        }
        await self.terminal_kv.put(job_key(request_id), json.dumps(snapshot).encode())

    async def expired(self) -> list[str]:
        now = now_ms()
        return [request_id for request_id, expires in (await self.slots()).items() if expires < now]
