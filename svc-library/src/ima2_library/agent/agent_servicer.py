"""AgentStore over gRPC: thin; JSON documents in, the store's records out."""

from __future__ import annotations

import json
from typing import Any

from ima2_common.errors import Ima2Error
from ima2_common.grpc_server import ServicerContext
from ima2_library.agent.agent_store import AgentRecords
from ima2_proto.v1 import agent_pb2, agent_pb2_grpc, common_pb2


def _doc(value: Any) -> agent_pb2.AgentDoc:
    return agent_pb2.AgentDoc(json=json.dumps(value, ensure_ascii=False))


def _body(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text) if text else {}
    except ValueError:
        raise Ima2Error("AGENT_INVALID_SETTINGS", "The body is not JSON.") from None
    if not isinstance(value, dict):
        raise Ima2Error("AGENT_INVALID_SETTINGS", "The body must be an object.")
    return value


class AgentStoreServicer(agent_pb2_grpc.AgentStoreServicer):
    def __init__(self, store: AgentRecords) -> None:
        self.store = store

    async def CreateSession(
        self, request: agent_pb2.AgentDoc, context: ServicerContext
    ) -> agent_pb2.AgentDoc:
        return _doc(await self.store.create_session(_body(request.json)))

    async def ListSessions(self, request: common_pb2.Empty, context: ServicerContext) -> agent_pb2.AgentDoc:
        return _doc({"sessions": await self.store.list_sessions()})

    async def GetSession(self, request: agent_pb2.AgentKey, context: ServicerContext) -> agent_pb2.AgentDoc:
        session, turns = await self.store.get_session(request.id)
        return _doc({"session": session, "turns": turns})

    async def UpdateSession(
        self, request: agent_pb2.AgentPatch, context: ServicerContext
    ) -> agent_pb2.AgentDoc:
        return _doc(await self.store.update_session(request.id, _body(request.json)))

    async def DeleteSession(self, request: agent_pb2.AgentKey, context: ServicerContext) -> common_pb2.Empty:
        await self.store.delete_session(request.id)
        return common_pb2.Empty()

    async def AppendTurn(self, request: agent_pb2.AgentPatch, context: ServicerContext) -> agent_pb2.AgentDoc:
        return _doc(await self.store.append_turn(request.id, _body(request.json)))

    async def CompactSession(
        self, request: agent_pb2.AgentCompact, context: ServicerContext
    ) -> agent_pb2.AgentDoc:
        session, turns = await self.store.compact(request.session_id, request.summary, request.keep_turns)
        return _doc({"session": session, "turns": turns})

    async def CreateQueueItem(
        self, request: agent_pb2.AgentDoc, context: ServicerContext
    ) -> agent_pb2.AgentDoc:
        return _doc(await self.store.create_queue_item(_body(request.json)))

    async def GetQueueItem(self, request: agent_pb2.AgentKey, context: ServicerContext) -> agent_pb2.AgentDoc:
        return _doc(await self.store.get_queue_item(request.id))

    async def ListQueue(
        self, request: agent_pb2.AgentQueueQuery, context: ServicerContext
    ) -> agent_pb2.AgentDoc:
        queue = await self.store.list_queue(request.session_id, list(request.status), request.limit)
        return _doc({"queue": queue})

    async def TransitionQueueItem(
        self, request: agent_pb2.AgentTransition, context: ServicerContext
    ) -> agent_pb2.AgentDoc:
        item, changed = await self.store.transition(
            request.id, list(request.from_status), _body(request.json)
        )
        return _doc({"item": item, "changed": changed})

    async def StartQueueItem(
        self, request: agent_pb2.AgentPatch, context: ServicerContext
    ) -> agent_pb2.AgentDoc:
        item, started, ahead = await self.store.start_in_turn(request.id, _body(request.json))
        return _doc({"item": item, "started": started, "ahead": ahead})
