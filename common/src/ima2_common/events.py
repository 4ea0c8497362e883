"""Event names, NATS subjects and payload rules shared by the publishers and the multiplexer."""

from __future__ import annotations

from typing import Any

from ima2_common import limits

PHASE = "phase"
PARTIAL = "partial"
IMAGE = "image"
DONE = "done"
ERROR = "error"
SUBMITTED = "submitted"
PROGRESS = "progress"
PLANNING = "planning"
CARD = "card"  # card news: one card changed state (queued, generating, generated, error)
REPLAY_GAP = "replay-gap"
# Only on the gRPC stream of an async job: the job was admitted, follow /api/events.
ACCEPTED = "accepted"

TERMINAL_EVENTS = frozenset({DONE, ERROR})
EVENT_NAMES = frozenset({PHASE, PARTIAL, IMAGE, DONE, ERROR, SUBMITTED, PROGRESS, PLANNING, CARD})

EVENTS_STREAM = "IMA2_EVENTS"
EVENTS_SUBJECT_PREFIX = "ima2.events"
JOBS_BUCKET = "ima2_jobs"
TERMINAL_BUCKET = "ima2_terminal"
CONFIG_BUCKET = "ima2_config"  # shared runtime settings (the Grok planner model)
PREVIEWS_BUCKET = "ima2_previews"  # object store: partial previews, short-lived
CANCEL_SUBJECT = "ima2.jobs.cancel"  # to every replica; the owner of the job answers
ORPHAN_CANCEL_SUBJECT = "ima2.jobs.cancel-orphan"  # to one replica, when no owner answered
OWNER_PROBE_SUBJECT = "ima2.jobs.alive"  # to every replica; the one running the job answers
JOB_SERVICES_QUEUE = "ima2-job-services"

# Media never rides the stream: in place of "image" a payload (or an entry of its "images") holds
# {"mediaRef": {"file": <generated filename>} | {"preview": <object name>}, "mime": ...}; the
# gateway turns it into the spec's data URL. MEDIA_REF_MARK finds such payloads without parsing.
MEDIA_REF = "mediaRef"
MEDIA_REF_MARK = b'"mediaRef"'

HEADER_EVENT = "Ima2-Event"
HEADER_REQUEST_ID = "X-Request-Id"


def subject_token(value: str) -> str:
    """Make a request id safe as one NATS subject token ('.', '*', '>' and '%' are escaped)."""
    return value.replace("%", "%25").replace(".", "%2E").replace("*", "%2A").replace(">", "%3E") or "_"


def event_subject(kind: str, request_id: str) -> str:
    return f"{EVENTS_SUBJECT_PREFIX}.{kind}.{subject_token(request_id)}"


def stored_ref(filename: str, mime: str) -> dict[str, Any]:
    return {MEDIA_REF: {"file": filename, "mime": mime}}


def media_slots(payload: dict[str, Any]) -> list[dict[str, Any]]:
    """The dicts of a payload that may carry an image: the payload itself and its `images` entries."""
    slots = [payload]
    images = payload.get("images")
    if isinstance(images, list):
        slots.extend(entry for entry in images if isinstance(entry, dict))
    return slots


def _omit_image(item: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    if MEDIA_REF in item:
        return {k: v for k, v in item.items() if k != MEDIA_REF}, True
    image = item.get("image")
    if isinstance(image, str) and len(image) > limits.SSE_IMAGE_OMIT_CHARS:
        return {k: v for k, v in item.items() if k != "image"}, True
    return item, False


def strip_images_for_replay(payload: dict[str, Any]) -> dict[str, Any]:
    """Replay copies drop image strings over 1000 characters and say so with _imageOmitted."""
    out, omitted = _omit_image(payload)
    images = out.get("images")
    if isinstance(images, list):
        stripped = []
        for entry in images:
            if isinstance(entry, dict):
                entry, dropped = _omit_image(entry)
                omitted = omitted or dropped
            stripped.append(entry)
        out = {**out, "images": stripped}
    if omitted:
        out = {**out, "_imageOmitted": True}
    return out
