"""GET/PATCH /api/config/grok-planner: the Grok planner model, shared by every svc-image replica."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from ima2_gateway.bodies import read_json
from ima2_gateway.context import gateway
from ima2_gateway.models.status import GrokPlannerConfig, GrokPlannerUpdate, GrokPlannerUpdated
from ima2_gateway.openapi import contract, json_body
from ima2_proto.v1 import common_pb2, image_pb2

router = APIRouter(tags=["status"])


@router.get(
    "/api/config/grok-planner",
    operation_id="getGrokPlanner",
    summary="The Grok search/planner model and its options",
    **contract(GrokPlannerConfig, errors="flat"),
)
async def get_planner(request: Request) -> dict[str, Any]:
    image = gateway(request).services.image
    reply = await image.unary(image.stub.GetGrokPlannerConfig, common_pb2.Empty())
    return {"model": reply.model, "options": list(reply.options)}


@router.patch(
    "/api/config/grok-planner",
    operation_id="setGrokPlanner",
    summary="Change the Grok planner model (every replica)",
    **contract(GrokPlannerUpdated, errors="flat", statuses=(400,), body=json_body(GrokPlannerUpdate)),
)
async def set_planner(request: Request) -> dict[str, Any]:
    model = (await read_json(request, GrokPlannerUpdate)).model
    image = gateway(request).services.image
    reply = await image.unary(image.stub.SetGrokPlannerConfig, image_pb2.GrokPlannerConfig(model=model))
    return {"model": reply.model}
