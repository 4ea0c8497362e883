"""Health and status: /api/health, /api/providers, /api/capabilities, provider probes, billing,
quota and the Grok planner setting."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import ConfigDict, Field

from ima2_gateway.models.base import ApiModel


class ServiceState(ApiModel):
    status: Literal["up", "down"]
    address: str


class NatsState(ApiModel):
    status: Literal["up", "down"]
    lastEventId: int | None = None


class BackendRuntime(ApiModel):
    configuredPort: int
    actualPort: int
    url: str


class OAuthRuntime(ApiModel):
    configuredPort: int | None
    actualPort: int | None
    url: str
    status: str


class Runtime(ApiModel):
    backend: BackendRuntime
    oauth: OAuthRuntime


class Health(ApiModel):
    ok: bool = Field(description="true when NATS and every service are up.")
    status: Literal["ok", "degraded"]
    version: str
    provider: str
    sandbox: bool
    uptimeSec: float
    activeJobs: int | None
    pid: int
    startedAt: int = Field(description="Epoch milliseconds.")
    services: dict[str, ServiceState]
    nats: NatsState
    runtime: Runtime


class ProviderState(ApiModel):
    """What svc-image reports for one provider."""

    status: str = Field(description="ready, offline, missing_key, ...")
    reason: str | None = None
    models: list[str] | None = None


class ProviderAvailability(ProviderState):
    available: bool


class KeySource(ApiModel):
    configured: bool
    source: str


class Providers(ApiModel):
    apiKey: bool
    oauth: bool
    oauthPort: int | None
    oauthActualPort: int | None
    oauthUrl: str
    apiKeyDisabled: bool
    apiKeySource: str
    sandbox: bool
    keys: dict[str, KeySource] | None = Field(description="null when svc-auth is unreachable.")
    providers: dict[str, ProviderAvailability]
    runtime: Runtime


class Limits(ApiModel):
    maxGeneratedImages: int
    maxParallel: int
    maxRefCount: int
    maxRefB64Bytes: int
    maxMultimodeImages: int
    sseMaxListeners: int


class VideoDuration(ApiModel):
    min: int
    max: int
    default: int
    referenceMax: int
    extendMin: int
    extendMax: int


class VideoCapabilities(ApiModel):
    """What video can do here, and whether svc-video answers right now."""

    available: bool
    status: Literal["up", "down"]
    providers: list[str]
    models: list[str]
    defaultModel: str
    editModels: list[str]
    resolutions: list[str]
    aspectRatios: list[str]
    modes: list[str]
    duration: VideoDuration
    maxReferenceImages: int
    surfaces: list[str]


class Capabilities(ApiModel):
    version: str
    providers: list[str]
    models: dict[str, list[str]]
    defaultModels: dict[str, str]
    qualities: list[str]
    formats: list[str]
    moderations: list[str]
    reasoningEfforts: list[str]
    videoModels: list[str]
    video: VideoCapabilities
    limits: Limits
    providerSurfaces: dict[str, dict[str, bool]]


class OAuthStatus(ProviderState):
    runtime: Runtime


class AgyStatus(ApiModel):
    installed: bool
    status: str
    version: str | None = Field(default=None, description="`agy --version`, when installed.")


class Billing(ApiModel):
    """The OpenAI key's billing probe; `costs` and `credits` are the upstream's documents."""

    model_config = ConfigDict(extra="allow")
    oauth: bool
    apiKeySource: str
    apiKeyValid: bool
    costs: dict[str, Any] | None = None
    credits: dict[str, Any] | None = None


class QuotaWindow(ApiModel):
    model_config = ConfigDict(extra="allow")
    label: str
    percent: float
    resetsAt: str | None = None


class ProviderQuota(ApiModel):
    model_config = ConfigDict(extra="allow")
    provider: str
    windows: list[QuotaWindow]
    authenticated: bool | None = None
    error: str | None = None
    account: dict[str, Any] | None = None


class Quota(ApiModel):
    codex: ProviderQuota
    grok: ProviderQuota


class GrokPlannerConfig(ApiModel):
    model: str
    options: list[str]


class GrokPlannerUpdate(ApiModel):
    error_codes: ClassVar[dict[str, str]] = {"model": "INVALID_PLANNER_MODEL"}
    model: str = Field(min_length=1, description="One of the options GET returns.")


class GrokPlannerUpdated(ApiModel):
    model: str
