"""POST /api/generate/multimode: always SSE on the POST, unless `async: true` (then 202).

Validation errors are SSE `error` events too (reference §1.5), even though no job started;
in async mode they are the flat JSON envelope, since the caller reads no stream.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from ima2_common.errors import Ima2Error
from ima2_gateway.context import gateway
from ima2_gateway.errors import error_response
from ima2_gateway.jobs import answer_sse, sse_error_response
from ima2_gateway.models.base import parse_json_object, validate_body
from ima2_gateway.models.images import MultimodeRequest
from ima2_gateway.openapi import GENERATION_STATUSES, contract, json_body
from ima2_gateway.validation import REQUEST_ID_RE, multimode_request

router = APIRouter(tags=["images"])


@router.post(
    "/api/generate/multimode",
    operation_id="generateMultimode",
    summary="Generate an image sequence (SSE: phase, partial, image, done, error; or async)",
    **contract(
        None,
        errors="flat",
        statuses=GENERATION_STATUSES,
        body=json_body(MultimodeRequest),
        sse=True,
        accepted=True,
    ),
)
async def multimode(request: Request) -> Response:
    raw: dict[str, Any] = {}
    try:
        raw = parse_json_object(await request.body())
        job = multimode_request(validate_body(MultimodeRequest, raw), request)
    except Ima2Error as err:
        if raw.get("async") is True:
            return error_response(err, request)
        requested = raw.get("requestId")
        request_id: str = request.state.request_id
        if isinstance(requested, str) and REQUEST_ID_RE.match(requested):
            request_id = requested
        return sse_error_response(err, request_id)
    image = gateway(request).services.image
    stream = image.stream(image.stub.Multimode, job)
    if job.options.async_mode:
        return await answer_sse(stream, request, request_id=job.options.request_id, errors_as_sse=False)
    return await answer_sse(stream, request, request_id=job.options.request_id, errors_as_sse=True)
