"""Card news (reference §1.9): `/api/cardnews/*`, mounted only when `features.cardNews` is on
(IMA2_CARD_NEWS); when off the routes do not exist (404) but stay in the API document.

Thin: svc-image drafts plans (a text model) and makes the cards as `cardnews` jobs (admission,
`card` events on /api/events, /api/inflight, cancel); the gateway reads the sets' manifests from
the generated folder (svc-library writes them). Errors use the nested envelope.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from ima2_common import cardnews, catalog, events
from ima2_common.errors import Ima2Error
from ima2_gateway.bodies import json_object
from ima2_gateway.cardnews_sets import CardNewsSets, job_view, plan_view, set_view, template_preview
from ima2_gateway.context import Gateway, gateway
from ima2_gateway.jobs import error_from_event, job_events, public_payload
from ima2_gateway.models import cardnews as m
from ima2_gateway.models.base import M, validate_body
from ima2_gateway.openapi import contract, json_body
from ima2_gateway.validation import REQUEST_ID_RE, resolve_provider, validate_model
from ima2_proto.v1 import image_pb2

router = APIRouter(tags=["cardnews"])
GATE = " (only when features.cardNews is on)"
DRAFT_TIMEOUT = 180.0


def sets_of(gw: Gateway) -> CardNewsSets:
    return CardNewsSets(gw.settings.generated_path)


async def body_of(request: Request, model: type[M]) -> M:
    return validate_body(model, await json_object(request, cardnews.MAX_BODY_BYTES))


def new_job_id() -> str:
    return f"cj_{uuid.uuid4().hex[:24]}"


def job_options(
    request: Request, body: m.ImageOptions, size: str, async_mode: bool
) -> image_pb2.ImageJobOptions:
    provider = resolve_provider(body.provider)
    request_id = body.requestId or request.state.request_id
    if not REQUEST_ID_RE.match(request_id):
        raise Ima2Error("INVALID_REQUEST_ID")
    return image_pb2.ImageJobOptions(
        request_id=request_id,
        provider=provider,
        model=validate_model(provider, body.model),
        quality=body.quality or cardnews.DEFAULT_QUALITY,
        size=size,
        format="png",
        moderation=body.moderation or cardnews.DEFAULT_MODERATION,
        reasoning_effort=catalog.DEFAULTS["reasoningEffort"],
        session_id=body.sessionId or "",
        async_mode=async_mode,
        web_search_enabled=False,
        mode="direct",
    )


async def ensure_idle(gw: Gateway, manifest: dict[str, Any]) -> None:
    """One job at a time per set: its manifest has one writer."""
    request_id = manifest.get("requestId")
    if isinstance(request_id, str) and request_id and await gw.registry.get(request_id) is not None:
        raise Ima2Error("CARD_NEWS_SET_BUSY")


async def run_job(
    request: Request,
    plan: dict[str, Any],
    job_id: str,
    card_ids: list[str],
    options: image_pb2.ImageJobOptions,
) -> Response:
    """Start the job; 202 with the job for async callers, else the finished job (or its error)."""
    gw = gateway(request)
    image = gw.services.image
    call = image_pb2.CardNewsGenerateRequest(
        plan_json=json.dumps(plan, ensure_ascii=False), job_id=job_id, options=options, card_ids=card_ids
    )
    source = job_events(gw, image.stream(image.stub.CardNewsGenerate, call), options.request_id)
    try:
        async for item in source:
            if item.event == events.ACCEPTED:
                chosen = set(card_ids) or {c.get("id") for c in plan["cards"] if not c.get("locked")}
                queued = [
                    {**c, "status": "queued", "error": None} if c.get("id") in chosen else c
                    for c in plan["cards"]
                ]
                view = job_view(
                    {**plan, "cards": queued, "status": "queued", "requestId": options.request_id}, job_id
                )
                return JSONResponse(m.Job.model_validate(view).model_dump(), status_code=202)
            payload = json.loads(item.payload_json)
            if item.event == events.DONE:
                done = public_payload(payload)
                manifest = await sets_of(gw).manifest(str(done["setId"]))
                result = {
                    **job_view(manifest, job_id),
                    "manifestUrl": f"/api/cardnews/sets/{manifest['setId']}/manifest",
                }
                return JSONResponse(m.GenerateResult.model_validate(result).model_dump())
            if item.event == events.ERROR:
                raise error_from_event(payload)
    finally:
        await source.aclose()
    raise Ima2Error("GENERATE_FAILED", "The card news job ended without a result.")


# -- templates ------------------------------------------------------------------------------------


@router.get(
    "/api/cardnews/image-templates",
    operation_id="cardNewsImageTemplates",
    summary="Card news image templates" + GATE,
    **contract(m.ImageTemplates, errors="nested"),
)
async def image_templates() -> dict[str, Any]:
    return {"templates": [t.public() for t in cardnews.IMAGE_TEMPLATES.values()]}


@router.get(
    "/api/cardnews/image-templates/{template_id}/preview",
    operation_id="cardNewsTemplatePreview",
    summary="A PNG preview of an image template's layout" + GATE,
    **contract(
        None,
        errors="nested",
        statuses=(400, 404),
        extra={
            200: {
                "description": "The preview.",
                "content": {"image/png": {"schema": {"type": "string", "format": "binary"}}},
            }
        },
    ),
)
async def template_preview_png(template_id: str) -> Response:
    template = cardnews.image_template(template_id)
    return Response(
        template_preview(template), media_type="image/png", headers={"Cache-Control": "max-age=3600"}
    )


@router.get(
    "/api/cardnews/role-templates",
    operation_id="cardNewsRoleTemplates",
    summary="Card news role templates (the cards of a set and their roles)" + GATE,
    **contract(m.RoleTemplates, errors="nested"),
)
async def role_templates() -> dict[str, Any]:
    return {"templates": [t.public() for t in cardnews.ROLE_TEMPLATES.values()]}


# -- sets -----------------------------------------------------------------------------------------


@router.get(
    "/api/cardnews/sets",
    operation_id="cardNewsSets",
    summary="Card news sets, newest first" + GATE,
    **contract(m.Sets, errors="nested"),
)
async def list_sets(request: Request) -> dict[str, Any]:
    manifests = await sets_of(gateway(request)).all()
    return m.Sets(sets=[m.SetSummary.model_validate(set_view(x)) for x in manifests]).model_dump()


@router.get(
    "/api/cardnews/sets/{set_id}",
    operation_id="cardNewsSet",
    summary="One set as a plan (cards with their state)" + GATE,
    **contract(m.SetPlan, errors="nested", statuses=(404,)),
)
async def get_set(request: Request, set_id: str) -> dict[str, Any]:
    manifest = await sets_of(gateway(request)).manifest(set_id)
    return m.SetPlan(plan=m.Plan.model_validate(plan_view(manifest))).model_dump()


@router.get(
    "/api/cardnews/sets/{set_id}/manifest",
    operation_id="cardNewsManifest",
    summary="A set's manifest.json (`?download=1`: as an attachment)" + GATE,
    **contract(m.Manifest, errors="nested", statuses=(404,)),
)
async def get_manifest(request: Request, set_id: str, download: str | None = None) -> Response:
    manifest = await sets_of(gateway(request)).manifest(set_id)
    headers = {}
    if download == "1":
        headers["Content-Disposition"] = f'attachment; filename="{set_id}-manifest.json"'
    text = json.dumps(manifest, indent=2, ensure_ascii=False)
    return Response(text, media_type="application/json", headers=headers)


# -- draft and generate ---------------------------------------------------------------------------


@router.post(
    "/api/cardnews/draft",
    operation_id="cardNewsDraft",
    summary="Plan the cards of a set from a brief (a text model, or deterministic)" + GATE,
    **contract(
        m.Draft, errors="nested", statuses=(400, 401, 404, 422, 502, 503, 504), body=json_body(m.DraftRequest)
    ),
)
async def draft(request: Request) -> dict[str, Any]:
    body = await body_of(request, m.DraftRequest)
    brief = body.model_dump(exclude={"backend", "model", "deterministic"}, exclude_none=True)
    image = gateway(request).services.image
    reply = await image.unary(
        image.stub.CardNewsDraft,
        image_pb2.CardNewsDraftRequest(
            brief_json=json.dumps(brief, ensure_ascii=False),
            backend=body.backend or "",
            model=body.model or "",
            deterministic=body.deterministic,
        ),
        timeout=DRAFT_TIMEOUT,
    )
    return m.Draft(
        plan=m.Plan.model_validate(json.loads(reply.plan_json)),
        planner=m.PlannerInfo.model_validate(json.loads(reply.planner_json)),
    ).model_dump()


async def plan_from(request: Request, body: m.GenerateRequest) -> dict[str, Any]:
    template = cardnews.image_template(body.imageTemplateId)
    roles = cardnews.role_template(body.roleTemplateId)
    set_id = body.setId or f"cs_{uuid.uuid4().hex[:20]}"
    cardnews.check_set_id(set_id)
    previous: dict[str, Any] = {}
    if body.setId:
        try:
            previous = await sets_of(gateway(request)).manifest(set_id)
        except Ima2Error:
            previous = {}
        if previous:
            await ensure_idle(gateway(request), previous)
    cards = [
        {"id": f"card_{index + 1}", "status": "draft", **c.model_dump(exclude_none=True), "order": index + 1}
        for index, c in enumerate(body.cards)
    ]
    return {
        "setId": set_id,
        "title": body.title or body.topic or "Untitled card news",
        "topic": body.topic or body.title or "",
        "imageTemplateId": template.id,
        "roleTemplateId": roles.id,
        "size": body.size or template.size,
        "jobIds": previous.get("jobIds") or [],
        "createdAt": previous.get("createdAt"),
        "cards": cards,
    }


@router.post(
    "/api/cardnews/generate",
    operation_id="cardNewsGenerate",
    summary="Make every unlocked card of a plan and answer when the job ends" + GATE,
    **contract(
        m.GenerateResult,
        errors="nested",
        statuses=(400, 401, 404, 409, 429, 502, 503),
        body=json_body(m.GenerateRequest),
    ),
)
async def generate(request: Request) -> Response:
    body = await body_of(request, m.GenerateRequest)
    plan = await plan_from(request, body)
    return await run_job(request, plan, new_job_id(), [], job_options(request, body, plan["size"], False))


@router.post(
    "/api/cardnews/jobs",
    operation_id="cardNewsStartJob",
    summary="Start making a plan's cards (202); `card` events on /api/events" + GATE,
    **contract(
        m.Job,
        errors="nested",
        statuses=(400, 401, 404, 409, 429, 503),
        ok_status=202,
        body=json_body(m.GenerateRequest),
    ),
)
async def start_job(request: Request) -> Response:
    body = await body_of(request, m.GenerateRequest)
    plan = await plan_from(request, body)
    return await run_job(request, plan, new_job_id(), [], job_options(request, body, plan["size"], True))


@router.get(
    "/api/cardnews/jobs",
    operation_id="cardNewsJobs",
    summary="The latest job of every set" + GATE,
    **contract(m.Jobs, errors="nested"),
)
async def list_jobs(request: Request) -> dict[str, Any]:
    manifests = await sets_of(gateway(request)).all()
    return m.Jobs(jobs=[m.Job.model_validate(job_view(x)) for x in manifests if x.get("jobId")]).model_dump()


@router.get(
    "/api/cardnews/jobs/{job_id}",
    operation_id="cardNewsJob",
    summary="A job's state, card by card" + GATE,
    **contract(m.Job, errors="nested", statuses=(404,)),
)
async def get_job(request: Request, job_id: str) -> dict[str, Any]:
    manifest = await sets_of(gateway(request)).by_job(job_id)
    return m.Job.model_validate(job_view(manifest, job_id)).model_dump()


@router.post(
    "/api/cardnews/jobs/{job_id}/retry",
    operation_id="cardNewsRetryJob",
    summary="Make a job's failed cards again (202)" + GATE,
    **contract(
        m.Job,
        errors="nested",
        statuses=(400, 404, 409, 429, 503),
        ok_status=202,
        body=json_body(m.RetryRequest, required=False),
    ),
)
async def retry_job(request: Request, job_id: str) -> Response:
    body = await body_of(request, m.RetryRequest)
    gw = gateway(request)
    manifest = await sets_of(gw).by_job(job_id)
    ids = {c.get("id") for c in manifest["cards"]}
    if any(c not in ids for c in body.cardIds or []):
        raise Ima2Error("CARD_NEWS_CARD_NOT_FOUND")
    failed = [c["id"] for c in manifest["cards"] if c.get("status") == "error"]
    wanted = [c for c in failed if body.cardIds is None or c in body.cardIds]
    if not wanted:
        raise Ima2Error("CARD_NEWS_NOTHING_TO_RETRY")
    await ensure_idle(gw, manifest)
    options = job_options(request, body, str(manifest.get("size") or ""), True)
    return await run_job(request, manifest, manifest["jobId"], wanted, options)


@router.post(
    "/api/cardnews/cards/{card_id}/regenerate",
    operation_id="cardNewsRegenerateCard",
    summary="Make one card of a set again, with optional edits (a new job)" + GATE,
    **contract(
        m.GenerateResult,
        errors="nested",
        statuses=(400, 401, 404, 409, 429, 502, 503),
        body=json_body(m.RegenerateRequest),
    ),
)
async def regenerate_card(request: Request, card_id: str) -> Response:
    body = await body_of(request, m.RegenerateRequest)
    gw = gateway(request)
    manifest = await sets_of(gw).manifest(body.setId)
    card = next((c for c in manifest["cards"] if c.get("id") == card_id), None)
    if card is None:
        raise Ima2Error("CARD_NEWS_CARD_NOT_FOUND")
    await ensure_idle(gw, manifest)
    if body.card is not None:
        card.update(body.card.model_dump(exclude_none=True))
    options = job_options(request, body, str(manifest.get("size") or ""), body.async_)
    return await run_job(request, manifest, new_job_id(), [card_id], options)


@router.post(
    "/api/cardnews/export",
    operation_id="cardNewsExport",
    summary="A zip of a set: manifest.json and its card images" + GATE,
    **contract(
        None,
        errors="nested",
        statuses=(400, 404),
        body=json_body(m.ExportRequest),
        extra={
            200: {
                "description": "The zip.",
                "content": {"application/zip": {"schema": {"type": "string", "format": "binary"}}},
            }
        },
    ),
)
async def export(request: Request) -> Response:
    body = await body_of(request, m.ExportRequest)
    data = await sets_of(gateway(request)).export(body.setId)
    headers = {"Content-Disposition": f'attachment; filename="{body.setId}.zip"'}
    return Response(data, media_type="application/zip", headers=headers)
