"""What a device-code login client offers, whichever vendor it talks to."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from ima2_auth.oauth.tokens import OAuthToken

HTTP_TIMEOUT_SECONDS = 15.0


@dataclass(frozen=True)
class DeviceStart:
    device_code: str  # kept inside svc-auth, never shown
    user_code: str
    verification_url: str
    interval: int
    expires_in: int


@dataclass(frozen=True)
class PollOutcome:
    kind: str  # pending | slow_down | complete | denied | expired | retry | error
    token: OAuthToken | None = None
    message: str = ""


class StartFailed(Exception):
    """The upstream would not start a device-code login (message is safe to show)."""


class RefreshFailed(Exception):
    """A refresh did not produce a token. `terminal` when the refresh token itself was refused."""

    def __init__(self, message: str, terminal: bool) -> None:
        super().__init__(message)
        self.terminal = terminal


class DeviceLoginClient(Protocol):
    provider: str

    async def start(self) -> DeviceStart: ...

    async def poll(self, start: DeviceStart) -> PollOutcome: ...

    async def refresh(self, token: OAuthToken) -> OAuthToken: ...


def oauth_error_code(body: object) -> str:
    """`error` of an OAuth2 error body, or `error.code` of an OpenAI-style one."""
    if not isinstance(body, dict):
        return ""
    error = body.get("error")
    if isinstance(error, str):
        return error
    if isinstance(error, dict):
        return str(error.get("code") or error.get("type") or "")
    return ""
