"""Card news planning: a text model turns a brief into the cards of a set (POST /api/cardnews/draft).

The model answers a JSON document of PLAN_SCHEMA on the prompt builder's backends (the same
backend choice, credentials and error codes). Its answer is checked against the role template;
an answer that is JSON but off-schema is repaired card by card (the role template decides the
cards, the model's copy fills them); an answer that is not a JSON object is PLANNER_SCHEMA_INVALID.
`deterministic: true` plans without a model, as the reference's fallback does.
The brief and the cards are never logged; only counts.
"""

from __future__ import annotations

import json
import logging
import secrets
import time
from dataclasses import dataclass
from typing import Any

from ima2_common import cardnews
from ima2_common.errors import Ima2Error
from ima2_common.logging import log_fields
from ima2_image.prompt_builder import PromptBuilder

log = logging.getLogger("ima2.image.cardnews")

SYSTEM_PROMPT = (
    "You plan card news: a carousel of square cards for social media. Answer only with a JSON "
    "document of the given schema. Write one card per role, in the order given, each with a short "
    "headline (at most 40 characters), a body of one or two sentences (at most 140 characters) and "
    "a visualPrompt describing the illustration only (never the exact visible text). Use the "
    "language of the brief for headline and body. Never invent facts, brands or people the brief "
    "does not mention."
)
ROLE_LABELS = {r.role: r.label for t in cardnews.ROLE_TEMPLATES.values() for r in t.roles}


def new_set_id() -> str:
    return f"cs_{int(time.time() * 1000):x}{secrets.token_hex(5)}"


def plan_schema(roles: list[str]) -> dict[str, Any]:
    text_field = {
        "type": "object",
        "properties": {
            "kind": {"type": "string", "enum": list(cardnews.TEXT_KINDS)},
            "text": {"type": "string"},
            "renderMode": {"type": "string", "enum": list(cardnews.RENDER_MODES)},
            "placement": {"type": "string", "enum": list(cardnews.PLACEMENTS)},
        },
        "required": ["kind", "text", "renderMode", "placement"],
    }
    card = {
        "type": "object",
        "properties": {
            "order": {"type": "integer"},
            "role": {"type": "string", "enum": roles},
            "headline": {"type": "string"},
            "body": {"type": "string"},
            "visualPrompt": {"type": "string"},
            "textFields": {"type": "array", "items": text_field},
        },
        "required": ["order", "role", "headline", "body", "visualPrompt", "textFields"],
    }
    return {
        "type": "object",
        "properties": {
            "title": {"type": "string"},
            "topic": {"type": "string"},
            "cards": {"type": "array", "items": card, "minItems": len(roles), "maxItems": len(roles)},
        },
        "required": ["title", "topic", "cards"],
    }


@dataclass(frozen=True)
class Brief:
    topic: str
    title: str
    audience: str
    goal: str
    content: str
    image_template: cardnews.ImageTemplate
    role_template: cardnews.RoleTemplate
    size: str
    set_id: str

    @classmethod
    def of(cls, raw: dict[str, Any]) -> Brief:
        def text(key: str) -> str:
            value = raw.get(key)
            return value.strip()[: cardnews.MAX_BRIEF_CHARS] if isinstance(value, str) else ""

        topic = text("topic") or text("title")
        if not topic:
            raise Ima2Error("CARD_NEWS_BAD_REQUEST", "topic is required.")
        image_template = cardnews.image_template(text("imageTemplateId") or None)
        set_id = text("setId")
        if set_id:
            cardnews.check_set_id(set_id)
        return cls(
            topic=topic,
            title=text("title") or topic,
            audience=text("audience"),
            goal=text("goal"),
            content=text("contentBrief"),
            image_template=image_template,
            role_template=cardnews.role_template(text("roleTemplateId") or None),
            size=text("size") or image_template.size,
            set_id=set_id or new_set_id(),
        )

    def user_text(self) -> str:
        lines = [f"Topic: {self.topic}", f"Title: {self.title}"]
        for label, value in (("Audience", self.audience), ("Goal", self.goal), ("Content", self.content)):
            if value:
                lines.append(f"{label}: {value}")
        lines.append(f"Look: {self.image_template.description}")
        roles = ", ".join(f"{i + 1}. {r.role} ({r.label})" for i, r in enumerate(self.role_template.roles))
        lines.append(f"Cards: {roles}")
        return "\n".join(lines)


def _text(value: Any, fallback: str, limit: int = cardnews.MAX_TEXT_CHARS) -> str:
    return value.strip()[:limit] if isinstance(value, str) and value.strip() else fallback


def _text_fields(value: Any) -> list[dict[str, Any]]:
    fields: list[dict[str, Any]] = []
    for index, raw in enumerate(value if isinstance(value, list) else []):
        if not isinstance(raw, dict) or not _text(raw.get("text"), ""):
            continue
        fields.append(
            {
                "id": _text(raw.get("id"), f"tf_{index + 1}", 64),
                "kind": raw.get("kind") if raw.get("kind") in cardnews.TEXT_KINDS else "body",
                "text": _text(raw.get("text"), "", 400),
                "renderMode": raw.get("renderMode")
                if raw.get("renderMode") in cardnews.RENDER_MODES
                else "in-image",
                "placement": raw.get("placement") if raw.get("placement") in cardnews.PLACEMENTS else "free",
            }
        )
    return fields


def fallback_copy(brief: Brief, role: cardnews.Role, index: int) -> tuple[str, str]:
    headline = brief.title if index == 0 else role.label
    body = brief.content or (f"{brief.goal}." if brief.goal else f"{role.label}: {brief.topic}.")
    return headline, body[:280]


def make_card(brief: Brief, role: cardnews.Role, index: int, raw: dict[str, Any] | None) -> dict[str, Any]:
    headline, body = fallback_copy(brief, role, index)
    raw = raw or {}
    return {
        "id": f"card_{index + 1}",
        "order": index + 1,
        "role": role.role,
        "headline": _text(raw.get("headline"), headline),
        "body": _text(raw.get("body"), body),
        "visualPrompt": _text(raw.get("visualPrompt"), f"{role.prompt_hint}, {brief.topic}"),
        "textFields": _text_fields(raw.get("textFields")),
        "locked": False,
        "status": "draft",
    }


def plan_of(brief: Brief, title: str, topic: str, cards: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "setId": brief.set_id,
        "title": title,
        "topic": topic,
        "imageTemplateId": brief.image_template.id,
        "roleTemplateId": brief.role_template.id,
        "size": brief.size,
        "generationStrategy": "parallel-template",
        "cards": cards,
    }


def deterministic_plan(brief: Brief) -> dict[str, Any]:
    cards = [make_card(brief, role, i, None) for i, role in enumerate(brief.role_template.roles)]
    return plan_of(brief, brief.title, brief.topic, cards)


def checked_plan(brief: Brief, answer: Any) -> tuple[dict[str, Any], bool]:
    """(plan, repaired): the model's answer on the role template's cards."""
    if not isinstance(answer, dict):
        raise Ima2Error("PLANNER_SCHEMA_INVALID", "The planner did not answer a JSON object.")
    roles = brief.role_template.roles
    found = answer.get("cards")
    raw_cards: list[Any] = found if isinstance(found, list) else []
    repaired = len(raw_cards) != len(roles) or not isinstance(answer.get("title"), str)
    cards = []
    for index, role in enumerate(roles):
        raw = raw_cards[index] if index < len(raw_cards) and isinstance(raw_cards[index], dict) else None
        if raw is None or raw.get("role") != role.role or raw.get("order") != index + 1:
            repaired = True
        if raw is not None and not all(_text(raw.get(k), "") for k in ("headline", "body", "visualPrompt")):
            repaired = True
        cards.append(make_card(brief, role, index, raw))
    title = _text(answer.get("title"), brief.title, 200)
    topic = _text(answer.get("topic"), brief.topic, 400)
    return plan_of(brief, title, topic, cards), repaired


class CardNewsPlanner:
    def __init__(self, builder: PromptBuilder) -> None:
        self.builder = builder

    async def draft(
        self, raw_brief: dict[str, Any], backend: str, model: str, deterministic: bool
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        brief = Brief.of(raw_brief)
        if deterministic:
            return deterministic_plan(brief), {"mode": "deterministic", "model": "none", "repaired": False}
        roles = [r.role for r in brief.role_template.roles]
        try:
            text, used_backend, used_model = await self.builder.complete_json(
                backend, model, SYSTEM_PROMPT, brief.user_text(), "card_news_plan", plan_schema(roles)
            )
        except Ima2Error as err:
            if err.status >= 500 or err.status in (401,):
                log.warning("card news planner unavailable", extra=log_fields(code=err.code))
                raise Ima2Error(
                    "PLANNER_UNAVAILABLE", f"The card news planner is unavailable ({err.code})."
                ) from None
            raise
        try:
            answer = json.loads(text)
        except json.JSONDecodeError:
            raise Ima2Error("PLANNER_SCHEMA_INVALID", "The planner's answer is not JSON.") from None
        plan, repaired = checked_plan(brief, answer)
        log.info(
            "card news drafted",
            extra=log_fields(
                backend=used_backend, model=used_model, cards=len(plan["cards"]), repaired=repaired
            ),
        )
        return plan, {"mode": "model", "backend": used_backend, "model": used_model, "repaired": repaired}
