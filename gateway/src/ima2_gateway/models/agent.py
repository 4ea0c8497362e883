"""Agent Mode bodies and answers (docs/agent-mode.md)."""

from __future__ import annotations

import re
from typing import Annotated, Any, ClassVar

from pydantic import AfterValidator, ConfigDict, Field, StrictBool

from ima2_common import agent, limits
from ima2_common.errors import Ima2Error
from ima2_gateway.models.base import ApiModel, domain_check

_INVALID = "AGENT_INVALID_SETTINGS"
_REQUEST_ID_RE = re.compile(limits.REQUEST_ID_PATTERN)


def _request_id(value: str) -> str:
    if not _REQUEST_ID_RE.match(value):
        raise Ima2Error("INVALID_REQUEST_ID")
    return value


# -- records


class AgentImage(ApiModel):
    model_config = ConfigDict(extra="allow")
    filename: str
    url: str
    thumb: str | None = None
    prompt: str | None = None
    revisedPrompt: str | None = None
    createdAt: int


class GenerationSettings(ApiModel):
    provider: str
    model: str
    quality: str
    size: str
    format: str
    moderation: str
    reasoningEffort: str
    generationStrategy: str
    variants: int
    parallelism: int


class AgentSession(ApiModel):
    id: str
    title: str
    createdAt: int
    updatedAt: int
    currentImage: AgentImage | None
    styleLocks: list[str]
    subjectLocks: list[str]
    webSearchEnabled: bool
    generationSettings: GenerationSettings
    summary: str = Field(description="What compaction folded of the earlier turns.")
    compacted: bool
    compactedSeq: int
    turnCount: int
    imageCount: int


class AgentToolCall(ApiModel):
    model_config = ConfigDict(extra="allow")
    name: str
    status: str


class AgentTurn(ApiModel):
    id: str
    sessionId: str
    seq: int
    role: str = Field(description="user | assistant | tool")
    text: str
    images: list[AgentImage]
    toolCalls: list[AgentToolCall]
    status: str = Field(description="complete | error")
    createdAt: int
    compacted: bool = Field(description="Folded into the session summary by a compaction.")


class AgentCommand(ApiModel):
    name: str
    value: int | None = None


class AgentQueueItem(ApiModel):
    id: str
    sessionId: str
    requestId: str = Field(description="The job's request id (/api/events, /api/inflight).")
    prompt: str
    command: AgentCommand | None
    status: str = Field(description="queued | running | succeeded | failed | canceled")
    attempts: int
    options: dict[str, Any]
    resultImages: list[AgentImage]
    errorCode: str | None
    errorMessage: str | None
    createdAt: int
    startedAt: int | None
    finishedAt: int | None


class AgentTool(ApiModel):
    name: str
    description: str


class AgentCommandInfo(ApiModel):
    name: str
    usage: str
    description: str


class AgentTools(ApiModel):
    tools: list[AgentTool]
    commands: list[AgentCommandInfo]


class AgentWorkspace(ApiModel):
    sessions: list[AgentSession]
    selectedSessionId: str | None
    session: AgentSession | None
    turns: list[AgentTurn]
    queue: list[AgentQueueItem]
    allowedTools: list[str]


class AgentQueueAnswer(ApiModel):
    queueItem: AgentQueueItem | None = Field(description="null for /help, /question, /parallelism")
    workspace: AgentWorkspace


class AgentQueueList(ApiModel):
    queue: list[AgentQueueItem]


class AgentErrorRecord(ApiModel):
    scope: str
    code: str | None
    message: str
    prompt: str | None = None
    itemId: str
    at: int


class AgentErrors(ApiModel):
    errors: list[AgentErrorRecord]


# -- bodies


class AgentImageRef(ApiModel):
    model_config = ConfigDict(extra="ignore")
    filename: Annotated[str, Field(min_length=1, max_length=512)]


class AgentSessionCreate(ApiModel):
    model_config = ConfigDict(extra="ignore")
    error_codes: ClassVar[dict[str, str]] = {}
    default_error_code: ClassVar[str] = _INVALID

    title: Annotated[str, Field(max_length=agent.MAX_TITLE_CHARS * 4)] | None = None
    currentImage: AgentImageRef | None = None
    webSearchEnabled: StrictBool | None = None
    generationSettings: dict[str, Any] | None = None


class AgentSessionPatch(AgentSessionCreate):
    styleLocks: list[str] | None = None
    subjectLocks: list[str] | None = None


class AgentMessage(ApiModel):
    model_config = ConfigDict(extra="ignore")
    error_codes: ClassVar[dict[str, str]] = {"prompt": "AGENT_PROMPT_REQUIRED"}
    default_error_code: ClassVar[str] = _INVALID
    check_order: ClassVar[tuple[str, ...]] = ("prompt",)

    prompt: Annotated[str, Field(min_length=1, max_length=agent.MAX_PROMPT_CHARS)]
    requestId: Annotated[str, AfterValidator(domain_check(_request_id))] | None = None
    options: dict[str, Any] | None = None
    provider: str | None = None
    model: str | None = None
    quality: str | None = None
    size: str | None = None
    format: str | None = None
    moderation: str | None = None
    reasoningEffort: str | None = None

    def settings(self) -> dict[str, Any]:
        """`options` with the top-level setting fields laid over it."""
        given = dict(self.options or {})
        for key in ("provider", "model", "quality", "size", "format", "moderation", "reasoningEffort"):
            value = getattr(self, key)
            if value:
                given[key] = value
        return given
