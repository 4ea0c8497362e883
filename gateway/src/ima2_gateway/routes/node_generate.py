"""POST /api/node/generate: JSON, per-request SSE (`Accept: text/event-stream`) or async 202.

Errors use the nested envelope plus the node route's extra fields (reference §1.10 family 2):
`{error:{code,message,requestId}, parentNodeId, status, upstreamCode, upstreamType, upstreamParam}`.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from ima2_common.errors import Ima2Error
from ima2_gateway.context import gateway
from ima2_gateway.errors import error_response
from ima2_gateway.jobs import answer_json, answer_sse
from ima2_gateway.models.base import parse_json_object, validate_body
from ima2_gateway.models.images import NodeGenerateRequest, NodeResult
from ima2_gateway.openapi import GENERATION_STATUSES, contract, json_body
from ima2_gateway.validation import node_request

router = APIRouter(tags=["images"])


def wants_sse(request: Request) -> bool:
    return "text/event-stream" in request.headers.get("accept", "").lower()


def node_error(err: Ima2Error, request: Request, parent_node_id: str | None) -> Response:
    extra = {
        **err.extra,
        "parentNodeId": parent_node_id or None,
        "status": err.status,
        "upstreamCode": err.upstream_code,
        "upstreamType": err.upstream_type,
        "upstreamParam": err.upstream_param,
    }
    return error_response(dataclasses.replace(err, extra=extra), request, family="nested")


def _parent_of(body: dict[str, Any]) -> str | None:
    value = body.get("parentNodeId")
    return value if isinstance(value, str) and value else None


@router.post(
    "/api/node/generate",
    operation_id="nodeGenerate",
    summary="Generate or edit one node image (JSON, SSE with Accept: text/event-stream, or async)",
    **contract(
        NodeResult,
        errors="node",
        statuses=GENERATION_STATUSES,
        body=json_body(NodeGenerateRequest),
        sse=True,
        accepted=True,
    ),
)
async def node_generate(request: Request) -> Response:
    raw: dict[str, Any] = {}
    try:
        raw = parse_json_object(await request.body())
        job = node_request(validate_body(NodeGenerateRequest, raw), request)
    except Ima2Error as err:
        return node_error(err, request, _parent_of(raw))
    parent = job.parent_node_id or None

    def render(err: Ima2Error) -> Response:
        return node_error(err, request, parent)

    image = gateway(request).services.image
    stream = image.stream(image.stub.NodeGenerate, job)
    request_id = job.options.request_id
    if wants_sse(request) and not job.options.async_mode:
        return await answer_sse(
            stream, request, request_id=request_id, errors_as_sse=False, render_error=render
        )
    return await answer_json(
        stream, request, request_id=request_id, accepted_async_flag=False, render_error=render
    )
