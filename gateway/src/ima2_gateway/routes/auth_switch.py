"""Account switching (spec "Account Switching", reference §1.2): device-code logins run in svc-auth."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from ima2_common.errors import Ima2Error
from ima2_gateway.bodies import read_json
from ima2_gateway.context import gateway
from ima2_gateway.models.keys import StartSwitch, SwitchStarted, SwitchStatus
from ima2_gateway.openapi import contract, json_body
from ima2_proto.v1 import auth_pb2

router = APIRouter(tags=["accounts"])
# An unknown or expired session answers 404 {status: "expired"}.
SWITCH_STATUS = contract(
    SwitchStatus, errors="flat", extra={404: {"model": SwitchStatus, "description": "Unknown or expired."}}
)


def _status(switch: auth_pb2.AccountSwitch) -> dict[str, Any]:
    body: dict[str, Any] = {
        "status": switch.status,
        "flow": switch.flow,
        "provider": switch.provider,
        "pollInterval": switch.poll_interval,
    }
    if switch.email:
        body["email"] = switch.email
    if switch.error:
        body["error"] = switch.error
    return body


def _expired_unknown() -> JSONResponse:
    return JSONResponse({"status": "expired"}, status_code=404, headers={"Cache-Control": "no-store"})


@router.post(
    "/api/auth/switch",
    operation_id="startAccountSwitch",
    summary="Start a device-code login (switch account)",
    **contract(SwitchStarted, errors="flat", statuses=(400, 502), body=json_body(StartSwitch)),
)
async def start_switch(request: Request) -> dict[str, Any]:
    body = await read_json(request, StartSwitch)
    provider, flow = body.provider, body.flow
    auth = gateway(request).services.auth
    switch = await auth.unary(
        auth.stub.StartAccountSwitch,
        auth_pb2.StartAccountSwitchRequest(provider=provider, flow=flow if isinstance(flow, str) else ""),
        timeout=45,
    )
    return {
        "sessionId": switch.session_id,
        "flow": switch.flow,
        "provider": switch.provider,
        "userCode": switch.user_code,
        "verificationUrl": switch.verification_url,
        "expiresIn": switch.expires_in,
    }


@router.get(
    "/api/auth/switch/{session_id}",
    operation_id="getAccountSwitch",
    summary="Poll an account switch (404 {status: expired} when unknown)",
    **SWITCH_STATUS,
)
async def get_switch(session_id: str, request: Request) -> dict[str, Any] | JSONResponse:
    try:
        auth = gateway(request).services.auth
        switch = await auth.unary(
            auth.stub.GetAccountSwitch, auth_pb2.AccountSwitchKey(session_id=session_id)
        )
    except Ima2Error as err:
        if err.code == "SWITCH_SESSION_NOT_FOUND":
            return _expired_unknown()
        raise
    return _status(switch)


@router.delete(
    "/api/auth/switch/{session_id}",
    operation_id="cancelAccountSwitch",
    summary="Cancel an account switch",
    **SWITCH_STATUS,
)
async def cancel_switch(session_id: str, request: Request) -> dict[str, Any] | JSONResponse:
    try:
        auth = gateway(request).services.auth
        switch = await auth.unary(
            auth.stub.CancelAccountSwitch, auth_pb2.AccountSwitchKey(session_id=session_id)
        )
    except Ima2Error as err:
        if err.code == "SWITCH_SESSION_NOT_FOUND":
            return _expired_unknown()
        raise
    return _status(switch)
