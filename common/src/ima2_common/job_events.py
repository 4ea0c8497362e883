"""Job events as typed models: what job services publish, what the gateway forwards, what tests read.

Every payload carries `requestId` and `jobId` (the same value) and, from its publisher, `jobSeq`.
Media never rides an event: where the spec has an image (a data URL), the published payload has
a `mediaRef` (a stored file or a short-lived preview) and the gateway fills `image` in before it
sends the event to a client. `done` payloads are route-specific summaries, so every model keeps
the fields it does not name.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict

from ima2_common import events
from ima2_common.errors import Ima2Error, error_payload


class MediaRef(BaseModel):
    file: str | None = None  # a file of the generated folder
    preview: str | None = None  # an object of the previews store
    mime: str = "image/png"


class JobEvent(BaseModel):
    """The fields every job event has; subclasses name the event and its own fields."""

    model_config = ConfigDict(extra="allow")
    name: ClassVar[str] = ""

    requestId: str = ""
    jobId: str = ""
    jobSeq: int | None = None

    # Left out while unset; every other field (named or not) is sent as it is, null included.
    _optional: ClassVar[frozenset[str]] = frozenset({"jobSeq", "mediaRef", "image", "images"})

    def _unset(self) -> set[str]:
        return {name for name in self._optional if getattr(self, name, None) is None}

    def payload(self) -> dict[str, Any]:
        return self.model_dump(exclude=self._unset())

    def to_json(self) -> str:
        return self.model_dump_json(exclude=self._unset())


class WithMedia(JobEvent):
    """An event that shows one image: published with `mediaRef`, sent to clients with `image`."""

    mediaRef: MediaRef | None = None
    image: str | None = None


class PhaseEvent(JobEvent):
    name: ClassVar[str] = events.PHASE
    phase: str


class PartialEvent(WithMedia):
    name: ClassVar[str] = events.PARTIAL
    index: int = 0


class ImageEvent(WithMedia):
    name: ClassVar[str] = events.IMAGE
    filename: str


class DoneEvent(WithMedia):
    """A job's result; with several images they are in `images` (each a media entry)."""

    name: ClassVar[str] = events.DONE
    images: list[dict[str, Any]] | None = None


class ErrorEvent(JobEvent):
    name: ClassVar[str] = events.ERROR
    error: str
    code: str
    status: int

    @classmethod
    def of(cls, err: Ima2Error, **fields: Any) -> ErrorEvent:
        return cls(**error_payload(err), **fields)


class PlanningEvent(JobEvent):
    name: ClassVar[str] = events.PLANNING


class SubmittedEvent(JobEvent):
    name: ClassVar[str] = events.SUBMITTED


class ProgressEvent(JobEvent):
    name: ClassVar[str] = events.PROGRESS
    progress: float | None = None  # 0..1, None while the upstream gives no figure
    stalled: bool = False


class CardEvent(JobEvent):
    """Card news: one card of a set changed state; `card` is its manifest entry (no image bytes)."""

    name: ClassVar[str] = events.CARD
    setId: str
    cardNewsJobId: str
    card: dict[str, Any]


MODELS: dict[str, type[JobEvent]] = {
    model.name: model
    for model in (
        PhaseEvent,
        PartialEvent,
        ImageEvent,
        DoneEvent,
        ErrorEvent,
        PlanningEvent,
        SubmittedEvent,
        ProgressEvent,
        CardEvent,
    )
}


def parse_event(name: str, payload: dict[str, Any]) -> JobEvent:
    """The typed event for a name and payload (an unknown name keeps the base model)."""
    return MODELS.get(name, JobEvent).model_validate(payload)
