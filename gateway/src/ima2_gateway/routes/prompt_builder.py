"""POST /api/prompt-builder/chat and GET/PUT /api/prompt-builder/config (reference §1.1, §1.9).

Thin: the body is checked against the models below, svc-image picks the backend and talks to it.
Errors use the nested envelope `{error:{code,message}}`.
"""

from __future__ import annotations

import json
from typing import Any, Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ima2_common import limits
from ima2_common.errors import Ima2Error
from ima2_gateway.bodies import json_object
from ima2_gateway.context import gateway
from ima2_proto.v1 import common_pb2, image_pb2

router = APIRouter()


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="ignore")

    role: Literal["user", "assistant"]
    content: str = ""


class ChatBody(BaseModel):
    model_config = ConfigDict(extra="ignore")

    messages: list[ChatMessage]
    backend: str | None = None
    model: str | None = None
    context: dict[str, Any] | None = None


class AssistantMessage(BaseModel):
    role: Literal["assistant"] = "assistant"
    content: str


class ChatAnswer(BaseModel):
    provider: str
    backend: str
    requestedBackend: str
    model: str
    message: AssistantMessage
    usage: dict[str, Any] | None


class ConfigBody(BaseModel):
    model_config = ConfigDict(extra="ignore")

    backend: str | None = None
    model: str | None = None


class ConfigOptions(BaseModel):
    backends: list[str]
    models: dict[str, list[str]]
    autoOrder: list[str]


class ConfigLocks(BaseModel):
    backend: bool
    model: bool


class ConfigAnswer(BaseModel):
    backend: str
    model: str
    options: ConfigOptions
    locked: ConfigLocks = Field(description="Which fields environment variables lock")


def parse_chat(body: dict[str, Any]) -> ChatBody:
    messages = body.get("messages")
    if not isinstance(messages, list):
        raise Ima2Error("PROMPT_BUILDER_BAD_MESSAGES", "messages must be an array.")
    if body.get("context") is not None and not isinstance(body.get("context"), dict):
        raise Ima2Error("PROMPT_BUILDER_BAD_CONTEXT")
    for key, code in (("backend", "PROMPT_BUILDER_BAD_BACKEND"), ("model", "PROMPT_BUILDER_BAD_MODEL")):
        if body.get(key) is not None and not isinstance(body.get(key), str):
            raise Ima2Error(code)
    try:
        return ChatBody.model_validate(body)
    except ValidationError:
        raise Ima2Error(
            "PROMPT_BUILDER_BAD_MESSAGES", "each message must be {role: user|assistant, content: string}."
        ) from None


def config_answer(reply: image_pb2.PromptBuilderConfig) -> dict[str, Any]:
    return ConfigAnswer(
        backend=reply.backend,
        model=reply.model,
        options=ConfigOptions.model_validate(json.loads(reply.options_json)),
        locked=ConfigLocks(backend=reply.backend_locked, model=reply.model_locked),
    ).model_dump()


@router.post("/api/prompt-builder/chat", operation_id="promptBuilderChat", response_model=ChatAnswer)
async def chat(request: Request) -> dict[str, Any]:
    body = parse_chat(await json_object(request, limits.PROMPT_BUILDER_MAX_BODY_BYTES))
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


@router.get("/api/prompt-builder/config", operation_id="getPromptBuilderConfig", response_model=ConfigAnswer)
async def get_config(request: Request) -> dict[str, Any]:
    image = gateway(request).services.image
    reply = await image.unary(image.stub.GetPromptBuilderConfig, common_pb2.Empty())
    return config_answer(reply)


@router.put("/api/prompt-builder/config", operation_id="putPromptBuilderConfig", response_model=ConfigAnswer)
async def put_config(request: Request) -> dict[str, Any]:
    raw = await json_object(request, 64 * 1024)
    for key, code in (("backend", "PROMPT_BUILDER_BAD_BACKEND"), ("model", "PROMPT_BUILDER_BAD_MODEL")):
        if raw.get(key) is not None and not isinstance(raw.get(key), str):
            raise Ima2Error(code)
    body = ConfigBody.model_validate(raw)
    update = image_pb2.PromptBuilderConfigUpdate(
        has_backend=body.backend is not None,
        backend=body.backend or "",
        has_model=body.model is not None,
        model=body.model or "",
    )
    image = gateway(request).services.image
    reply = await image.unary(image.stub.SetPromptBuilderConfig, update)
    return config_answer(reply)
