"""Which secret each provider uses: sandbox mode > environment > config.json."""

from __future__ import annotations

from dataclasses import dataclass

from ima2_auth.config_store import ConfigStore
from ima2_common.settings import Settings

KEY_PROVIDERS = ("openai", "xai", "gemini")
CONFIG_KEYS = {
    "openai": "apiKey",
    "xai": "xaiApiKey",
    "gemini": "geminiApiKey",
    "vertex": "vertexServiceAccountJson",
}
SANDBOX_SECRETS = {
    "openai": "sk-sandbox-ima2-local",
    "xai": "xai-sandbox-ima2-local",
    "gemini": "AIsandbox-ima2-local",
}


@dataclass(frozen=True)
class ResolvedSecret:
    secret: str
    source: str  # sandbox | env | config | none


def mask_key(key: str) -> str:
    """first4..last2, or *** for short keys (the reference's masking)."""
    return "***" if len(key) <= 10 else f"{key[:4]}..{key[-2:]}"


class CredentialResolver:
    def __init__(self, settings: Settings, config: ConfigStore) -> None:
        self.settings = settings
        self.config = config

    def _env(self, provider: str) -> str:
        return {
            "openai": self.settings.openai_api_key,
            "xai": self.settings.xai_api_key,
            "gemini": self.settings.gemini_api_key,
            "vertex": self.settings.vertex_service_account_json,
        }.get(provider, "")

    def resolve(self, provider: str) -> ResolvedSecret:
        if self.settings.sandbox and provider in SANDBOX_SECRETS:
            return ResolvedSecret(SANDBOX_SECRETS[provider], "sandbox")
        env = self._env(provider).strip()
        if env:
            return ResolvedSecret(env, "env")
        saved = self.config.get(CONFIG_KEYS.get(provider, ""))
        if isinstance(saved, str) and saved.strip():
            return ResolvedSecret(saved.strip(), "config")
        return ResolvedSecret("", "none")
