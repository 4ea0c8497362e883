"""Where providers get their secrets at call time: svc-auth's GetCredential / RefreshCredential.

Providers depend on the small `CredentialSource` protocol, so a test can hand them a plain object
instead of a running svc-auth.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any, Protocol

from ima2_image.clients import AuthClient
from ima2_proto.v1 import auth_pb2


@dataclass(frozen=True)
class Credential:
    secret: str = ""  # API key, bearer token or (vertex) the service-account JSON
    source: str = "none"  # env | config | oauth | sandbox | none
    account_id: str = ""  # codex: chatgpt-account-id
    project_id: str = ""  # vertex
    auth_mode: str = ""  # gemini: apikey | vertex
    expires_at: int = 0  # epoch ms, 0 when unknown


class CredentialSource(Protocol):
    async def get(self, provider: str) -> Credential:
        """provider: openai | xai | gemini | vertex | codex | grok."""
        ...

    async def refresh(self, provider: str, rejected: str = "") -> Credential:
        """A fresh OAuth credential after the upstream refused `rejected` with a 401 (codex, grok)."""
        ...


def _from_proto(credential: auth_pb2.Credential) -> Credential:
    return Credential(
        secret=credential.secret,
        source=credential.source or "none",
        account_id=credential.account_id,
        project_id=credential.project_id,
        auth_mode=credential.auth_mode,
        expires_at=credential.expires_at,
    )


class AuthServiceCredentials:
    """The CredentialSource backed by svc-auth over gRPC (one call per upstream call)."""

    def __init__(self, auth: AuthClient) -> None:
        self.auth = auth

    async def get(self, provider: str) -> Credential:
        reply = await self.auth.unary(
            self.auth.stub.GetCredential, auth_pb2.GetCredentialRequest(provider=provider)
        )
        return _from_proto(reply)

    async def refresh(self, provider: str, rejected: str = "") -> Credential:
        request = auth_pb2.GetCredentialRequest(provider=provider, rejected_secret=rejected)
        return _from_proto(await self.auth.unary(self.auth.stub.RefreshCredential, request))


def jwt_claims(token: str) -> dict[str, Any]:
    """The (unverified) claims of a JWT, or {} when the token is not one."""
    parts = token.split(".")
    if len(parts) != 3:
        return {}
    payload = parts[1] + "=" * (-len(parts[1]) % 4)
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload))
    except (ValueError, UnicodeDecodeError):
        return {}
    return claims if isinstance(claims, dict) else {}
