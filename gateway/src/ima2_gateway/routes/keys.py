"""Key management (spec "Key Management", reference §1.3). svc-auth checks and stores; only masked views come back.

Errors use the keys envelope `{ok:false, error, code}` (gateway.errors.family_for).
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request

from ima2_common.settings import Settings
from ima2_gateway.bodies import read_json
from ima2_gateway.context import gateway
from ima2_gateway.models.keys import (
    GeminiAuthMode,
    KeyRemoved,
    KeySaved,
    KeyStatus,
    SetGeminiAuthMode,
    SetKey,
    SetVertexServiceAccount,
)
from ima2_gateway.openapi import contract, json_body
from ima2_proto.v1 import auth_pb2, common_pb2

router = APIRouter(tags=["keys"])
OPENAI_DEFAULT_BASE_URL = str(Settings.model_fields["openai_base_url"].default)
KEY_ERRORS = (400, 404, 502)


def _key(status: auth_pb2.ProviderKeyStatus) -> dict[str, Any]:
    return {
        "configured": status.configured,
        "source": status.source or "none",
        "valid": status.valid,
        "maskedKey": status.masked_key or None,
    }


def status_body(status: auth_pb2.KeyStatus, settings: Settings) -> dict[str, Any]:
    return {
        "openai": _key(status.openai),
        "xai": _key(status.xai),
        "gemini": _key(status.gemini),
        "vertex": _key(status.vertex),
        "openaiBaseUrl": {
            "value": settings.openai_base_url,
            "defaultValue": OPENAI_DEFAULT_BASE_URL,
            "custom": settings.openai_base_url.rstrip("/") != OPENAI_DEFAULT_BASE_URL,
        },
        "geminiAuthMode": status.gemini_auth_mode or "apikey",
        "configCorrupt": status.config_corrupt,
    }


def _change(change: auth_pb2.KeyChange, removed: bool = False) -> dict[str, Any]:
    if removed:
        return {"ok": True, "provider": change.provider, "removed": change.removed}
    return {"ok": True, "provider": change.provider, "source": change.source, "valid": change.valid}


@router.get(
    "/api/keys/status",
    operation_id="keyStatus",
    summary="Masked status of every provider key and the Gemini auth mode",
    **contract(KeyStatus, errors="keys"),
)
async def key_status(request: Request) -> dict[str, Any]:
    gw = gateway(request)
    auth = gw.services.auth
    status = await auth.unary(auth.stub.GetKeyStatus, common_pb2.Empty(), timeout=10)
    return status_body(status, gw.settings)


@router.put(
    "/api/keys/gemini-auth-mode",
    operation_id="setGeminiAuthMode",
    summary="Choose Gemini's auth mode (apikey or vertex)",
    **contract(GeminiAuthMode, errors="keys", statuses=(400,), body=json_body(SetGeminiAuthMode)),
)
async def set_gemini_auth_mode(request: Request) -> dict[str, Any]:
    mode = (await read_json(request, SetGeminiAuthMode)).mode
    auth = gateway(request).services.auth
    status = await auth.unary(
        auth.stub.SetGeminiAuthMode,
        auth_pb2.SetGeminiAuthModeRequest(mode=mode if isinstance(mode, str) else ""),
    )
    return {"ok": True, "geminiAuthMode": status.gemini_auth_mode}


@router.put(
    "/api/keys/vertex",
    operation_id="setVertexServiceAccount",
    summary="Save a Vertex AI service account (checked first)",
    **contract(KeySaved, errors="keys", statuses=(400,), body=json_body(SetVertexServiceAccount)),
)
async def set_vertex(request: Request) -> dict[str, Any]:
    raw = (await read_json(request, SetVertexServiceAccount)).serviceAccountJson
    if isinstance(raw, dict):
        raw = json.dumps(raw)
    auth = gateway(request).services.auth
    change = await auth.unary(
        auth.stub.SetVertexServiceAccount,
        auth_pb2.SetVertexServiceAccountRequest(service_account_json=raw if isinstance(raw, str) else ""),
        timeout=20,
    )
    return _change(change)


@router.delete(
    "/api/keys/vertex",
    operation_id="deleteVertexServiceAccount",
    summary="Remove the saved Vertex AI service account",
    **contract(KeyRemoved, errors="keys", statuses=(400,)),
)
async def delete_vertex(request: Request) -> dict[str, Any]:
    auth = gateway(request).services.auth
    change = await auth.unary(auth.stub.DeleteKey, auth_pb2.DeleteKeyRequest(provider="vertex"))
    return _change(change, removed=True)


@router.put(
    "/api/keys/{provider}",
    operation_id="setKey",
    summary="Save a provider key (format and upstream checked first)",
    **contract(KeySaved, errors="keys", statuses=KEY_ERRORS, body=json_body(SetKey)),
)
async def set_key(provider: str, request: Request) -> dict[str, Any]:
    api_key = (await read_json(request, SetKey)).apiKey
    auth = gateway(request).services.auth
    change = await auth.unary(
        auth.stub.SetKey,
        auth_pb2.SetKeyRequest(provider=provider, api_key=api_key if isinstance(api_key, str) else ""),
        timeout=20,
    )
    return _change(change)


@router.delete(
    "/api/keys/{provider}",
    operation_id="deleteKey",
    summary="Remove a saved provider key (env keys cannot be removed)",
    **contract(KeyRemoved, errors="keys", statuses=(400,)),
)
async def delete_key(provider: str, request: Request) -> dict[str, Any]:
    auth = gateway(request).services.auth
    change = await auth.unary(auth.stub.DeleteKey, auth_pb2.DeleteKeyRequest(provider=provider))
    return _change(change, removed=True)
