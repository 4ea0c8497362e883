"""Polling one xAI video job until it is done, failed or expired (reference §4.4 step 6).

Every poll reports progress as a 0-1 fraction. Progress that has not moved for the stall time is
reported with `stalled: true`; so is each tolerated transient failure (5xx, 429, timeout,
network), of which at most five in a row are accepted. A 4xx is fatal. The whole job has a total
budget, after which it ends with GROK_VIDEO_TIMEOUT. A cancel lands in the sleep between polls.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from ima2_common import limits
from ima2_common.errors import Ima2Error
from ima2_common.logging import log_fields
from ima2_video import errors
from ima2_video.upstream import XaiVideoUpstream

log = logging.getLogger("ima2.video.poll")

ProgressCallback = Callable[[float | None, bool], Awaitable[None]]


@dataclass(frozen=True)
class PollPolicy:
    interval: float = limits.VIDEO_POLL_INTERVAL_SECONDS
    budget: float = limits.VIDEO_POLL_BUDGET_SECONDS
    stall: float = limits.VIDEO_STALL_SECONDS
    max_transient: int = limits.VIDEO_POLL_MAX_TRANSIENT_ERRORS


@dataclass
class FinishedVideo:
    url: str
    duration: int | float | None  # seconds, as xAI reports them
    model: str
    usage: dict[str, Any] = field(default_factory=dict)


def _progress(body: dict[str, Any]) -> float | None:
    value = body.get("progress")
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return round(max(0.0, min(100.0, float(value))) / 100, 4)


def _finished(body: dict[str, Any]) -> FinishedVideo:
    video = body.get("video") if isinstance(body.get("video"), dict) else {}
    url = video.get("url")
    if video.get("respect_moderation") is False:
        raise Ima2Error("GROK_VIDEO_MODERATION_BLOCKED")
    if not isinstance(url, str) or not url:
        raise Ima2Error("GROK_VIDEO_EMPTY_RESPONSE")
    usage = body.get("usage") if isinstance(body.get("usage"), dict) else {}
    ticks = usage.get("cost_in_usd_ticks")
    duration = video.get("duration")
    return FinishedVideo(
        url=url,
        duration=duration if isinstance(duration, int | float) and not isinstance(duration, bool) else None,
        model=str(body.get("model") or ""),
        usage={"grok_cost_usd_ticks": int(ticks) if isinstance(ticks, int | float) else 0},
    )


class VideoPoller:
    def __init__(self, policy: PollPolicy) -> None:
        self.policy = policy

    async def wait(
        self, upstream: XaiVideoUpstream, xai_id: str, on_progress: ProgressCallback
    ) -> FinishedVideo:
        try:
            async with asyncio.timeout(self.policy.budget):
                return await self._loop(upstream, xai_id, on_progress)
        except TimeoutError:
            raise Ima2Error("GROK_VIDEO_TIMEOUT") from None

    async def _loop(
        self, upstream: XaiVideoUpstream, xai_id: str, on_progress: ProgressCallback
    ) -> FinishedVideo:
        loop = asyncio.get_running_loop()
        last_progress: float | None = None
        changed_at = loop.time()
        transient = 0
        while True:
            await asyncio.sleep(self.policy.interval)
            try:
                answer = await upstream.poll(xai_id)
            except httpx.HTTPError as exc:
                transient = await self._tolerate(transient, last_progress, on_progress, type(exc).__name__)
                continue
            if answer.status == 429 or answer.status >= 500:
                transient = await self._tolerate(
                    transient, last_progress, on_progress, f"http_{answer.status}"
                )
                continue
            if answer.status >= 400 or not isinstance(answer.body, dict):
                upstream_code = f"http_{answer.status}" if answer.status >= 400 else "invalid_json"
                raise Ima2Error("GROK_VIDEO_POLL_FAILED", upstream_code=upstream_code)
            transient = 0
            body = answer.body
            status = body.get("status")
            if status == "done":
                await on_progress(1.0, False)
                return _finished(body)
            if status == "failed":
                raise errors.job_failed(body.get("error"))
            if status == "expired":
                raise Ima2Error("GROK_VIDEO_EXPIRED")
            progress = _progress(body)
            now = loop.time()
            if progress is not None and progress != last_progress:
                last_progress, changed_at = progress, now
            stalled = now - changed_at >= self.policy.stall
            await on_progress(last_progress, stalled)

    async def _tolerate(
        self, transient: int, progress: float | None, on_progress: ProgressCallback, reason: str
    ) -> int:
        transient += 1
        log.warning("video poll failed", extra=log_fields(reason=reason, consecutive=transient))
        if transient > self.policy.max_transient:
            raise Ima2Error("GROK_VIDEO_POLL_FAILED", upstream_type=reason[:60])
        await on_progress(progress, True)
        return transient
