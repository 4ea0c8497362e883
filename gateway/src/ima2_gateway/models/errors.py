"""The three error envelope families (reference §1.10) and the SSE error frame, as documented models."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import ConfigDict, Field

from ima2_gateway.models.base import ApiModel


class FlatError(ApiModel):
    """Generation, provider and status routes: `{error, code, requestId, upstream*...}`; empty fields are null."""

    model_config = ConfigDict(extra="allow")
    error: str = Field(description="Human-readable message.")
    code: str = Field(description="A code of the error catalogue.")
    requestId: str | None
    upstreamCode: str | None
    upstreamType: str | None
    upstreamParam: str | None
    diagnosticReason: str | None
    retryKind: str | None
    referencesDroppedOnRetry: Any = None
    errorEventCount: int | None
    guidance: str | None = None


class NestedErrorBody(ApiModel):
    model_config = ConfigDict(extra="allow")
    code: str
    message: str
    requestId: str | None = None


class NestedError(ApiModel):
    """Library, session, events, storage and in-flight routes: `{error:{code,message,requestId}}`.

    Some add fields beside `error`: a graph conflict `currentVersion`, storage `ok:false`."""

    model_config = ConfigDict(extra="allow")
    error: NestedErrorBody


class NodeError(NestedError):
    """POST /api/node/generate: the nested envelope plus the node's extra fields."""

    parentNodeId: str | None
    status: int
    upstreamCode: str | None
    upstreamType: str | None
    upstreamParam: str | None


class KeysError(ApiModel):
    """Key management and metadata routes: `{ok:false, error, code}`."""

    ok: Literal[False]
    error: str
    code: str


class SseErrorFrame(ApiModel):
    """The data of an SSE `error` event: `{error, code, status, requestId, upstream*?, guidance?}`."""

    model_config = ConfigDict(extra="allow")
    error: str
    code: str
    status: int
    requestId: str | None = None
    jobId: str | None = None
