"""Card news: the built-in image and role templates, the limits and names every part shares.

A card news *set* is a carousel of cards planned from one brief: a role template fixes the cards'
roles (cover, problem, insight, ...), an image template fixes their look. Sets live under
`generated/cardnews/<setId>/` as `manifest.json` plus `card-NN.<ext>` images (written by
svc-library only). The routes exist only when `features.cardNews` is on (IMA2_CARD_NEWS).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ima2_common.errors import Ima2Error

DIR_NAME = "cardnews"  # under the generated folder
MANIFEST_NAME = "manifest.json"
SET_ID_RE = re.compile(r"^[A-Za-z0-9_-]{3,120}$")
JOB_ID_RE = re.compile(r"^cj_[A-Za-z0-9]{6,64}$")
CARD_ID_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
TEMPLATE_ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]{1,80}$")
CARD_FILE_RE = re.compile(r"^card-\d{2}\.(png|jpg|jpeg|webp)$")
JOB_KIND = "cardnews"

DEFAULT_IMAGE_TEMPLATE = "academy-lesson-square"
DEFAULT_ROLE_TEMPLATE = "mid-5"
DEFAULT_QUALITY = "medium"
DEFAULT_MODERATION = "low"
MAX_CARDS = 12
MAX_TEXT_CHARS = 2000  # headline, body, visual prompt of one card
MAX_BRIEF_CHARS = 4000  # topic, audience, goal, contentBrief of a draft
MAX_BODY_BYTES = 256 * 1024
PLANNER_MAX_OUTPUT_TOKENS = 3000

CARD_STATUSES = ("draft", "queued", "generating", "generated", "error", "skipped")
TEXT_KINDS = ("headline", "body", "caption", "cta", "badge", "number")
RENDER_MODES = ("in-image", "ui-only")
PLACEMENTS = (
    "top-left",
    "top-center",
    "top-right",
    "center-left",
    "center",
    "center-right",
    "bottom-left",
    "bottom-center",
    "bottom-right",
    "free",
)


@dataclass(frozen=True)
class Slot:
    id: str
    kind: str  # text | image | safe-area
    placement: str
    text_kind: str | None = None
    max_chars: int | None = None

    def public(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "textKind": self.text_kind,
            "label": self.id,
            "placement": self.placement,
            "maxChars": self.max_chars,
        }


@dataclass(frozen=True)
class ImageTemplate:
    id: str
    name: str
    description: str
    size: str
    style_prompt: str
    negative_prompt: str
    palette: tuple[str, ...]
    slots: tuple[Slot, ...] = field(default_factory=tuple)
    recommended_sizes: tuple[str, ...] = ("1024x1024", "2048x2048")

    def public(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "description": self.description,
            "size": self.size,
            "previewUrl": f"/api/cardnews/image-templates/{self.id}/preview",
            "stylePrompt": self.style_prompt,
            "negativePrompt": self.negative_prompt,
            "slots": [slot.public() for slot in self.slots],
            "palette": list(self.palette),
            "recommendedOutputSizes": list(self.recommended_sizes),
            "createdBy": "system",
        }


@dataclass(frozen=True)
class Role:
    role: str
    label: str
    prompt_hint: str


@dataclass(frozen=True)
class RoleTemplate:
    id: str
    name: str
    description: str
    roles: tuple[Role, ...]

    def public(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "description": self.description,
            "cardCount": len(self.roles),
            "roles": [{"role": r.role, "label": r.label, "promptHint": r.prompt_hint} for r in self.roles],
        }


_TEXT_SLOTS = (
    Slot("headline", "text", "top-center", "headline", 40),
    Slot("body", "text", "bottom-center", "body", 140),
    Slot("visual", "image", "center"),
)

IMAGE_TEMPLATES: dict[str, ImageTemplate] = {
    t.id: t
    for t in (
        ImageTemplate(
            id="clean-report-square",
            name="Clean editorial report",
            description="White space, one accent colour, a calm editorial grid.",
            size="1024x1024",
            style_prompt=(
                "Square editorial card, clean report layout, generous white space, thin rules, "
                "one navy accent, flat vector illustration in the visual area."
            ),
            negative_prompt="clutter, photo collage, heavy gradients, watermark",
            palette=("#ffffff", "#1f2a44", "#e6eaf2", "#ff6b4a"),
            slots=_TEXT_SLOTS,
        ),
        ImageTemplate(
            id="academy-lesson-square",
            name="Academy lesson carousel",
            description="Friendly lesson cards: a bold headline band and a rounded illustration.",
            size="1024x1024",
            style_prompt=(
                "Square lesson card for a social carousel, bold headline band at the top, rounded "
                "friendly illustration in the middle, soft pastel background, consistent across cards."
            ),
            negative_prompt="photorealistic faces, dense paragraphs, watermark",
            palette=("#fff8ec", "#2b59c3", "#ffd166", "#06d6a0"),
            slots=_TEXT_SLOTS,
        ),
    )
}

_ROLES = {
    r.role: r
    for r in (
        Role("cover", "Cover", "bold cover visual that states the topic"),
        Role("problem", "Why it matters", "a visual of the problem the reader faces"),
        Role("insight", "Key insight", "a clear diagram of the key idea"),
        Role("data", "By the numbers", "a simple chart-like visual with big shapes"),
        Role("example", "Example", "a concrete everyday example scene"),
        Role("summary", "Summary", "a tidy recap visual with three icons"),
        Role("cta", "Next action", "an inviting visual of the next step"),
    )
}


def _roles(*names: str) -> tuple[Role, ...]:
    return tuple(_ROLES[name] for name in names)


ROLE_TEMPLATES: dict[str, RoleTemplate] = {
    t.id: t
    for t in (
        RoleTemplate(
            id="short-3",
            name="Short (3 cards)",
            description="Hook, one insight, a call to action.",
            roles=_roles("cover", "insight", "cta"),
        ),
        RoleTemplate(
            id="mid-5",
            name="Standard (5 cards)",
            description="Cover, problem, insight, example, call to action.",
            roles=_roles("cover", "problem", "insight", "example", "cta"),
        ),
        RoleTemplate(
            id="long-7",
            name="Long (7 cards)",
            description="Cover to summary with data and an example.",
            roles=_roles("cover", "problem", "insight", "data", "example", "summary", "cta"),
        ),
    )
}


def image_template(template_id: str | None) -> ImageTemplate:
    """The template of that id (the default when empty); bad or unknown ids are the reference's codes."""
    tid = template_id or DEFAULT_IMAGE_TEMPLATE
    if not TEMPLATE_ID_RE.match(tid):
        raise Ima2Error("CARD_NEWS_BAD_TEMPLATE_ID")
    template = IMAGE_TEMPLATES.get(tid)
    if template is None:
        raise Ima2Error("CARD_NEWS_TEMPLATE_NOT_REGISTERED", f"Image template {tid} is not registered.")
    return template


def role_template(template_id: str | None) -> RoleTemplate:
    tid = template_id or DEFAULT_ROLE_TEMPLATE
    if not TEMPLATE_ID_RE.match(tid):
        raise Ima2Error("CARD_NEWS_BAD_TEMPLATE_ID")
    template = ROLE_TEMPLATES.get(tid)
    if template is None:
        raise Ima2Error("CARD_NEWS_TEMPLATE_NOT_REGISTERED", f"Role template {tid} is not registered.")
    return template


def check_set_id(set_id: str) -> str:
    """A set id that names a folder of its own (anything else cannot be a set: not found)."""
    if not SET_ID_RE.match(set_id) or set_id.strip(".") != set_id:
        raise Ima2Error("CARD_NEWS_SET_NOT_FOUND")
    return set_id


def card_filename(order: int, ext: str) -> str:
    return f"card-{order:02d}.{ext}"


def card_url(set_id: str, filename: str | None) -> str | None:
    return f"/generated/{DIR_NAME}/{set_id}/{filename}" if filename else None


def job_status(cards: list[dict[str, Any]]) -> str:
    """A job's status from its cards, as the reference derives it."""
    states = [str(c.get("status")) for c in cards if c.get("status") != "skipped"]
    if any(s in ("queued", "generating") for s in states):
        return "running"
    errors = any(s == "error" for s in states)
    generated = any(s == "generated" for s in states)
    if errors and generated:
        return "partial"
    return "error" if errors else "done"
