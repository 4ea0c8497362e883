"""POST /api/edit: image edit / image-to-image, with optional mask guidance (flat error envelope)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from ima2_gateway.context import gateway
from ima2_gateway.jobs import answer_json
from ima2_gateway.validation import edit_request, json_body

router = APIRouter()


@router.post("/api/edit", operation_id="edit")
async def edit(request: Request) -> Response:
    body = await json_body(request)
    job = edit_request(body, request)
    image = gateway(request).services.image
    stream = image.stream(image.stub.Edit, job)
    return await answer_json(stream, request, request_id=job.options.request_id)
