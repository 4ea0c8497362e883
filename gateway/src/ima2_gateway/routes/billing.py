"""GET /api/billing and GET /api/quota: the usage svc-auth reads from the OpenAI, Codex and xAI accounts."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request

from ima2_gateway.context import gateway
from ima2_proto.v1 import common_pb2

router = APIRouter()
PROBE_TIMEOUT = 30.0


@router.get("/api/billing", operation_id="billing")
async def billing(request: Request) -> dict[str, Any]:
    auth = gateway(request).services.auth
    doc = await auth.unary(auth.stub.GetBilling, common_pb2.Empty(), timeout=PROBE_TIMEOUT)
    document: dict[str, Any] = json.loads(doc.json)
    return document


@router.get("/api/quota", operation_id="quota")
async def quota(request: Request) -> dict[str, Any]:
    auth = gateway(request).services.auth
    doc = await auth.unary(auth.stub.GetQuota, common_pb2.Empty(), timeout=PROBE_TIMEOUT)
    document: dict[str, Any] = json.loads(doc.json)
    return document
