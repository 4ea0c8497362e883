"""AgentService over gRPC: thin; the work is in AgentRunner."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

from ima2_common.errors import Ima2Error
from ima2_common.grpc_server import ServicerContext
from ima2_image.agent.runner import AgentRunner
from ima2_proto.v1 import agent_pb2, agent_pb2_grpc, common_pb2


def _doc(value: Any) -> agent_pb2.AgentDoc:
    return agent_pb2.AgentDoc(json=json.dumps(value, ensure_ascii=False))


class AgentServicer(agent_pb2_grpc.AgentServiceServicer):
    def __init__(self, runner: AgentRunner) -> None:
        self.runner = runner

    async def Submit(self, request: agent_pb2.AgentSubmit, context: ServicerContext) -> agent_pb2.AgentDoc:
        options = json.loads(request.options_json) if request.options_json else {}
        if not isinstance(options, dict):
            raise Ima2Error("AGENT_INVALID_SETTINGS", "options must be an object.")
        item = await self.runner.submit(request.session_id, request.prompt, request.request_id, options)
        return _doc({"queueItem": item})

    async def RunItem(
        self, request: agent_pb2.AgentRun, context: ServicerContext
    ) -> AsyncIterator[common_pb2.JobEvent]:
        async for event in self.runner.run_item(request.item_id, request.async_mode):
            yield event

    async def Compact(self, request: agent_pb2.AgentKey, context: ServicerContext) -> agent_pb2.AgentDoc:
        return _doc(await self.runner.compact(request.id))
