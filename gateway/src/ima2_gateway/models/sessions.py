"""Sessions, their graphs and style sheets."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from pydantic import AfterValidator, Field, StrictBool

from ima2_gateway.models.base import ApiModel, not_blank
from ima2_gateway.models.errors import NestedError


class SessionSummary(ApiModel):
    id: str
    title: str
    createdAt: int
    updatedAt: int
    graphVersion: int


class SessionListItem(SessionSummary):
    nodeCount: int


class SessionList(ApiModel):
    sessions: list[SessionListItem]


class SessionCreated(ApiModel):
    session: SessionSummary


class SessionGraph(SessionSummary):
    nodes: list[dict[str, Any]]
    edges: list[dict[str, Any]]


class SessionDetail(ApiModel):
    session: SessionGraph


class SessionTitle(ApiModel):
    error_codes: ClassVar[dict[str, str]] = {"title": "INVALID_TITLE"}
    title: str | None = None


class GraphSave(ApiModel):
    """The whole graph; send the current `graphVersion` in If-Match."""

    error_codes: ClassVar[dict[str, str]] = {"nodes": "INVALID_GRAPH", "edges": "INVALID_GRAPH"}
    nodes: list[Any]
    edges: list[Any]


class GraphConflict(NestedError):
    currentVersion: int


class GraphDocument(ApiModel):
    """The graph alone; its version is also the ETag to send back in If-Match."""

    sessionId: str
    nodes: list[Any]
    edges: list[Any]
    graphVersion: int


class GraphSaved(ApiModel):
    ok: Literal[True]
    nodes: int
    edges: int
    graphVersion: int


class StyleSheet(ApiModel):
    styleSheet: dict[str, Any] | None
    enabled: bool


class StyleSheetUpdate(ApiModel):
    error_codes: ClassVar[dict[str, str]] = {"styleSheet": "INVALID_SHEET", "enabled": "INVALID_ENABLED"}
    styleSheet: dict[str, Any] | None = Field(description="null clears the sheet.")
    enabled: StrictBool | None = None


class StyleSheetEnabled(ApiModel):
    error_codes: ClassVar[dict[str, str]] = {"enabled": "INVALID_ENABLED"}
    enabled: StrictBool


class StyleSheetEnabledSaved(ApiModel):
    ok: Literal[True]
    enabled: bool


class StyleSheetExtract(ApiModel):
    error_codes: ClassVar[dict[str, str]] = {
        "prompt": "STYLE_SHEET_BAD_INPUT",
        "referenceDataUrl": "REF_NOT_STRING",
    }
    prompt: Annotated[str, AfterValidator(not_blank)]
    referenceDataUrl: str | None = Field(default=None, description="A PNG, JPEG or WebP data URL.")


class StyleSheetExtracted(ApiModel):
    styleSheet: dict[str, Any]
