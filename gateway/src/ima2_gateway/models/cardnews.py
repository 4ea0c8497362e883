"""Card news bodies (`/api/cardnews/*`, only with features.cardNews). Errors are nested."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import ConfigDict, Field

from ima2_common import cardnews
from ima2_gateway.models.base import ApiModel

CardStatus = Literal["draft", "queued", "generating", "generated", "error", "skipped"]
JobStatus = Literal["queued", "running", "done", "partial", "error"]
ID_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"
SET_ID_PATTERN = cardnews.SET_ID_RE.pattern


class CardNewsBody(ApiModel):
    """A card news request body: bad fields answer CARD_NEWS_BAD_REQUEST unless mapped."""

    model_config = ConfigDict(populate_by_name=True, extra="ignore")
    default_error_code: ClassVar[str] = "CARD_NEWS_BAD_REQUEST"


# -- templates ------------------------------------------------------------------------------------


class TemplateSlot(ApiModel):
    id: str
    kind: str = Field(description="text | image | safe-area")
    textKind: str | None
    label: str
    placement: str
    maxChars: int | None


class ImageTemplate(ApiModel):
    id: str
    name: str
    description: str
    size: str
    previewUrl: str
    stylePrompt: str
    negativePrompt: str
    slots: list[TemplateSlot]
    palette: list[str]
    recommendedOutputSizes: list[str]
    createdBy: str


class ImageTemplates(ApiModel):
    templates: list[ImageTemplate]


class TemplateRole(ApiModel):
    role: str
    label: str
    promptHint: str


class RoleTemplate(ApiModel):
    id: str
    name: str
    description: str
    cardCount: int
    roles: list[TemplateRole]


class RoleTemplates(ApiModel):
    templates: list[RoleTemplate]


# -- cards and plans ------------------------------------------------------------------------------


class TextField(CardNewsBody):
    id: str | None = Field(default=None, max_length=64)
    kind: Literal["headline", "body", "caption", "cta", "badge", "number"] = "body"
    text: str = Field(max_length=400)
    renderMode: Literal["in-image", "ui-only"] = "in-image"
    placement: str = Field(default="free", max_length=20)


class CardError(ApiModel):
    code: str
    message: str


class CardInput(CardNewsBody):
    """A card as drafted (and possibly edited): what the image is made from."""

    id: str | None = Field(default=None, pattern=ID_PATTERN)
    role: str | None = Field(default=None, max_length=40)
    headline: str = Field(default="", max_length=cardnews.MAX_TEXT_CHARS)
    body: str = Field(default="", max_length=cardnews.MAX_TEXT_CHARS)
    visualPrompt: str = Field(default="", max_length=cardnews.MAX_TEXT_CHARS)
    textFields: list[TextField] = Field(default_factory=list, max_length=8)
    locked: bool = False


class Card(ApiModel):
    """A card of a plan or manifest."""

    model_config = ConfigDict(extra="allow")
    id: str
    order: int
    role: str
    headline: str
    body: str
    visualPrompt: str
    textFields: list[dict[str, Any]]
    locked: bool
    status: CardStatus
    error: CardError | None = None
    imageFilename: str | None = None
    url: str | None = None
    generatedAt: int | None = None


class Plan(ApiModel):
    model_config = ConfigDict(extra="allow")
    setId: str
    title: str
    topic: str
    imageTemplateId: str
    roleTemplateId: str
    size: str
    generationStrategy: str
    cards: list[Card]


class PlannerInfo(ApiModel):
    mode: Literal["model", "deterministic"]
    model: str
    backend: str | None = None
    repaired: bool


class DraftRequest(CardNewsBody):
    topic: str | None = Field(default=None, max_length=cardnews.MAX_BRIEF_CHARS)
    title: str | None = Field(default=None, max_length=cardnews.MAX_BRIEF_CHARS)
    audience: str | None = Field(default=None, max_length=cardnews.MAX_BRIEF_CHARS)
    goal: str | None = Field(default=None, max_length=cardnews.MAX_BRIEF_CHARS)
    contentBrief: str | None = Field(default=None, max_length=cardnews.MAX_BRIEF_CHARS)
    imageTemplateId: str | None = Field(default=None, max_length=120)
    roleTemplateId: str | None = Field(default=None, max_length=120)
    size: str | None = Field(default=None, pattern=r"^\d{3,4}x\d{3,4}$")
    setId: str | None = Field(default=None, max_length=120)
    backend: str | None = Field(default=None, description="The text backend (the prompt builder's choices)")
    model: str | None = None
    deterministic: bool = Field(default=False, description="Plan without a text model")


class Draft(ApiModel):
    plan: Plan
    planner: PlannerInfo


class ImageOptions(CardNewsBody):
    provider: str | None = None
    model: str | None = None
    quality: Literal["low", "medium", "high"] | None = None
    moderation: Literal["auto", "low"] | None = None
    requestId: str | None = None
    sessionId: str | None = Field(default=None, max_length=120)


class GenerateRequest(ImageOptions):
    """A plan to make: the cards (required) and the set's template and size."""

    error_codes: ClassVar[dict[str, str]] = {
        "cards": "CARD_NEWS_CARDS_REQUIRED",
        "cards:too_short": "CARD_NEWS_CARDS_REQUIRED",
    }
    check_order: ClassVar[tuple[str, ...]] = ("cards",)

    setId: str | None = Field(default=None, max_length=120)
    title: str | None = Field(default=None, max_length=200)
    topic: str | None = Field(default=None, max_length=cardnews.MAX_BRIEF_CHARS)
    imageTemplateId: str | None = Field(default=None, max_length=120)
    roleTemplateId: str | None = Field(default=None, max_length=120)
    size: str | None = Field(default=None, pattern=r"^\d{3,4}x\d{3,4}$")
    cards: list[CardInput] = Field(min_length=1, max_length=cardnews.MAX_CARDS)


class RetryRequest(ImageOptions):
    cardIds: list[str] | None = Field(
        default=None,
        max_length=cardnews.MAX_CARDS,
        description="Failed cards to make again (default: every failed card)",
    )


class CardEdit(CardNewsBody):
    headline: str | None = Field(default=None, max_length=cardnews.MAX_TEXT_CHARS)
    body: str | None = Field(default=None, max_length=cardnews.MAX_TEXT_CHARS)
    visualPrompt: str | None = Field(default=None, max_length=cardnews.MAX_TEXT_CHARS)
    textFields: list[TextField] | None = Field(default=None, max_length=8)


class RegenerateRequest(ImageOptions):
    setId: str = Field(max_length=120)
    card: CardEdit | None = Field(default=None, description="Edits applied to the card before it is made")
    async_: bool = Field(default=False, alias="async", description="202 at once; progress on /api/events")


class ExportRequest(CardNewsBody):
    setId: str = Field(max_length=120)


# -- jobs and sets --------------------------------------------------------------------------------


class JobCard(ApiModel):
    id: str
    order: int
    status: CardStatus
    error: CardError | None = None
    imageFilename: str | None = None
    url: str | None = None
    generatedAt: int | None = None


class Job(ApiModel):
    jobId: str
    setId: str
    requestId: str | None = Field(
        default=None, description="The runtime job of the latest run (/api/inflight)"
    )
    status: JobStatus
    total: int
    generated: int
    errors: int
    cards: list[JobCard]
    updatedAt: int | None = None


class Jobs(ApiModel):
    jobs: list[Job]


class GenerateResult(Job):
    manifestUrl: str


class SetCard(ApiModel):
    id: str
    order: int
    headline: str
    body: str
    status: CardStatus
    imageFilename: str | None = None
    url: str | None = None


class SetSummary(ApiModel):
    setId: str
    id: str
    title: str
    status: str
    cardCount: int
    createdAt: int
    updatedAt: int | None = None
    sessionId: str | None = None
    jobId: str | None = None
    manifestUrl: str
    folderLabel: str
    url: str | None = None
    cards: list[SetCard]


class Sets(ApiModel):
    sets: list[SetSummary]


class SetPlan(ApiModel):
    plan: Plan


class Manifest(ApiModel):
    model_config = ConfigDict(extra="allow")
    kind: Literal["card-news-set"]
    setId: str
    jobId: str
    jobIds: list[str]
    status: str
    title: str
    imageTemplateId: str
    roleTemplateId: str
    size: str
    cardCount: int
    createdAt: int
    updatedAt: int
    cards: list[Card]
