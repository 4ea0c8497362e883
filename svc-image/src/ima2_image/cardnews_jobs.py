"""Card news generation: one job of kind "cardnews" makes the chosen cards of a set.

The cards are made a few at a time (IMA2_CARD_NEWS_CONCURRENCY), each with one provider call on
the image template's style plus the card's visual prompt and visible text. Every change of a card
(generating, generated, error) is a `card` event and is written to the set's manifest (through
svc-library, atomically), so `GET /api/cardnews/jobs/:id` and the sets list see it at once. A card
that fails keeps its error in the manifest and the job goes on; the job ends `done` when at least one
card was made (status done or partial) and with CARD_NEWS_CARD_FAILED when none was. A canceled
job marks its unfinished cards failed (GENERATION_CANCELED) so they can be retried.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator
from typing import Any

from ima2_common import cardnews
from ima2_common.errors import Ima2Error
from ima2_common.job_events import CardEvent
from ima2_common.logging import log_fields
from ima2_image.jobs_common import SAVE_TIMEOUT, JobDeps, Prompt, make_call
from ima2_image.providers.base import ImageProvider
from ima2_jobs.runner import Job
from ima2_proto.v1 import common_pb2, image_pb2, library_pb2

log = logging.getLogger("ima2.image.cardnews")
EXTENSIONS = {"image/png": "png", "image/jpeg": "jpg", "image/webp": "webp"}
EVENT_FIELDS = ("id", "order", "status", "error", "imageFilename", "url", "generatedAt")


def now_ms() -> int:
    return int(time.time() * 1000)


def assemble_prompt(template: cardnews.ImageTemplate, card: dict[str, Any]) -> str:
    """Template style, the card's visual, then exactly the text to render (nothing else)."""
    visible = [
        f
        for f in card.get("textFields") or []
        if isinstance(f, dict) and f.get("renderMode", "in-image") == "in-image" and f.get("text")
    ]
    if not visible:
        visible = [
            {"kind": "headline", "placement": "top-center", "text": card.get("headline", "")},
            {"kind": "body", "placement": "bottom-center", "text": card.get("body", "")},
        ]
    lines = [template.style_prompt, str(card.get("visualPrompt") or "")]
    lines.append("Render only the following readable text items exactly as written:")
    lines += [
        f'- {f.get("kind", "body")} at {f.get("placement", "free")}: "{f["text"]}"'
        for f in visible
        if f["text"]
    ]
    lines.append("Do not render role labels, schema keys or any other text.")
    if template.negative_prompt:
        lines.append(f"Avoid: {template.negative_prompt}")
    return "\n".join(line for line in lines if line)


def parse_plan(plan_json: str) -> dict[str, Any]:
    try:
        plan = json.loads(plan_json) if plan_json else None
    except json.JSONDecodeError:
        plan = None
    if not isinstance(plan, dict):
        raise Ima2Error("CARD_NEWS_BAD_REQUEST", "The plan must be a JSON object.")
    cards = plan.get("cards")
    if not isinstance(cards, list) or not cards:
        raise Ima2Error("CARD_NEWS_CARDS_REQUIRED")
    if len(cards) > cardnews.MAX_CARDS:
        raise Ima2Error("CARD_NEWS_BAD_REQUEST", f"A set has at most {cardnews.MAX_CARDS} cards.")
    return plan


class SetManifest:
    """The manifest of one set while a job runs: every change is written through svc-library."""

    def __init__(self, deps: JobDeps, manifest: dict[str, Any]) -> None:
        self.deps = deps
        self.manifest = manifest
        self.set_id: str = manifest["setId"]
        self._lock = asyncio.Lock()

    async def write_file(self, name: str, data: bytes) -> None:
        library = self.deps.library
        await library.unary(
            library.stub.WriteCardNewsFile,
            library_pb2.WriteCardNewsFileRequest(set_id=self.set_id, name=name, data=data),
            timeout=SAVE_TIMEOUT,
        )

    async def save(self) -> None:
        async with self._lock:
            cards = self.manifest["cards"]
            self.manifest["status"] = cardnews.job_status(cards)
            self.manifest["cardCount"] = len(cards)
            self.manifest["updatedAt"] = now_ms()
            data = (json.dumps(self.manifest, indent=2, ensure_ascii=False) + "\n").encode()
            await self.write_file(cardnews.MANIFEST_NAME, data)


def initial_manifest(
    plan: dict[str, Any], job_id: str, options: image_pb2.ImageJobOptions, chosen: set[str]
) -> dict[str, Any]:
    set_id = str(plan.get("setId") or "")
    cardnews.check_set_id(set_id)
    template = cardnews.image_template(plan.get("imageTemplateId") or None)
    roles = cardnews.role_template(plan.get("roleTemplateId") or None)
    now = now_ms()
    cards: list[dict[str, Any]] = []
    for index, raw in enumerate(plan["cards"]):
        if not isinstance(raw, dict):
            raise Ima2Error("CARD_NEWS_BAD_REQUEST", "Each card must be an object.")
        card_id = str(raw.get("id") or f"card_{index + 1}")
        if not cardnews.CARD_ID_RE.match(card_id):
            raise Ima2Error("CARD_NEWS_BAD_REQUEST", "A card id is not valid.")
        filename = raw.get("imageFilename")
        if not isinstance(filename, str) or not cardnews.CARD_FILE_RE.match(filename):
            filename = None
        card: dict[str, Any] = {
            "id": card_id,
            "order": index + 1,
            "role": str(raw.get("role") or "card")[:40],
            "headline": str(raw.get("headline") or "")[: cardnews.MAX_TEXT_CHARS],
            "body": str(raw.get("body") or "")[: cardnews.MAX_TEXT_CHARS],
            "visualPrompt": str(raw.get("visualPrompt") or "")[: cardnews.MAX_TEXT_CHARS],
            "textFields": raw.get("textFields") if isinstance(raw.get("textFields"), list) else [],
            "locked": raw.get("locked") is True,
            "status": raw.get("status") if raw.get("status") in cardnews.CARD_STATUSES else "draft",
            "error": raw.get("error") if isinstance(raw.get("error"), dict) else None,
            "imageFilename": filename,
            "generatedAt": raw.get("generatedAt") if isinstance(raw.get("generatedAt"), int) else None,
        }
        card["url"] = cardnews.card_url(set_id, filename)
        if card_id in chosen:
            card.update(status="queued", error=None)
        elif card["status"] in ("queued", "generating", "draft"):
            card["status"] = "skipped" if card["locked"] or card["status"] == "draft" else card["status"]
        cards.append(card)
    job_ids = [j for j in plan.get("jobIds") or [] if isinstance(j, str)]
    return {
        "kind": "card-news-set",
        "setId": set_id,
        "jobId": job_id,
        "jobIds": [*[j for j in job_ids if j != job_id], job_id],
        "requestId": options.request_id,
        "title": str(plan.get("title") or "Untitled card news")[:200],
        "topic": str(plan.get("topic") or plan.get("title") or "")[:400],
        "imageTemplateId": template.id,
        "roleTemplateId": roles.id,
        "size": options.size or str(plan.get("size") or template.size),
        "provider": options.provider,
        "model": options.model,
        "quality": options.quality,
        "sessionId": options.session_id or plan.get("sessionId") or None,
        "generationStrategy": "parallel-template",
        "status": "queued",
        "createdAt": plan.get("createdAt") if isinstance(plan.get("createdAt"), int) else now,
        "updatedAt": now,
        "cards": cards,
    }


def chosen_cards(plan: dict[str, Any], card_ids: list[str]) -> set[str]:
    ids = [str(c.get("id") or f"card_{i + 1}") for i, c in enumerate(plan["cards"]) if isinstance(c, dict)]
    locked = {
        str(c.get("id") or f"card_{i + 1}")
        for i, c in enumerate(plan["cards"])
        if isinstance(c, dict) and c.get("locked") is True
    }
    if card_ids:
        unknown = [c for c in card_ids if c not in ids]
        if unknown:
            raise Ima2Error("CARD_NEWS_CARD_NOT_FOUND")
        wanted = set(card_ids)
    else:
        wanted = set(ids) - locked
    if not wanted:
        raise Ima2Error("CARD_NEWS_CARDS_REQUIRED", "Every card is locked: nothing to generate.")
    return wanted


class CardNewsJobs:
    def __init__(self, deps: JobDeps, concurrency: int) -> None:
        self.deps = deps
        self.concurrency = max(1, concurrency)

    async def generate(
        self, request: image_pb2.CardNewsGenerateRequest
    ) -> AsyncIterator[common_pb2.JobEvent]:
        options = request.options
        if not cardnews.JOB_ID_RE.match(request.job_id):
            raise Ima2Error("CARD_NEWS_BAD_REQUEST", "job id is not valid.")
        plan = parse_plan(request.plan_json)
        chosen = chosen_cards(plan, list(request.card_ids))
        manifest = initial_manifest(plan, request.job_id, options, chosen)
        template = cardnews.image_template(manifest["imageTemplateId"])
        provider = await self.deps.provider(options.provider)
        meta = {
            "model": options.model,
            "provider": options.provider,
            "size": manifest["size"],
            "quality": options.quality,
            "sessionId": options.session_id or None,
            "setId": manifest["setId"],
            "cardNewsJobId": request.job_id,
            "cards": len(chosen),
        }

        async def work(job: Job) -> dict[str, Any]:
            state = SetManifest(self.deps, manifest)
            return await self._run(job, state, provider, template, options, chosen)

        async for event in self.deps.runner.run(
            options.request_id, cardnews.JOB_KIND, meta, work, options.async_mode
        ):
            yield event

    async def _run(
        self,
        job: Job,
        state: SetManifest,
        provider: ImageProvider,
        template: cardnews.ImageTemplate,
        options: image_pb2.ImageJobOptions,
        chosen: set[str],
    ) -> dict[str, Any]:
        await state.save()
        cards = [c for c in state.manifest["cards"] if c["id"] in chosen]
        for card in cards:
            await self._announce(job, state, card)
        await job.phase("generating", setId=state.set_id, cards=len(cards))
        gate = asyncio.Semaphore(self.concurrency)

        async def one(card: dict[str, Any]) -> None:
            async with gate:
                await self._card(job, state, provider, template, options, card)

        try:
            await asyncio.gather(*(one(card) for card in cards))
        except asyncio.CancelledError:
            for card in cards:
                if card["status"] in ("queued", "generating"):
                    card.update(status="error", error=self._error(Ima2Error("GENERATION_CANCELED")))
            await asyncio.shield(state.save())
            raise
        await state.save()
        made = [c for c in cards if c["status"] == "generated"]
        log.info(
            "card news job finished",
            extra=log_fields(setId=state.set_id, cards=len(cards), generated=len(made)),
        )
        if not made:
            first = next((c["error"] for c in cards if c.get("error")), None) or {}
            raise Ima2Error(
                "CARD_NEWS_CARD_FAILED",
                f"No card of this job could be generated ({first.get('code', 'unknown')}).",
                extra={"setId": state.set_id, "cardNewsJobId": state.manifest["jobId"]},
            )
        return self.summary(state.manifest)

    @staticmethod
    def _error(err: Ima2Error) -> dict[str, Any]:
        return {"code": err.code, "message": err.message}

    async def _announce(self, job: Job, state: SetManifest, card: dict[str, Any]) -> None:
        public = {k: card.get(k) for k in EVENT_FIELDS}
        await job.emit(CardEvent(setId=state.set_id, cardNewsJobId=state.manifest["jobId"], card=public))

    async def _card(
        self,
        job: Job,
        state: SetManifest,
        provider: ImageProvider,
        template: cardnews.ImageTemplate,
        options: image_pb2.ImageJobOptions,
        card: dict[str, Any],
    ) -> None:
        job.raise_if_canceled()
        card.update(status="generating", error=None)
        await self._announce(job, state, card)
        await state.save()
        prompt = Prompt.plain(assemble_prompt(template, card))
        call = make_call(
            options, prompt, references=[], planner_model=await self.deps.planner_model(options.provider)
        )
        call.size = state.manifest["size"]
        try:
            result = await provider.generate(call)
            if not result.images:
                raise Ima2Error("EMPTY_RESPONSE")
            image = result.images[0]
            name = cardnews.card_filename(card["order"], EXTENSIONS.get(image.mime, "png"))
            await state.write_file(name, image.data)
        except Ima2Error as err:
            card.update(status="error", error=self._error(err))
            log.warning("card news card failed", extra=log_fields(setId=state.set_id, code=err.code))
        except Exception as exc:  # an unexpected failure of one card must not end the others
            card.update(status="error", error=self._error(Ima2Error("CARD_NEWS_CARD_FAILED")))
            log.error(
                "card news card crashed", extra=log_fields(setId=state.set_id, error=type(exc).__name__)
            )
        else:
            card.update(
                status="generated",
                error=None,
                imageFilename=name,
                url=cardnews.card_url(state.set_id, name),
                generatedAt=now_ms(),
                revisedPrompt=image.revised_prompt or None,
            )
        await self._announce(job, state, card)
        await state.save()

    @staticmethod
    def summary(manifest: dict[str, Any]) -> dict[str, Any]:
        cards = manifest["cards"]
        return {
            "setId": manifest["setId"],
            "cardNewsJobId": manifest["jobId"],
            "status": cardnews.job_status(cards),
            "total": len(cards),
            "generated": sum(1 for c in cards if c["status"] == "generated"),
            "errors": sum(1 for c in cards if c["status"] == "error"),
            "cards": [{k: c.get(k) for k in EVENT_FIELDS} for c in cards],
        }
