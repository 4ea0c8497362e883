"""GET /api/node/:nodeId: the stored metadata of a node's image (reference §1.5)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from ima2_common.structs import struct_to_dict
from ima2_gateway.context import gateway
from ima2_gateway.models.library import NodeInfo
from ima2_gateway.openapi import contract
from ima2_proto.v1 import library_pb2

router = APIRouter(tags=["library"])


@router.get(
    "/api/node/{node_id}",
    operation_id="getNode",
    summary="A node's stored metadata and image URL",
    **contract(NodeInfo, errors="nested", statuses=(404,)),
)
async def get_node(node_id: str, request: Request) -> dict[str, Any]:
    library = gateway(request).services.library
    reply = await library.unary(library.stub.GetNode, library_pb2.GetNodeRequest(node_id=node_id))
    return {"nodeId": reply.node_id, "meta": struct_to_dict(reply.meta), "url": reply.url}
