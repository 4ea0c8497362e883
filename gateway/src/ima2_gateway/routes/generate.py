"""POST /api/generate."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from ima2_gateway.context import gateway
from ima2_gateway.jobs import answer_json
from ima2_gateway.validation import generate_request, json_body

router = APIRouter()


@router.post("/api/generate", operation_id="generate")
async def generate(request: Request) -> Response:
    body = await json_body(request)
    job = generate_request(body, request)
    image = gateway(request).services.image
    stream = image.stream(image.stub.Generate, job)
    return await answer_json(stream, request, request_id=job.options.request_id)
