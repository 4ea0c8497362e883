"""POST /api/edit: image edit / image-to-image, with optional mask guidance (flat error envelope)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from ima2_gateway.bodies import read_json
from ima2_gateway.context import gateway
from ima2_gateway.jobs import answer_json
from ima2_gateway.models.images import EditRequest, GenerateResult
from ima2_gateway.openapi import GENERATION_STATUSES, contract, json_body
from ima2_gateway.validation import edit_request

router = APIRouter(tags=["images"])


@router.post(
    "/api/edit",
    operation_id="edit",
    summary="Edit an image (image-to-image, optional mask guidance)",
    **contract(
        GenerateResult,
        errors="flat",
        statuses=GENERATION_STATUSES,
        body=json_body(EditRequest),
        accepted=True,
    ),
)
async def edit(request: Request) -> Response:
    body = await read_json(request, EditRequest)
    job = edit_request(body, request)
    image = gateway(request).services.image
    stream = image.stream(image.stub.Edit, job)
    return await answer_json(stream, request, request_id=job.options.request_id)
