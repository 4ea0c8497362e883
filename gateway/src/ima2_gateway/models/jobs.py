"""In-flight jobs (/api/inflight) and the /api/events stream."""

from __future__ import annotations

from typing import Any

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
