"""Agent Mode `/api/agent/*` (docs/agent-mode.md, reference §1.9). Web UI only: no CLI wrapper.

Thin: svc-library stores sessions, turns and queue items; svc-image plans and runs them as jobs
of kind "agent". Errors use the nested envelope `{error:{code,message}}`.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from ima2_common import agent, events
from ima2_common.errors import Ima2Error
from ima2_gateway.agent_workspace import AgentWorkspaces, manifest_xml
from ima2_gateway.bodies import read_json
from ima2_gateway.context import gateway
from ima2_gateway.jobs import error_from_event, job_events
from ima2_gateway.models.agent import (
    AgentErrors,
    AgentMessage,
    AgentQueueAnswer,
    AgentQueueList,
    AgentSessionCreate,
    AgentSessionPatch,
    AgentTools,
    AgentWorkspace,
)
from ima2_gateway.openapi import contract, json_body
from ima2_gateway.routes.inflight import cancel_inflight
from ima2_proto.v1 import agent_pb2

router = APIRouter(tags=["agent"])
SESSION_STATUSES = (400, 404)
QUEUE_STATUSES = (404, 409)
RUN_STATUSES = (400, 401, 404, 409, 429, 502, 503, 504)


def workspaces(request: Request) -> AgentWorkspaces:
    gw = gateway(request)
    return AgentWorkspaces(gw.services.agent_store, gw.registry, gw.settings.job_lease_seconds)


async def _workspace(request: Request, selected: str | None) -> dict[str, Any]:
    return AgentWorkspace.model_validate(await workspaces(request).workspace(selected)).model_dump()


def _patch(body: AgentSessionCreate, raw_fields: set[str]) -> dict[str, Any]:
    """The fields the client sent (null included where the store accepts it)."""
    patch = body.model_dump(include=raw_fields)
    if "currentImage" in patch and patch["currentImage"] is not None:
        patch["currentImage"] = {"filename": patch["currentImage"]["filename"]}
    return patch


@router.get("/api/agent/tools", operation_id="agentTools", **contract(AgentTools, errors="nested"))
async def tools() -> dict[str, Any]:
    return {"tools": list(agent.TOOLS), "commands": list(agent.COMMANDS)}


@router.get(
    "/api/agent/sessions",
    operation_id="agentWorkspace",
    summary="Every session, with the selected one (else the newest) in full",
    **contract(AgentWorkspace, errors="nested"),
)
async def list_sessions(request: Request, selectedSessionId: str | None = None) -> dict[str, Any]:
    return await _workspace(request, selectedSessionId)


@router.post(
    "/api/agent/sessions",
    operation_id="agentCreateSession",
    **contract(
        AgentWorkspace,
        errors="nested",
        statuses=SESSION_STATUSES,
        ok_status=201,
        body=json_body(AgentSessionCreate, required=False),
    ),
)
async def create_session(request: Request) -> JSONResponse:
    body = await read_json(request, AgentSessionCreate, agent.MAX_BODY_BYTES)
    store = gateway(request).services.agent_store
    doc = agent_pb2.AgentDoc(json=json.dumps(_patch(body, body.model_fields_set)))
    created = json.loads((await store.unary(store.stub.CreateSession, doc)).json)
    return JSONResponse(await _workspace(request, created["id"]), status_code=201)


@router.get(
    "/api/agent/sessions/{session_id}",
    operation_id="agentGetSession",
    **contract(AgentWorkspace, errors="nested", statuses=(404,)),
)
async def get_session(session_id: str, request: Request) -> dict[str, Any]:
    await workspaces(request).session(session_id)
    return await _workspace(request, session_id)


@router.patch(
    "/api/agent/sessions/{session_id}",
    operation_id="agentUpdateSession",
    summary="Rename, settings, web search, locks, current image (a history file)",
    **contract(AgentWorkspace, errors="nested", statuses=SESSION_STATUSES, body=json_body(AgentSessionPatch)),
)
async def update_session(session_id: str, request: Request) -> dict[str, Any]:
    body = await read_json(request, AgentSessionPatch, agent.MAX_BODY_BYTES)
    store = gateway(request).services.agent_store
    patch = agent_pb2.AgentPatch(id=session_id, json=json.dumps(_patch(body, body.model_fields_set)))
    await store.unary(store.stub.UpdateSession, patch)
    return await _workspace(request, session_id)


@router.delete(
    "/api/agent/sessions/{session_id}",
    operation_id="agentDeleteSession",
    **contract(AgentWorkspace, errors="nested", statuses=(404,)),
)
async def delete_session(session_id: str, request: Request) -> dict[str, Any]:
    store = gateway(request).services.agent_store
    await store.unary(store.stub.DeleteSession, agent_pb2.AgentKey(id=session_id))
    return await _workspace(request, None)


@router.post(
    "/api/agent/sessions/{session_id}/compact",
    operation_id="agentCompactSession",
    summary="Fold the older turns into the session summary (written by the text model)",
    **contract(AgentWorkspace, errors="nested", statuses=(404, 502, 503, 504)),
)
async def compact_session(session_id: str, request: Request) -> dict[str, Any]:
    client = gateway(request).services.agent
    await client.unary(client.stub.Compact, agent_pb2.AgentKey(id=session_id), timeout=240)
    return await _workspace(request, session_id)


@router.get(
    "/api/agent/sessions/{session_id}/manifest",
    operation_id="agentSessionManifest",
    **contract(
        None,
        errors="nested",
        statuses=(404,),
        extra={
            200: {
                "description": "The session as XML.",
                "content": {"application/xml": {"schema": {"type": "string"}}},
            }
        },
    ),
)
async def manifest(session_id: str, request: Request) -> Response:
    session, turns = await workspaces(request).session(session_id)
    return Response(manifest_xml(session, turns), media_type="application/xml")


@router.get(
    "/api/agent/sessions/{session_id}/errors",
    operation_id="agentSessionErrors",
    summary="The session's recent failed queue items",
    **contract(AgentErrors, errors="nested", statuses=(404,)),
)
async def session_errors(
    session_id: str, request: Request, limit: int = agent.DEFAULT_ERRORS_LIMIT
) -> dict[str, Any]:
    count = max(1, min(limit, agent.MAX_ERRORS_LIMIT))
    return {"errors": await workspaces(request).errors(session_id, count)}


async def _submit(session_id: str, request: Request) -> dict[str, Any] | None:
    body = await read_json(request, AgentMessage, agent.MAX_BODY_BYTES)
    client = gateway(request).services.agent
    submit = agent_pb2.AgentSubmit(
        session_id=session_id,
        prompt=body.prompt,
        request_id=body.requestId or f"agent-{uuid.uuid4().hex}",
        options_json=json.dumps(body.settings()),
    )
    doc = json.loads((await client.unary(client.stub.Submit, submit, timeout=240)).json)
    item: dict[str, Any] | None = doc.get("queueItem")
    return item


async def _start(request: Request, item: dict[str, Any]) -> None:
    """Admit the item's job (async): its events then go to /api/events. Refused (no job service,
    admission), the item ends failed with that code, so it can be retried."""
    client = gateway(request).services.agent
    stream = client.stream(client.stub.RunItem, agent_pb2.AgentRun(item_id=item["id"], async_mode=True))
    try:
        async for event in stream:
            if event.event == events.ACCEPTED:
                return
            if event.event == events.ERROR:
                raise error_from_event(json.loads(event.payload_json))
    except Ima2Error as err:
        fields = {
            "status": agent.FAILED,
            "errorCode": err.code,
            "errorMessage": err.message,
            "finishedAt": int(time.time() * 1000),
        }
        await workspaces(request).transition(item["id"], (agent.QUEUED,), fields)
        raise


@router.post(
    "/api/agent/sessions/{session_id}/turns",
    operation_id="agentRunTurn",
    summary="One message run to its end (blocking); the answer is the workspace",
    **contract(AgentWorkspace, errors="nested", statuses=RUN_STATUSES, body=json_body(AgentMessage)),
)
async def run_turn(session_id: str, request: Request) -> dict[str, Any]:
    item = await _submit(session_id, request)
    if item is not None:
        client = gateway(request).services.agent
        stream = client.stream(client.stub.RunItem, agent_pb2.AgentRun(item_id=item["id"], async_mode=False))
        source = job_events(gateway(request), stream, item["requestId"])
        try:
            async for event in source:
                if event.event == events.ERROR:
                    raise error_from_event(json.loads(event.payload_json))
                if event.event == events.DONE:
                    break
        finally:
            await source.aclose()
    return await _workspace(request, session_id)


@router.get(
    "/api/agent/sessions/{session_id}/queue",
    operation_id="agentSessionQueue",
    **contract(AgentQueueList, errors="nested", statuses=(404,)),
)
async def session_queue(session_id: str, request: Request) -> dict[str, Any]:
    return {"queue": await workspaces(request).queue(session_id)}


@router.post(
    "/api/agent/sessions/{session_id}/queue",
    operation_id="agentEnqueue",
    summary="Queue a message (202 with the item); /help, /question and /parallelism answer at once (200)",
    **contract(
        AgentQueueAnswer,
        errors="nested",
        statuses=RUN_STATUSES,
        body=json_body(AgentMessage),
        extra={202: {"model": AgentQueueAnswer, "description": "Queued; the job runs (see /api/events)."}},
    ),
)
async def enqueue(session_id: str, request: Request) -> JSONResponse:
    item = await _submit(session_id, request)
    if item is not None:
        await _start(request, item)
        item = await workspaces(request).item(item["id"])
    body = {"queueItem": item, "workspace": await _workspace(request, session_id)}
    return JSONResponse(AgentQueueAnswer.model_validate(body).model_dump(), status_code=202 if item else 200)


@router.get("/api/agent/queue", operation_id="agentQueue", **contract(AgentQueueList, errors="nested"))
async def global_queue(request: Request) -> dict[str, Any]:
    return {"queue": await workspaces(request).queue()}


@router.post(
    "/api/agent/queue/{item_id}/cancel",
    operation_id="agentCancelQueueItem",
    **contract(AgentWorkspace, errors="nested", statuses=QUEUE_STATUSES),
)
async def cancel_item(item_id: str, request: Request) -> dict[str, Any]:
    reader = workspaces(request)
    item = await reader.reconcile(await reader.item(item_id))
    if item["status"] not in agent.CANCELABLE:
        raise Ima2Error("AGENT_QUEUE_CANCEL_FAILED")
    await cancel_inflight(item["requestId"], request)
    fields = {
        "status": agent.CANCELED,
        "errorCode": "GENERATION_CANCELED",
        "errorMessage": Ima2Error("GENERATION_CANCELED").message,
        "finishedAt": int(time.time() * 1000),
    }
    ended, changed = await reader.transition(item_id, agent.CANCELABLE, fields)
    if not changed and ended["status"] != agent.CANCELED:  # it ended otherwise first
        raise Ima2Error("AGENT_QUEUE_CANCEL_FAILED")
    return await _workspace(request, item["sessionId"])


@router.post(
    "/api/agent/queue/{item_id}/retry",
    operation_id="agentRetryQueueItem",
    **contract(AgentWorkspace, errors="nested", statuses=RUN_STATUSES),
)
async def retry_item(item_id: str, request: Request) -> dict[str, Any]:
    reader = workspaces(request)
    item = await reader.reconcile(await reader.item(item_id))
    if item["status"] not in agent.RETRYABLE:
        raise Ima2Error("AGENT_QUEUE_RETRY_FAILED")
    fields: dict[str, Any] = {
        "status": agent.QUEUED,
        "requestId": f"agent-{uuid.uuid4().hex}",
        "errorCode": None,
        "errorMessage": None,
        "startedAt": None,
        "finishedAt": None,
        "resultImages": [],
    }
    queued, changed = await reader.transition(item_id, agent.RETRYABLE, fields)
    if not changed:
        raise Ima2Error("AGENT_QUEUE_RETRY_FAILED")
    await _start(request, queued)
    return await _workspace(request, item["sessionId"])
