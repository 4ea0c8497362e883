"""POST /api/generate."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from ima2_gateway.bodies import read_json
from ima2_gateway.context import gateway
from ima2_gateway.jobs import answer_json
from ima2_gateway.models.images import GenerateRequest, GenerateResult
from ima2_gateway.openapi import GENERATION_STATUSES, contract, json_body
from ima2_gateway.validation import generate_request

router = APIRouter(tags=["images"])


@router.post(
    "/api/generate",
    operation_id="generate",
    summary="Generate images from a prompt",
    **contract(
        GenerateResult,
        errors="flat",
        statuses=GENERATION_STATUSES,
        body=json_body(GenerateRequest),
        accepted=True,
    ),
)
async def generate(request: Request) -> Response:
    body = await read_json(request, GenerateRequest)
    job = generate_request(body, request)
    image = gateway(request).services.image
    stream = image.stream(image.stub.Generate, job)
    return await answer_json(stream, request, request_id=job.options.request_id)
