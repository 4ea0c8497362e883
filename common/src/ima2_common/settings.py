"""Every setting of every part, in one place. Each field is an environment variable.

Fields without an explicit alias read `IMA2_<FIELD>`; provider keys keep the names users
already export (`OPENAI_API_KEY`, `XAI_API_KEY`, `GEMINI_API_KEY`, `VERTEX_SERVICE_ACCOUNT_JSON`).

A few fields can also come from the data dir's `config.json` (the file svc-auth keeps); the
environment wins over the file, the file over the default (`CONFIG_FILE_FIELDS`).
"""

from __future__ import annotations

import json
import os
from functools import cached_property
from pathlib import Path
from typing import Any

from pydantic import AliasChoices, Field
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from ima2_common import limits

DEFAULT_HOME = Path("~/.ima2")
# config.json path (nested keys, as the reference names them) -> Settings field, for the fields the
# file may set; `ima2 config set` writes them. Each takes effect when the services start.
CONFIG_FILE_FIELDS: dict[tuple[str, ...], str] = {
    ("features", "cardNews"): "card_news",
    ("server", "host"): "host",
    ("server", "port"): "port",
    ("log", "level"): "log_level",
    ("limits", "maxParallel"): "max_parallel",
    ("storage", "generatedDir"): "generated_dir",
    ("grokProvider", "plannerModel"): "grok_planner_model",
    ("grokProvider", "plannerTimeoutMs"): "grok_planner_timeout_ms",
    ("comfy", "defaultUrl"): "comfy_url",
}


def config_file_kind(field: str) -> type:
    """bool, int or str: the JSON type config.json must hold for a Settings field."""
    annotation = Settings.model_fields[field].annotation
    return bool if annotation is bool else int if annotation is int else str


def config_file_value_fits(value: Any, kind: type) -> bool:
    if kind is bool:
        return isinstance(value, bool)
    if kind is int:
        return isinstance(value, int) and not isinstance(value, bool) and value > 0
    return isinstance(value, str) and bool(value.strip())


def config_file_value(data: Any, keys: tuple[str, ...]) -> Any:
    """The value at a nested path of config.json's object (None when any step is missing)."""
    for key in keys:
        data = data.get(key) if isinstance(data, dict) else None
    return data


def read_config_file(path: Path) -> dict[str, Any]:
    """The fields config.json sets (`CONFIG_FILE_FIELDS`); a missing or malformed file sets none,
    and a value of the wrong type is left out."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    found: dict[str, Any] = {}
    for keys, field in CONFIG_FILE_FIELDS.items():
        value = config_file_value(data, keys)
        if config_file_value_fits(value, config_file_kind(field)):
            found[field] = value
    return found


class ConfigFileSource(PydanticBaseSettingsSource):
    """config.json in the data dir (the one chosen by the arguments or IMA2_HOME)."""

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False  # unused: __call__ reads the whole file once

    def __call__(self) -> dict[str, Any]:
        home = self.current_state.get("home") or os.environ.get("IMA2_HOME") or DEFAULT_HOME
        return read_config_file(Path(home).expanduser() / "config.json")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="IMA2_", extra="ignore", populate_by_name=True)

    # Data directory and server
    home: Path = Field(default=DEFAULT_HOME, description="Data dir: config.json, generated/, db, logs")
    host: str = Field(default="127.0.0.1", description="Gateway bind address")
    port: int = Field(default=3333, description="Gateway port; the next free one is used when busy")
    configured_port: int = Field(default=0, description="The port asked for (set by `ima2 up` on fallback)")
    version: str = "0.1.0"
    log_level: str = "INFO"
    log_json_stderr: bool = Field(default=False, description="Also write JSON log lines to stderr")
    body_limit_bytes: int = limits.BODY_LIMIT_BYTES
    web_dir: Path | None = Field(default=None, description="Folder of the browser UI (default: bundled)")

    # Internal addresses (set by `ima2 up` or compose)
    nats_url: str = "nats://127.0.0.1:4222"
    image_addr: str = "127.0.0.1:50051"
    video_addr: str = "127.0.0.1:50052"
    library_addr: str = "127.0.0.1:50053"
    auth_addr: str = "127.0.0.1:50054"
    grpc_listen_host: str = Field(default="127.0.0.1", description="Services bind here (0.0.0.0 in compose)")
    grpc_listen_port: int = Field(
        default=0, description="A replica's own port (0: the port of the service's advertised address)"
    )
    nats_replicas: int = Field(
        default=1, description="Copies of the events stream, KV buckets and object store (3 on a cluster)"
    )

    # Storage
    database_url: str = Field(default="", description="PostgreSQL DSN; SQLite under IMA2_HOME when empty")
    generated_dir: Path | None = None
    legacy_generated_dirs: str = Field(
        default="", description="Extra folders (os.pathsep-separated) checked for images of older installs"
    )
    open_command: str = Field(
        default="", description="Opens the generated folder on the server (default: xdg-open/open/explorer)"
    )
    style_sheet_model: str = Field(default="gpt-5.4-mini", description="Model for style-sheet extraction")

    # Jobs and events
    max_parallel: int = limits.MAX_PARALLEL_JOBS
    sse_ping_seconds: float = limits.SSE_PING_SECONDS
    sse_max_listeners: int = limits.SSE_MAX_LISTENERS
    job_lease_seconds: float = limits.JOB_LEASE_SECONDS
    multimode_timeout_seconds: float = Field(
        default=600.0, description="A multimode sequence ends here; saved images give status partial"
    )

    # Sandbox
    sandbox: bool = Field(default=False, description="Providers talk to the sandbox emulators")
    sandbox_url: str = ""

    # Upstreams (base URLs are taken from here, so tests can point them anywhere)
    openai_base_url: str = "https://api.openai.com/v1"
    oauth_proxy_url: str = "http://127.0.0.1:10531/v1"
    xai_base_url: str = "https://api.x.ai/v1"
    grok_proxy_url: str = "http://127.0.0.1:18645/v1"
    grok_transport: str = Field(
        default="auto",
        description="grok: auto (xAI directly with the stored Grok login, else the proxy) | direct | proxy",
    )
    gemini_base_url: str = "https://generativelanguage.googleapis.com/v1beta"
    vertex_base_url: str = "https://aiplatform.googleapis.com/v1"
    codex_base_url: str = "https://chatgpt.com/backend-api/codex"
    chatgpt_base_url: str = Field(default="https://chatgpt.com/backend-api", description="wham/usage quota")
    openai_auth_url: str = "https://auth.openai.com"
    xai_auth_url: str = "https://auth.x.ai"
    grok_billing_url: str = "https://cli-chat-proxy.grok.com/v1"
    github_api_url: str = "https://api.github.com"
    github_raw_url: str = "https://raw.githubusercontent.com"
    openai_image_timeout_seconds: float = 400.0
    openai_connect_timeout_seconds: float = 10.0
    grok_planner_model: str = "grok-4.3"
    grok_search_timeout_ms: int = 60_000
    grok_planner_timeout_ms: int = 60_000
    grok_image_timeout_ms: int = 120_000
    gemini_timeout_seconds: float = 120.0
    video_poll_interval_seconds: float = Field(
        default=limits.VIDEO_POLL_INTERVAL_SECONDS, description="Pause between polls of an xAI video job"
    )
    video_poll_budget_seconds: float = Field(
        default=limits.VIDEO_POLL_BUDGET_SECONDS,
        description="A video job polls this long, then GROK_VIDEO_TIMEOUT",
    )
    video_stall_seconds: float = Field(
        default=limits.VIDEO_STALL_SECONDS, description="Unchanged progress this long is reported as stalled"
    )
    video_submit_timeout_seconds: float = Field(default=60.0, description="The xAI video submit call")
    video_download_timeout_seconds: float = Field(default=120.0, description="Downloading a finished video")
    video_ffmpeg_timeout_seconds: float = Field(
        default=60.0, description="One ffmpeg run (frames, thumbnails, storyboard trim)"
    )
    prompt_builder_backend: str = Field(
        default="",
        description="Locks the prompt builder backend (PUT /api/prompt-builder/config answers 409)",
    )
    prompt_builder_model: str = Field(default="", description="Locks the prompt builder model")
    prompt_builder_timeout_seconds: float = limits.PROMPT_BUILDER_TIMEOUT_SECONDS
    comfy_url: str = Field(
        default=limits.COMFY_DEFAULT_URL, description="ComfyUI for /api/comfy/export-image"
    )
    comfy_upload_timeout_seconds: float = limits.COMFY_UPLOAD_TIMEOUT_SECONDS
    prompt_import_requests_per_minute: int = Field(
        default=limits.PROMPT_IMPORT_MAX_REQUESTS_PER_MINUTE,
        description="GitHub calls per minute per gateway",
    )
    card_news: bool = Field(
        default=False,
        validation_alias=AliasChoices("IMA2_CARD_NEWS", "IMA2_FEATURES_CARD_NEWS", "card_news"),
        description="features.cardNews: serve the card news routes (absent, 404, when off); "
        "also config.json `features.cardNews`",
    )
    card_news_concurrency: int = Field(default=2, description="Cards of one card news job made at once")
    agy_bin: str = Field(default="", description="The Antigravity CLI (default: agy on PATH)")
    agy_timeout_seconds: float = 360.0

    # Credentials kept outside config.json (shared with the vendors' CLIs)
    progrok_auth_file: Path = Path("~/.progrok/auth.json")
    codex_auth_file: Path = Path("~/.codex/auth.json")

    # Access control for non-loopback binds
    access_token: str = Field(default="", repr=False, description="Required on every non-loopback request")
    public_origins: str = Field(default="", description="JSON array of extra origins the gateway serves")
    auth_switch_abandon_seconds: float = Field(
        default=300.0, description="A pending account switch nobody asks about for this long is ended"
    )

    # Provider credentials from the environment (never logged)
    openai_api_key: str = Field(default="", validation_alias=AliasChoices("OPENAI_API_KEY"), repr=False)
    xai_api_key: str = Field(default="", validation_alias=AliasChoices("XAI_API_KEY"), repr=False)
    gemini_api_key: str = Field(default="", validation_alias=AliasChoices("GEMINI_API_KEY"), repr=False)
    github_token: str = Field(
        default="",
        repr=False,
        description="Optional GitHub token for prompt import (else config github.token)",
    )
    vertex_service_account_json: str = Field(
        default="", validation_alias=AliasChoices("VERTEX_SERVICE_ACCOUNT_JSON"), repr=False
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Arguments, then the environment, then config.json, then the defaults."""
        return (
            init_settings,
            env_settings,
            ConfigFileSource(settings_cls),
            dotenv_settings,
            file_secret_settings,
        )

    @cached_property
    def home_dir(self) -> Path:
        return self.home.expanduser().resolve()

    @cached_property
    def generated_path(self) -> Path:
        return (self.generated_dir or self.home_dir / "generated").expanduser().resolve()

    @property
    def logs_dir(self) -> Path:
        return self.home_dir / "logs"

    @property
    def nats_dir(self) -> Path:
        return self.home_dir / "nats"

    @property
    def config_file(self) -> Path:
        return self.home_dir / "config.json"

    @property
    def server_file(self) -> Path:
        return self.home_dir / "server.json"

    @property
    def access_token_file(self) -> Path:
        return self.home_dir / "access-token"

    @property
    def cli_config_file(self) -> Path:
        return self.home_dir / "cli.json"

    def listen_address(self, address: str) -> str:
        """Where a service binds: the port of its advertised address on grpc_listen_host."""
        port = self.grpc_listen_port or int(address.split(",")[0].rsplit(":", 1)[1])
        return f"{self.grpc_listen_host}:{port}"

    @property
    def sqlite_path(self) -> Path:
        return self.home_dir / "ima2.db"
