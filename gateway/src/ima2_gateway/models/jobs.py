"""In-flight jobs (/api/inflight) and the /api/events stream."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import ConfigDict, Field

from ima2_gateway.models.base import ApiModel


class InflightJob(ApiModel):
    """A job record of the registry (JetStream KV)."""

    model_config = ConfigDict(extra="allow")
    requestId: str
    kind: str | None = Field(default=None, description="classic, edit, node, multimode, video.")
    phase: str | None = None
    startedAt: int | None = None
    meta: dict[str, Any] | None = None


class InflightList(ApiModel):
    jobs: list[InflightJob]
    terminalJobs: list[InflightJob] | None = Field(default=None, description="With includeTerminal=1.")


class CancelResult(ApiModel):
    model_config = ConfigDict(extra="allow")
    requestId: str
    active: bool | None = None
    aborted: bool


class SseEvent(ApiModel):
    """One Server-Sent Events frame. `data` is the event's JSON payload (every payload carries
    `jobId` and `requestId`; `error` frames `{error, code, status, requestId}`). `: ping` comments
    keep the connection alive."""

    event: Literal[
        "phase", "partial", "image", "done", "error", "submitted", "progress", "planning", "replay-gap"
    ] = Field(description="The event name (absent: a plain message).")
    data: str = Field(description="JSON text.")
    id: str | None = Field(default=None, description="The stream sequence (/api/events replay cursor).")
    retry: int | None = None
