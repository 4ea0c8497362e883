"""The typed job events: names, the fields they keep, and what their payloads carry."""

from __future__ import annotations

import json

from ima2_common import events
from ima2_common.errors import Ima2Error
from ima2_common.job_events import (
    MODELS,
    DoneEvent,
    ErrorEvent,
    JobEvent,
    PartialEvent,
    ProgressEvent,
    parse_event,
)


def test_every_event_name_has_its_model() -> None:
    assert set(MODELS) == set(events.EVENT_NAMES)
    assert all(model.name == name for name, model in MODELS.items())
    assert type(parse_event("keying-start", {"requestId": "r"})) is JobEvent


def test_done_keeps_route_fields_and_nulls_but_not_unset_media() -> None:
    done = DoneEvent(filename="a.png", modelFallback=None, usage={"n": 1}, requestId="r", jobId="r")
    payload = done.payload()
    assert payload["filename"] == "a.png" and payload["usage"] == {"n": 1}
    assert "modelFallback" in payload and payload["modelFallback"] is None  # the spec's null
    assert not {"image", "images", "mediaRef", "jobSeq"} & set(payload)
    assert json.loads(done.to_json()) == payload


def test_media_references_and_replay_copies() -> None:
    partial = parse_event(events.PARTIAL, {"mediaRef": {"preview": "p1", "mime": "image/png"}, "index": 1})
    assert isinstance(partial, PartialEvent) and partial.mediaRef is not None
    assert partial.mediaRef.preview == "p1" and partial.index == 1
    replay = events.strip_images_for_replay(partial.payload())
    assert "mediaRef" not in replay and replay["_imageOmitted"] is True


def test_errors_and_progress() -> None:
    err = ErrorEvent.of(Ima2Error("GENERATION_CANCELED"), jobSeq=3)
    assert (err.code, err.status, err.jobSeq) == ("GENERATION_CANCELED", 499, 3)
    assert parse_event(events.ERROR, err.payload()) == err
    unknown = ProgressEvent(progress=None)
    assert unknown.payload()["progress"] is None and unknown.stalled is False
