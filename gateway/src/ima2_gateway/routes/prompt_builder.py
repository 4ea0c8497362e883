"""POST /api/prompt-builder/chat and GET/PUT /api/prompt-builder/config (reference §1.1, §1.9).

Thin: the body is checked by its model (`models.prompt_builder`), svc-image picks the backend and
talks to it. Errors use the nested envelope `{error:{code,message}}`.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request

from ima2_common import limits
from ima2_gateway.bodies import read_json
from ima2_gateway.context import gateway
from ima2_gateway.models.prompt_builder import (
    AssistantMessage,
    BuilderConfig,
    ChatAnswer,
    ChatRequest,
    ConfigLocks,
    ConfigOptions,
    ConfigUpdate,
)
from ima2_gateway.openapi import contract, json_body
from ima2_proto.v1 import common_pb2, image_pb2

router = APIRouter(tags=["prompt-builder"])
UPSTREAM_STATUSES = (400, 413, 429, 502, 503, 504)


def config_answer(reply: image_pb2.PromptBuilderConfig) -> dict[str, Any]:
    return BuilderConfig(
        backend=reply.backend,
        model=reply.model,
        options=ConfigOptions.model_validate(json.loads(reply.options_json)),
        locked=ConfigLocks(backend=reply.backend_locked, model=reply.model_locked),
    ).model_dump()


@router.post(
    "/api/prompt-builder/chat",
    operation_id="promptBuilderChat",
    summary="One turn of the prompt builder conversation",
    **contract(ChatAnswer, errors="nested", statuses=UPSTREAM_STATUSES, body=json_body(ChatRequest)),
)
async def chat(request: Request) -> dict[str, Any]:
    body = await read_json(request, ChatRequest, limits.PROMPT_BUILDER_MAX_BODY_BYTES)
    context_json = json.dumps(body.context, ensure_ascii=False) if body.context else ""
    image = gateway(request).services.image
    reply = await image.unary(
        image.stub.PromptBuilderChat,
        image_pb2.PromptBuilderChatRequest(
            backend=body.backend or "",
            model=body.model or "",
            messages=[image_pb2.PromptBuilderMessage(role=m.role, content=m.content) for m in body.messages],
            context_json=context_json,
        ),
        timeout=limits.PROMPT_BUILDER_TIMEOUT_SECONDS + 15,
    )
    return ChatAnswer(
        provider=reply.provider,
        backend=reply.backend,
        requestedBackend=reply.requested_backend,
        model=reply.model,
        message=AssistantMessage(content=reply.content),
        usage=json.loads(reply.usage_json) if reply.usage_json else None,
    ).model_dump()


@router.get(
    "/api/prompt-builder/config",
    operation_id="getPromptBuilderConfig",
    summary="The prompt builder's backend and model, and the choices",
    **contract(BuilderConfig, errors="nested"),
)
async def get_config(request: Request) -> dict[str, Any]:
    image = gateway(request).services.image
    reply = await image.unary(image.stub.GetPromptBuilderConfig, common_pb2.Empty())
    return config_answer(reply)


@router.put(
    "/api/prompt-builder/config",
    operation_id="putPromptBuilderConfig",
    summary="Choose the prompt builder's backend and model",
    **contract(BuilderConfig, errors="nested", statuses=(400, 409, 413), body=json_body(ConfigUpdate)),
)
async def put_config(request: Request) -> dict[str, Any]:
    body = await read_json(request, ConfigUpdate, 64 * 1024)
    update = image_pb2.PromptBuilderConfigUpdate(
        has_backend=body.backend is not None,
        backend=body.backend or "",
        has_model=body.model is not None,
        model=body.model or "",
    )
    image = gateway(request).services.image
    reply = await image.unary(image.stub.SetPromptBuilderConfig, update)
    return config_answer(reply)
