"""Where the video upstream gets its bearer: svc-auth's GetCredential / RefreshCredential, per job.

`grok` uses the Grok OAuth login (through the progrok proxy, which may hold the session itself:
then any bearer works), `grok-api` the xAI API key.
"""

from __future__ import annotations

from typing import Protocol

from ima2_common.grpc_client import ServiceClient
from ima2_proto.v1 import auth_pb2


class CredentialSource(Protocol):
    async def get(self, provider: str) -> str:
        """The secret for `provider` (xai | grok), empty when none is stored."""
        ...

    async def refresh(self, provider: str, rejected: str) -> str:
        """A fresh OAuth token after the upstream refused `rejected` with a 401."""
        ...


class AuthServiceCredentials:
    def __init__(self, auth: ServiceClient) -> None:
        self.auth = auth

    async def get(self, provider: str) -> str:
        reply = await self.auth.call("GetCredential", auth_pb2.GetCredentialRequest(provider=provider))
        return reply.secret

    async def refresh(self, provider: str, rejected: str) -> str:
        request = auth_pb2.GetCredentialRequest(provider=provider, rejected_secret=rejected)
        return (await self.auth.call("RefreshCredential", request)).secret
