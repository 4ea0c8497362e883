"""An Agent queue item follows its job, whoever looks at it.

An item whose job ended without its worker writing the ending (the worker was killed and the
lease reaper ended the job), or that was never run, is settled from the job registry: failed
(retryable) with the job's code. The gateway does it when it lists the queue; a worker waiting for
its item's turn does it for the items in its way.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

from ima2_common import agent
from ima2_common.errors import Ima2Error
from ima2_common.inflight import InflightView

Transition = Callable[[str, tuple[str, ...], dict[str, Any]], Awaitable[tuple[dict[str, Any], bool]]]


async def settle_orphan(
    item: dict[str, Any], registry: InflightView, transition: Transition, lease_ms: int
) -> dict[str, Any]:
    """The item, ended as its job ended when the job is gone but the item still looks open."""
    if item["status"] not in agent.OPEN_STATUSES:
        return item
    request_id = item["requestId"]
    if await registry.is_active(request_id):
        return item
    snapshot = await registry.terminal_snapshot(request_id)
    if snapshot is None:
        # Never admitted yet (just queued) or long forgotten: only an old one is given up.
        if int(time.time() * 1000) - int(item.get("startedAt") or item["createdAt"]) < 3 * lease_ms:
            return item
        code = "JOB_TRACKING_TIMEOUT"
    elif snapshot.get("status") == "completed":
        return item  # its worker is writing the ending
    else:
        code = str(snapshot.get("errorCode") or "JOB_TRACKING_TIMEOUT")
    status = agent.CANCELED if code == "GENERATION_CANCELED" else agent.FAILED
    fields = {
        "status": status,
        "errorCode": code,
        "errorMessage": Ima2Error(code).message,
        "finishedAt": int(time.time() * 1000),
    }
    ended, _ = await transition(item["id"], agent.OPEN_STATUSES, fields)
    return ended
