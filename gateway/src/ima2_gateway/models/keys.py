"""Key management (/api/keys/*) and account switching (/api/auth/switch*)."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import Field

from ima2_gateway.models.base import ApiModel


class ProviderKey(ApiModel):
    configured: bool
    source: str = Field(description="env, config or none.")
    valid: bool
    maskedKey: str | None


class BaseUrl(ApiModel):
    value: str
    defaultValue: str
    custom: bool


class KeyStatus(ApiModel):
    openai: ProviderKey
    xai: ProviderKey
    gemini: ProviderKey
    vertex: ProviderKey
    openaiBaseUrl: BaseUrl
    geminiAuthMode: str = Field(description="apikey or vertex.")
    configCorrupt: bool


class SetKey(ApiModel):
    """svc-auth checks the key (format, then upstream) and answers the spec's codes."""

    error_codes: ClassVar[dict[str, str]] = {"apiKey": "MISSING_KEY"}

    apiKey: str | None = None


class SetVertexServiceAccount(ApiModel):
    error_codes: ClassVar[dict[str, str]] = {"serviceAccountJson": "MISSING_KEY"}

    serviceAccountJson: str | dict[str, Any] | None = Field(
        default=None, description="The service account JSON, as a string or an object."
    )


class SetGeminiAuthMode(ApiModel):
    error_codes: ClassVar[dict[str, str]] = {"mode": "INVALID_MODE"}

    mode: str | None = Field(default=None, json_schema_extra={"enum": ["apikey", "vertex"]})


class KeySaved(ApiModel):
    ok: Literal[True]
    provider: str
    source: str
    valid: bool


class KeyRemoved(ApiModel):
    ok: Literal[True]
    provider: str
    removed: bool


class GeminiAuthMode(ApiModel):
    ok: Literal[True]
    geminiAuthMode: str


class StartSwitch(ApiModel):
    error_codes: ClassVar[dict[str, str]] = {
        "provider": "INVALID_SWITCH_PROVIDER",
        "flow": "INVALID_SWITCH_FLOW",
    }

    provider: str = Field(json_schema_extra={"enum": ["codex", "grok"]})
    flow: str | None = None


class SwitchStarted(ApiModel):
    sessionId: str
    flow: str
    provider: str
    userCode: str
    verificationUrl: str
    expiresIn: int


class SwitchStatus(ApiModel):
    status: str = Field(description="pending, complete, error or expired.")
    flow: str | None = None
    provider: str | None = None
    pollInterval: int | None = None
    email: str | None = None
    error: str | None = None
