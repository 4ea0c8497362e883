"""The library: history, media items, annotations, canvas versions, metadata, nodes and storage."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import ConfigDict, Field

from ima2_gateway.models.base import ApiModel


class Ok(ApiModel):
    ok: Literal[True]


class MediaItem(ApiModel):
    """One library item: its sidecar metadata (prompt, provider, size, session...) plus where to fetch it."""

    model_config = ConfigDict(extra="allow")
    filename: str
    url: str
    createdAt: int = Field(description="Epoch milliseconds.")
    mediaType: str = Field(description="image or video.")
    mime: str
    bytes: int
    isFavorite: bool
    thumb: str | None = None


class Cursor(ApiModel):
    before: int
    beforeFilename: str


class SessionGroup(ApiModel):
    sessionId: str
    items: list[MediaItem]
    lastUsedAt: int
    title: str | None
    label: str


class HistoryPage(ApiModel):
    """Newest first. With groupBy=session: `sessions` and `loose` instead of `items`."""

    items: list[MediaItem] | None = None
    sessions: list[SessionGroup] | None = None
    loose: list[MediaItem] | None = None
    total: int
    nextCursor: Cursor | None


class FavoriteRequest(ApiModel):
    error_codes: ClassVar[dict[str, str]] = {"filename": "INVALID_FILENAME"}
    filename: str = Field(min_length=1)


class FavoriteState(ApiModel):
    isFavorite: bool


class ImportedItem(MediaItem):
    image: str = Field(description="The item's URL.")


class Imported(ApiModel):
    item: ImportedItem


class BackfillResult(ApiModel):
    ok: Literal[True]
    total: int
    created: int
    skipped: int
    failed: int


class Deleted(ApiModel):
    ok: Literal[True]
    filename: str
    sessionsTouched: int
    nodesTouched: int
    trash: str | None = Field(default=None, description="internal: the library's own trash (undoable).")
    trashId: str | None = None
    undoableInApp: bool | None = None


class RestoreRequest(ApiModel):
    error_codes: ClassVar[dict[str, str]] = {"trashId": "TRASH_ID_REQUIRED"}
    trashId: str = Field(min_length=1, description="From the delete answer.")


class Restored(ApiModel):
    ok: Literal[True]
    item: MediaItem


class Annotations(ApiModel):
    annotations: dict[str, Any] | None = Field(description="{paths, boxes, memos}; null when none.")


class AnnotationsUpdate(ApiModel):
    """The payload, either wrapped as `{annotations: {...}}` or the object itself."""

    model_config = ConfigDict(extra="allow")
    error_codes: ClassVar[dict[str, str]] = {"annotations": "INVALID_ANNOTATION"}
    annotations: dict[str, Any] | None = None


class CanvasItem(MediaItem):
    image: str
    canvasEditableFilename: str


class CanvasVersion(ApiModel):
    item: CanvasItem


class MetadataRequest(ApiModel):
    error_codes: ClassVar[dict[str, str]] = {"dataUrl": "IMAGE_METADATA_INVALID"}
    dataUrl: str = Field(description="data:image/(png|jpeg|webp);base64,...")


class MetadataResult(ApiModel):
    ok: Literal[True]
    metadata: dict[str, Any] | None
    source: str | None = Field(description="xmp or png-comment; null when none was found.")
    code: str | None = Field(default=None, description="IMAGE_METADATA_NOT_FOUND when none was found.")
    warnings: list[str]


class NodeInfo(ApiModel):
    nodeId: str
    meta: dict[str, Any]
    url: str


class StorageOverrides(ApiModel):
    generatedDir: bool
    configDir: bool


class StorageSummary(ApiModel):
    generatedDirLabel: str
    generatedCount: int
    legacyCandidatesScanned: int
    legacySourcesFound: int
    legacyFilesFound: int
    state: str = Field(description="ok, recoverable, not_found or unknown.")
    messageKind: str
    recoveryDocsPath: str
    doctorCommand: str
    overrides: StorageOverrides


class StorageStatus(ApiModel):
    ok: Literal[True]
    data: StorageSummary
