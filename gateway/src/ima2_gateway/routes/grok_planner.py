"""GET/PATCH /api/config/grok-planner: the Grok planner model, shared by every svc-image replica."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from ima2_common.errors import Ima2Error
from ima2_gateway.context import gateway
from ima2_gateway.validation import json_body
from ima2_proto.v1 import common_pb2, image_pb2

router = APIRouter()


@router.get("/api/config/grok-planner", operation_id="getGrokPlanner")
async def get_planner(request: Request) -> dict[str, Any]:
    image = gateway(request).services.image
    reply = await image.unary(image.stub.GetGrokPlannerConfig, common_pb2.Empty())
    return {"model": reply.model, "options": list(reply.options)}


@router.patch("/api/config/grok-planner", operation_id="setGrokPlanner")
async def set_planner(request: Request) -> dict[str, Any]:
    body = await json_body(request)
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise Ima2Error("INVALID_PLANNER_MODEL", "model is required.")
    image = gateway(request).services.image
    reply = await image.unary(image.stub.SetGrokPlannerConfig, image_pb2.GrokPlannerConfig(model=model))
    return {"model": reply.model}
