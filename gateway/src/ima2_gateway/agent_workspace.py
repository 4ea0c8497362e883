"""Reading Agent Mode for the routes: the workspace payload, the manifest, the recent errors.

Queue items follow their jobs: an open item whose job is gone is settled when the queue is read
(`ima2_common.agent_items`).
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from typing import Any

from ima2_common import agent
from ima2_common.agent_items import settle_orphan
from ima2_common.errors import Ima2Error
from ima2_common.grpc_client import ServiceClient
from ima2_common.inflight import InflightView
from ima2_proto.v1 import agent_pb2, agent_pb2_grpc, common_pb2

QUEUE_LIMIT = 100


def _load(doc: agent_pb2.AgentDoc) -> dict[str, Any]:
    value = json.loads(doc.json) if doc.json else {}
    return value if isinstance(value, dict) else {}


class AgentWorkspaces:
    def __init__(
        self,
        store: ServiceClient[agent_pb2_grpc.AgentStoreStub],
        registry: InflightView,
        lease_seconds: float,
    ) -> None:
        self.store = store
        self.registry = registry
        self.lease_ms = int(lease_seconds * 1000)

    async def session(self, session_id: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        doc = _load(await self.store.unary(self.store.stub.GetSession, agent_pb2.AgentKey(id=session_id)))
        return doc["session"], list(doc.get("turns") or [])

    async def sessions(self) -> list[dict[str, Any]]:
        doc = _load(await self.store.unary(self.store.stub.ListSessions, common_pb2.Empty()))
        return list(doc.get("sessions") or [])

    async def item(self, item_id: str) -> dict[str, Any]:
        return _load(await self.store.unary(self.store.stub.GetQueueItem, agent_pb2.AgentKey(id=item_id)))

    async def transition(
        self, item_id: str, from_status: tuple[str, ...], fields: dict[str, Any]
    ) -> tuple[dict[str, Any], bool]:
        request = agent_pb2.AgentTransition(
            id=item_id, from_status=list(from_status), json=json.dumps(fields)
        )
        doc = _load(await self.store.unary(self.store.stub.TransitionQueueItem, request))
        return doc["item"], bool(doc.get("changed"))

    async def queue(self, session_id: str = "") -> list[dict[str, Any]]:
        request = agent_pb2.AgentQueueQuery(session_id=session_id, limit=QUEUE_LIMIT)
        items = list(_load(await self.store.unary(self.store.stub.ListQueue, request)).get("queue") or [])
        return [await self.reconcile(item) for item in items]

    async def reconcile(self, item: dict[str, Any]) -> dict[str, Any]:
        return await settle_orphan(item, self.registry, self.transition, self.lease_ms)

    async def workspace(self, selected: str | None) -> dict[str, Any]:
        sessions = await self.sessions()
        ids = [s["id"] for s in sessions]
        chosen = selected if selected in ids else (ids[0] if ids else None)
        session: dict[str, Any] | None = None
        turns: list[dict[str, Any]] = []
        queue: list[dict[str, Any]] = []
        if chosen is not None:
            try:
                session, turns = await self.session(chosen)
                queue = await self.queue(chosen)
            except Ima2Error as err:
                if err.code != "AGENT_SESSION_NOT_FOUND":
                    raise
                chosen = None  # deleted meanwhile
        return {
            "sessions": sessions,
            "selectedSessionId": chosen,
            "session": session,
            "turns": turns,
            "queue": queue,
            "allowedTools": list(agent.TOOL_NAMES),
        }

    async def errors(self, session_id: str, limit: int) -> list[dict[str, Any]]:
        await self.session(session_id)
        failed = [i for i in await self.queue(session_id) if i["status"] == agent.FAILED]
        records = [
            {
                "scope": "queue",
                "code": i.get("errorCode"),
                "message": i.get("errorMessage") or "",
                "prompt": i["prompt"],
                "itemId": i["id"],
                "at": int(i.get("finishedAt") or i["createdAt"]),
            }
            for i in failed
        ]
        records.sort(key=lambda r: r["at"], reverse=True)
        return records[:limit]


def manifest_xml(session: dict[str, Any], turns: list[dict[str, Any]]) -> str:
    """The session as an XML document: settings, locks, current image, summary and turns."""
    root = ET.Element("agentSession", id=session["id"], updatedAt=str(session["updatedAt"]))
    ET.SubElement(root, "title").text = session["title"]
    settings = ET.SubElement(root, "generationSettings")
    for key, value in session["generationSettings"].items():
        settings.set(key, str(value))
    ET.SubElement(root, "webSearch", enabled=str(session["webSearchEnabled"]).lower())
    locks = ET.SubElement(root, "locks")
    for kind, key in (("style", "styleLocks"), ("subject", "subjectLocks")):
        for lock in session[key]:
            ET.SubElement(locks, "lock", kind=kind).text = lock
    image = session.get("currentImage")
    if image:
        ET.SubElement(root, "currentImage", filename=image["filename"], url=image["url"])
    if session.get("summary"):
        ET.SubElement(root, "summary").text = session["summary"]
    conversation = ET.SubElement(root, "turns", count=str(len(turns)))
    for turn in turns:
        element = ET.SubElement(
            conversation,
            "turn",
            id=turn["id"],
            role=turn["role"],
            status=turn["status"],
            compacted=str(turn["compacted"]).lower(),
        )
        ET.SubElement(element, "text").text = turn["text"]
        for picture in turn.get("images") or []:
            ET.SubElement(element, "image", filename=picture["filename"], url=picture["url"])
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
