"""Key management: the checks of reference §1.3, then config.json. Only masked views come out."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from ima2_auth.config_store import ConfigStore
from ima2_auth.credentials import (
    AUTH_MODE_KEY,
    AUTH_MODES,
    CONFIG_KEYS,
    KEY_PROVIDERS,
    CredentialResolver,
    mask_secret,
)
from ima2_auth.key_check import KeyChecker
from ima2_common.errors import Ima2Error

KEY_PREFIXES = {"openai": "sk-", "xai": "xai-", "gemini": "AI"}
MAX_KEY_CHARS = 512
MAX_SERVICE_ACCOUNT_BYTES = 50 * 1024


@dataclass(frozen=True)
class KeyView:
    configured: bool
    source: str
    valid: bool
    masked_key: str


@dataclass(frozen=True)
class KeyChangeResult:
    provider: str
    source: str = ""
    valid: bool = False
    removed: bool = False


@dataclass(frozen=True)
class KeyStatusView:
    keys: dict[str, KeyView]
    gemini_auth_mode: str
    config_corrupt: bool


def _has_control_chars(value: str) -> bool:
    return any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in value)


class KeyManager:
    def __init__(self, resolver: CredentialResolver, checker: KeyChecker) -> None:
        self.resolver = resolver
        self.checker = checker

    @property
    def config(self) -> ConfigStore:
        return self.resolver.config

    async def status(self) -> KeyStatusView:
        config = await self.config.aget_all()
        keys = {}
        for provider in (*KEY_PROVIDERS, "vertex"):
            resolved = self.resolver.resolve_in(provider, config)
            configured = bool(resolved.secret)
            keys[provider] = KeyView(
                configured, resolved.source, configured, mask_secret(provider, resolved.secret)
            )
        return KeyStatusView(keys, self.resolver.auth_mode_in(config), await self.config.acorrupt())

    def _refuse_env(self, provider: str) -> None:
        if self.resolver.env_secret(provider):
            raise Ima2Error("ENV_KEY_IMMUTABLE")

    async def set_key(self, provider: str, api_key: Any) -> KeyChangeResult:
        if provider not in KEY_PROVIDERS:
            raise Ima2Error("INVALID_PROVIDER", "provider must be openai, xai or gemini.")
        if not isinstance(api_key, str) or not api_key.strip():
            raise Ima2Error("MISSING_KEY")
        key = api_key.strip()
        if len(key) > MAX_KEY_CHARS:
            raise Ima2Error("KEY_TOO_LARGE", f"The key must be at most {MAX_KEY_CHARS} characters.")
        if not key.startswith(KEY_PREFIXES[provider]) or _has_control_chars(key) or " " in key:
            raise Ima2Error("INVALID_KEY_FORMAT", f"A {provider} key starts with {KEY_PREFIXES[provider]!r}.")
        self._refuse_env(provider)
        await self.checker.check(provider, key)
        await self.config.aupdate({CONFIG_KEYS[provider]: key})
        return KeyChangeResult(provider, "config", True)

    async def delete_key(self, provider: str) -> KeyChangeResult:
        if provider not in (*KEY_PROVIDERS, "vertex"):
            raise Ima2Error("INVALID_PROVIDER", "provider must be openai, xai, gemini or vertex.")
        self._refuse_env(provider)
        removed = await self.config.aupdate({CONFIG_KEYS[provider]: None})
        return KeyChangeResult(provider, removed=removed)

    async def set_vertex(self, service_account: Any) -> KeyChangeResult:
        if isinstance(service_account, dict):
            service_account = json.dumps(service_account)
        if not isinstance(service_account, str) or not service_account.strip():
            raise Ima2Error("MISSING_KEY", "serviceAccountJson is required.")
        if len(service_account.encode()) > MAX_SERVICE_ACCOUNT_BYTES:
            raise Ima2Error("KEY_TOO_LARGE", "The service account JSON must be at most 50 KB.")
        try:
            parsed = json.loads(service_account)
        except json.JSONDecodeError:
            raise Ima2Error("INVALID_JSON") from None
        if (
            not isinstance(parsed, dict)
            or parsed.get("type") != "service_account"
            or not isinstance(parsed.get("project_id"), str)
            or not parsed["project_id"].strip()
        ):
            raise Ima2Error("INVALID_SERVICE_ACCOUNT")
        self._refuse_env("vertex")
        await self.config.aupdate({CONFIG_KEYS["vertex"]: json.dumps(parsed), AUTH_MODE_KEY: "vertex"})
        return KeyChangeResult("vertex", "config", True)

    async def set_auth_mode(self, mode: Any) -> None:
        if mode not in AUTH_MODES:
            raise Ima2Error("INVALID_MODE")
        await self.config.aupdate({AUTH_MODE_KEY: mode})
