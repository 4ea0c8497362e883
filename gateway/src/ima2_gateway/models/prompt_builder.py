"""The prompt builder: POST /api/prompt-builder/chat, GET/PUT /api/prompt-builder/config.

The reference checks a body's shape in this order: `messages` is an array, `context` an object,
`backend` and `model` strings, then each message; each failure has its own code and message.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, ValidationError, WithJsonSchema, model_validator
from pydantic_core.core_schema import ValidatorFunctionWrapHandler

from ima2_common import catalog
from ima2_common.errors import Ima2Error
from ima2_gateway.models.base import ApiModel, domain_error

MODELS = tuple(dict.fromkeys(m for models in catalog.PROMPT_BUILDER_MODELS.values() for m in models))
# Which values are known is svc-image's check (PROMPT_BUILDER_BAD_BACKEND, _BAD_MODEL); documented here.
Backend = Annotated[
    str | None,
    WithJsonSchema(
        {"type": "string", "enum": list(catalog.PROMPT_BUILDER_BACKENDS), "description": "Default auto."}
    ),
]
Model = Annotated[
    str | None,
    WithJsonSchema({"type": "string", "enum": list(MODELS), "description": "One of the backend's models."}),
]
BAD_MESSAGE = "each message must be {role: user|assistant, content: string}."


def check_choices(raw: Any) -> None:
    """`backend` and `model`, when given, are strings (which values are known: svc-image)."""
    for key, code in (("backend", "PROMPT_BUILDER_BAD_BACKEND"), ("model", "PROMPT_BUILDER_BAD_MODEL")):
        if raw.get(key) is not None and not isinstance(raw.get(key), str):
            raise domain_error(Ima2Error(code))


class ChatMessage(ApiModel):
    role: Literal["user", "assistant"]
    content: Annotated[str, WithJsonSchema({"type": "string", "pattern": r"\S"})] = Field(
        default="", description="Not blank (the last user message: PROMPT_BUILDER_EMPTY_MESSAGE)."
    )

    @model_validator(mode="wrap")
    @classmethod
    def one_code(cls, value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        try:
            return handler(value)
        except ValidationError:
            raise domain_error(Ima2Error("PROMPT_BUILDER_BAD_MESSAGES", BAD_MESSAGE)) from None


class ChatRequest(ApiModel):
    messages: list[ChatMessage] = Field(description="The conversation so far, oldest first.")
    backend: Backend = None
    model: Model = None
    context: dict[str, Any] | None = Field(default=None, description="What the studio shows (a JSON object).")

    @model_validator(mode="before")
    @classmethod
    def shape(cls, raw: Any) -> Any:
        if isinstance(raw, dict):
            if not isinstance(raw.get("messages"), list):
                raise domain_error(Ima2Error("PROMPT_BUILDER_BAD_MESSAGES", "messages must be an array."))
            if raw.get("context") is not None and not isinstance(raw.get("context"), dict):
                raise domain_error(Ima2Error("PROMPT_BUILDER_BAD_CONTEXT"))
            check_choices(raw)
        return raw


class AssistantMessage(ApiModel):
    role: Literal["assistant"] = "assistant"
    content: str


class ChatAnswer(ApiModel):
    provider: str
    backend: str = Field(description="The backend that answered.")
    requestedBackend: str
    model: str
    message: AssistantMessage
    usage: dict[str, Any] | None


class ConfigUpdate(ApiModel):
    """A field left out (or null) keeps its value."""

    backend: Backend = None
    model: Model = None

    @model_validator(mode="before")
    @classmethod
    def shape(cls, raw: Any) -> Any:
        if isinstance(raw, dict):
            check_choices(raw)
        return raw


class ConfigOptions(ApiModel):
    backends: list[str]
    models: dict[str, list[str]]
    autoOrder: list[str]


class ConfigLocks(ApiModel):
    backend: bool
    model: bool


class BuilderConfig(ApiModel):
    backend: str
    model: str
    options: ConfigOptions
    locked: ConfigLocks = Field(description="Which fields environment variables lock")
