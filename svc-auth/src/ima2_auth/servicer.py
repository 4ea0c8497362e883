"""AuthService over gRPC: a thin layer over the credential resolver."""

from __future__ import annotations

import grpc

from ima2_auth.credentials import CredentialResolver, mask_key
from ima2_proto.v1 import auth_pb2, auth_pb2_grpc, common_pb2


class AuthServicer(auth_pb2_grpc.AuthServiceServicer):
    def __init__(self, resolver: CredentialResolver) -> None:
        self.resolver = resolver

    async def GetCredential(
        self, request: auth_pb2.GetCredentialRequest, context: grpc.aio.ServicerContext
    ) -> auth_pb2.Credential:
        resolved = self.resolver.resolve(request.provider)
        return auth_pb2.Credential(provider=request.provider, secret=resolved.secret, source=resolved.source)

    async def GetKeyStatus(
        self, request: common_pb2.Empty, context: grpc.aio.ServicerContext
    ) -> auth_pb2.KeyStatus:
        def status(provider: str) -> auth_pb2.ProviderKeyStatus:
            resolved = self.resolver.resolve(provider)
            configured = bool(resolved.secret)
            return auth_pb2.ProviderKeyStatus(
                configured=configured,
                source=resolved.source,
                valid=configured,
                masked_key=mask_key(resolved.secret) if configured else "",
            )

        return auth_pb2.KeyStatus(
            openai=status("openai"),
            xai=status("xai"),
            gemini=status("gemini"),
            vertex=status("vertex"),
            gemini_auth_mode=self.resolver.config.get("geminiAuthMode") or "apikey",
            sandbox=self.resolver.settings.sandbox,
        )
