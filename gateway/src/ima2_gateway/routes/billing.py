"""GET /api/billing and GET /api/quota: the usage svc-auth reads from the OpenAI, Codex and xAI accounts."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request

from ima2_gateway.context import gateway
from ima2_gateway.models.status import Billing, Quota
from ima2_gateway.openapi import contract
from ima2_proto.v1 import common_pb2

router = APIRouter(tags=["status"])
PROBE_TIMEOUT = 30.0


@router.get(
    "/api/billing",
    operation_id="billing",
    summary="OpenAI key billing probe",
    **contract(Billing, errors="flat"),
)
async def billing(request: Request) -> dict[str, Any]:
    auth = gateway(request).services.auth
    doc = await auth.unary(auth.stub.GetBilling, common_pb2.Empty(), timeout=PROBE_TIMEOUT)
    document: dict[str, Any] = json.loads(doc.json)
    return document


@router.get(
    "/api/quota",
    operation_id="quota",
    summary="Codex and Grok usage windows",
    **contract(Quota, errors="flat"),
)
async def quota(request: Request) -> dict[str, Any]:
    auth = gateway(request).services.auth
    doc = await auth.unary(auth.stub.GetQuota, common_pb2.Empty(), timeout=PROBE_TIMEOUT)
    document: dict[str, Any] = json.loads(doc.json)
    return document
