"""The in-flight registry as everyone may read it: key layout and record lookups in JetStream KV.

Only the job runtime (`ima2_jobs`) writes these buckets; the gateway reads them to list jobs.
`slots` holds {requestId: leaseExpiresAtMs} for every admitted job; each job also has a record
(`job.<hex id>`) with its kind, phase and metadata; finished jobs leave a snapshot in the
terminal bucket, which expires after five minutes.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

from nats.js.errors import KeyNotFoundError
from nats.js.kv import KeyValue

from ima2_common.nats_util import bucket_keys

SLOTS_KEY = "slots"


def now_ms() -> int:
    return int(time.time() * 1000)


def job_key(request_id: str) -> str:
    return "job." + request_id.encode().hex()


async def _get_json(bucket: KeyValue, key: str) -> dict[str, Any] | None:
    try:
        entry = await bucket.get(key)
    except KeyNotFoundError:
        return None
    value = json.loads(entry.value) if entry.value else None
    return value if isinstance(value, dict) else None


class InflightView:
    def __init__(self, jobs: KeyValue, terminal: KeyValue) -> None:
        self.jobs = jobs
        self.terminal_kv = terminal

    async def slots(self) -> dict[str, float]:
        return await _get_json(self.jobs, SLOTS_KEY) or {}

    async def get(self, request_id: str) -> dict[str, Any] | None:
        return await _get_json(self.jobs, job_key(request_id))

    async def terminal_snapshot(self, request_id: str) -> dict[str, Any] | None:
        return await _get_json(self.terminal_kv, job_key(request_id))

    async def is_active(self, request_id: str) -> bool:
        return request_id in await self.slots()

    async def active(self) -> list[dict[str, Any]]:
        records = []
        for request_id in await self.slots():
            record = await self.get(request_id)
            if record is not None:
                records.append(record)
        return sorted(records, key=lambda r: r.get("startedAt", 0))

    async def active_count(self) -> int:
        return len(await self.slots())

    async def terminal(self) -> list[dict[str, Any]]:
        keys = await bucket_keys(self.terminal_kv)
        snapshots = await asyncio.gather(*(_get_json(self.terminal_kv, key) for key in keys))
        return sorted((s for s in snapshots if s), key=lambda s: s.get("finishedAt", 0), reverse=True)
