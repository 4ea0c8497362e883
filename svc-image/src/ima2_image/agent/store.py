"""The Agent records of svc-library, as dicts (the AgentStore gRPC service speaks JSON documents)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, TypeAlias

from ima2_common.grpc_client import ServiceClient
from ima2_proto.v1 import agent_pb2, agent_pb2_grpc, common_pb2

AgentStoreClient: TypeAlias = ServiceClient[agent_pb2_grpc.AgentStoreStub]


def _load(doc: agent_pb2.AgentDoc) -> dict[str, Any]:
    value = json.loads(doc.json) if doc.json else {}
    return value if isinstance(value, dict) else {}


def _dump(value: dict[str, Any]) -> str:
    return json.dumps(value, ensure_ascii=False)


class AgentRecordsClient:
    def __init__(self, client: AgentStoreClient) -> None:
        self.client = client
        self.stub = client.stub

    async def session(self, session_id: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        doc = _load(await self.client.unary(self.stub.GetSession, agent_pb2.AgentKey(id=session_id)))
        return doc["session"], list(doc.get("turns") or [])

    async def sessions(self) -> list[dict[str, Any]]:
        return list(_load(await self.client.unary(self.stub.ListSessions, common_pb2.Empty()))["sessions"])

    async def update_session(self, session_id: str, patch: dict[str, Any]) -> dict[str, Any]:
        request = agent_pb2.AgentPatch(id=session_id, json=_dump(patch))
        return _load(await self.client.unary(self.stub.UpdateSession, request))

    async def append_turn(self, session_id: str, turn: dict[str, Any]) -> dict[str, Any]:
        request = agent_pb2.AgentPatch(id=session_id, json=_dump(turn))
        return _load(await self.client.unary(self.stub.AppendTurn, request))

    async def compact(self, session_id: str, summary: str, keep_turns: int) -> dict[str, Any]:
        request = agent_pb2.AgentCompact(session_id=session_id, summary=summary, keep_turns=keep_turns)
        return _load(await self.client.unary(self.stub.CompactSession, request))

    async def create_item(self, body: dict[str, Any]) -> dict[str, Any]:
        return _load(await self.client.unary(self.stub.CreateQueueItem, agent_pb2.AgentDoc(json=_dump(body))))

    async def item(self, item_id: str) -> dict[str, Any]:
        return _load(await self.client.unary(self.stub.GetQueueItem, agent_pb2.AgentKey(id=item_id)))

    async def transition(
        self, item_id: str, from_status: Sequence[str], fields: dict[str, Any]
    ) -> tuple[dict[str, Any], bool]:
        request = agent_pb2.AgentTransition(id=item_id, from_status=list(from_status), json=_dump(fields))
        doc = _load(await self.client.unary(self.stub.TransitionQueueItem, request))
        return doc["item"], bool(doc.get("changed"))

    async def start_in_turn(
        self, item_id: str, fields: dict[str, Any]
    ) -> tuple[dict[str, Any], bool, list[dict[str, Any]]]:
        request = agent_pb2.AgentPatch(id=item_id, json=_dump(fields))
        doc = _load(await self.client.unary(self.stub.StartQueueItem, request))
        return doc["item"], bool(doc.get("started")), list(doc.get("ahead") or [])
