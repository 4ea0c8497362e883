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
from ima2_gateway.validation import REQUEST_ID_RE, json_body, multimode_request

router = APIRouter()


@router.post("/api/generate/multimode", operation_id="generateMultimode")
async def multimode(request: Request) -> Response:
    body: dict[str, Any] = {}
    try:
        body = await json_body(request)
        job = multimode_request(body, request)
    except Ima2Error as err:
        if body.get("async") is True:
            return error_response(err, request)
        requested = body.get("requestId")
        valid = isinstance(requested, str) and REQUEST_ID_RE.match(requested)
        request_id = requested if valid and isinstance(requested, str) else request.state.request_id
        return sse_error_response(err, request_id)
    image = gateway(request).services.image
    stream = image.stream(image.stub.Multimode, job)
    if job.options.async_mode:
        return await answer_sse(stream, request, request_id=job.options.request_id, errors_as_sse=False)
    return await answer_sse(stream, request, request_id=job.options.request_id, errors_as_sse=True)
