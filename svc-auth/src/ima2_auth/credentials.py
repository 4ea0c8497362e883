"""Which secret each API-key provider uses: environment > config.json.

In sandbox mode the sandbox's own keys are written into config.json once per data dir, so they
behave exactly as keys a user saved: they can be replaced, removed and added again.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from ima2_auth.config_store import ConfigStore
from ima2_common.settings import Settings

KEY_PROVIDERS = ("openai", "xai", "gemini")
CONFIG_KEYS = {
    "openai": "apiKey",
    "xai": "xaiApiKey",
    "gemini": "geminiApiKey",
    "vertex": "vertexServiceAccountJson",
}
AUTH_MODE_KEY = "geminiAuthMode"
AUTH_MODES = ("apikey", "vertex")
SANDBOX_SEEDED_KEY = "sandboxKeysSeeded"
SANDBOX_SECRETS = {
    "openai": "sk-sandbox-ima2-local",
    "xai": "xai-sandbox-ima2-local",
    "gemini": "AIsandbox-ima2-local",
}


@dataclass(frozen=True)
class ResolvedSecret:
    secret: str
    source: str  # env | config | none


def mask_key(key: str) -> str:
    """first4..last2, or *** for short keys (the reference's masking)."""
    return "***" if len(key) <= 10 else f"{key[:4]}..{key[-2:]}"


def vertex_project(service_account_json: str) -> str:
    try:
        parsed = json.loads(service_account_json)
    except (json.JSONDecodeError, TypeError):
        return ""
    project = parsed.get("project_id") if isinstance(parsed, dict) else None
    return project if isinstance(project, str) else ""


def mask_secret(provider: str, secret: str) -> str:
    if not secret:
        return ""
    if provider == "vertex":
        return f"project: {vertex_project(secret) or '?'}"
    return mask_key(secret)


class CredentialResolver:
    def __init__(self, settings: Settings, config: ConfigStore) -> None:
        self.settings = settings
        self.config = config

    def env_secret(self, provider: str) -> str:
        return {
            "github": self.settings.github_token,
            "openai": self.settings.openai_api_key,
            "xai": self.settings.xai_api_key,
            "gemini": self.settings.gemini_api_key,
            "vertex": self.settings.vertex_service_account_json,
        }.get(provider, "").strip()

    def resolve_in(self, provider: str, config: dict[str, Any]) -> ResolvedSecret:
        env = self.env_secret(provider)
        if env:
            return ResolvedSecret(env, "env")
        if provider == "github":  # config.json `github.token` (the reference's key) or `githubToken`
            nested = config.get("github")
            saved = nested.get("token") if isinstance(nested, dict) else config.get("githubToken")
            if isinstance(saved, str) and saved.strip():
                return ResolvedSecret(saved.strip(), "config")
            return ResolvedSecret("", "none")
        saved = config.get(CONFIG_KEYS.get(provider, ""))
        if isinstance(saved, str) and saved.strip():
            return ResolvedSecret(saved.strip(), "config")
        return ResolvedSecret("", "none")

    async def seed_sandbox_keys(self) -> None:
        """Sandbox mode: save the sandbox's keys as config keys, once per data dir."""
        config = await self.config.aget_all()
        if not self.settings.sandbox or config.get(SANDBOX_SEEDED_KEY):
            return
        changes: dict[str, Any] = {SANDBOX_SEEDED_KEY: True}
        for provider, secret in SANDBOX_SECRETS.items():
            if not config.get(CONFIG_KEYS[provider]):
                changes[CONFIG_KEYS[provider]] = secret
        await self.config.aupdate(changes)

    @staticmethod
    def auth_mode_in(config: dict[str, Any]) -> str:
        mode = config.get(AUTH_MODE_KEY)
        return mode if mode in AUTH_MODES else "apikey"

    async def resolve(self, provider: str) -> ResolvedSecret:
        return self.resolve_in(provider, await self.config.aget_all())
