"""AuthService over gRPC: a thin layer over the key manager, the OAuth accounts, the switcher and probes."""

from __future__ import annotations

import json

from ima2_auth.credentials import CredentialResolver, vertex_project
from ima2_auth.keys import KeyChangeResult, KeyManager, KeyView
from ima2_auth.oauth.accounts import OAUTH_PROVIDERS, OAuthAccounts
from ima2_auth.oauth.tokens import OAuthToken
from ima2_auth.quota import BillingProbe, QuotaProbe
from ima2_auth.switch import AccountSwitcher
from ima2_auth.switch_store import SwitchSession
from ima2_common.errors import Ima2Error
from ima2_common.grpc_server import ServicerContext
from ima2_proto.v1 import auth_pb2, auth_pb2_grpc, common_pb2

Context = ServicerContext


def _key_status(view: KeyView) -> auth_pb2.ProviderKeyStatus:
    return auth_pb2.ProviderKeyStatus(
        configured=view.configured, source=view.source, valid=view.valid, masked_key=view.masked_key
    )


def _oauth_status(token: OAuthToken | None) -> auth_pb2.ProviderKeyStatus:
    if token is None:
        return auth_pb2.ProviderKeyStatus(configured=False, source="none")
    return auth_pb2.ProviderKeyStatus(
        configured=True, source="oauth", valid=not token.expired(), masked_key=token.email
    )


def _change(result: KeyChangeResult) -> auth_pb2.KeyChange:
    return auth_pb2.KeyChange(
        provider=result.provider, source=result.source, valid=result.valid, removed=result.removed
    )


def _oauth_credential(provider: str, token: OAuthToken | None) -> auth_pb2.Credential:
    if token is None:
        return auth_pb2.Credential(provider=provider, source="none")
    return auth_pb2.Credential(
        provider=provider,
        secret=token.access_token,
        source="oauth",
        account_id=token.account_id,
        expires_at=token.expires_at_ms,
        email=token.email,
    )


def _switch(session: SwitchSession) -> auth_pb2.AccountSwitch:
    return auth_pb2.AccountSwitch(
        session_id=session.id,
        flow=session.flow,
        user_code=session.user_code,
        verification_url=session.verification_url,
        expires_in=session.expires_in,
        status=session.status,
        email=session.email,
        error=session.error,
        provider=session.provider,
        poll_interval=session.interval,
    )


class AuthServicer(auth_pb2_grpc.AuthServiceServicer):
    def __init__(
        self,
        resolver: CredentialResolver,
        keys: KeyManager,
        accounts: OAuthAccounts,
        switcher: AccountSwitcher,
        quota: QuotaProbe,
        billing: BillingProbe,
    ) -> None:
        self.resolver = resolver
        self.keys = keys
        self.accounts = accounts
        self.switcher = switcher
        self.quota = quota
        self.billing = billing

    async def GetCredential(
        self, request: auth_pb2.GetCredentialRequest, context: Context
    ) -> auth_pb2.Credential:
        provider = request.provider
        if provider in OAUTH_PROVIDERS:
            return _oauth_credential(provider, await self.accounts.get(provider))
        config = await self.resolver.config.aget_all()
        resolved = self.resolver.resolve_in(provider, config)
        return auth_pb2.Credential(
            provider=provider,
            secret=resolved.secret,
            source=resolved.source,
            project_id=vertex_project(resolved.secret) if provider == "vertex" else "",
            auth_mode=self.resolver.auth_mode_in(config) if provider in ("gemini", "vertex") else "",
        )

    async def RefreshCredential(
        self, request: auth_pb2.GetCredentialRequest, context: Context
    ) -> auth_pb2.Credential:
        if request.provider not in OAUTH_PROVIDERS:
            raise Ima2Error("INVALID_PROVIDER", "Only codex and grok credentials can be refreshed.")
        token = await self.accounts.refresh(request.provider, request.rejected_secret)
        return _oauth_credential(request.provider, token)

    async def GetKeyStatus(self, request: common_pb2.Empty, context: Context) -> auth_pb2.KeyStatus:
        view = await self.keys.status()
        codex = await self.accounts.current("codex")
        grok = await self.accounts.current("grok")
        return auth_pb2.KeyStatus(
            openai=_key_status(view.keys["openai"]),
            xai=_key_status(view.keys["xai"]),
            gemini=_key_status(view.keys["gemini"]),
            vertex=_key_status(view.keys["vertex"]),
            gemini_auth_mode=view.gemini_auth_mode,
            sandbox=self.resolver.settings.sandbox,
            config_corrupt=view.config_corrupt,
            codex=_oauth_status(codex),
            grok=_oauth_status(grok),
        )

    async def SetKey(self, request: auth_pb2.SetKeyRequest, context: Context) -> auth_pb2.KeyChange:
        return _change(await self.keys.set_key(request.provider, request.api_key))

    async def DeleteKey(self, request: auth_pb2.DeleteKeyRequest, context: Context) -> auth_pb2.KeyChange:
        return _change(await self.keys.delete_key(request.provider))

    async def SetVertexServiceAccount(
        self, request: auth_pb2.SetVertexServiceAccountRequest, context: Context
    ) -> auth_pb2.KeyChange:
        return _change(await self.keys.set_vertex(request.service_account_json))

    async def SetGeminiAuthMode(
        self, request: auth_pb2.SetGeminiAuthModeRequest, context: Context
    ) -> auth_pb2.KeyStatus:
        await self.keys.set_auth_mode(request.mode)
        return await self.GetKeyStatus(common_pb2.Empty(), context)

    async def GetBilling(self, request: common_pb2.Empty, context: Context) -> auth_pb2.JsonDocument:
        return auth_pb2.JsonDocument(json=json.dumps(await self.billing.billing()), http_status=200)

    async def GetQuota(self, request: common_pb2.Empty, context: Context) -> auth_pb2.JsonDocument:
        return auth_pb2.JsonDocument(json=json.dumps(await self.quota.quota()), http_status=200)

    async def StartAccountSwitch(
        self, request: auth_pb2.StartAccountSwitchRequest, context: Context
    ) -> auth_pb2.AccountSwitch:
        return _switch(await self.switcher.start(request.provider, request.flow))

    async def GetAccountSwitch(
        self, request: auth_pb2.AccountSwitchKey, context: Context
    ) -> auth_pb2.AccountSwitch:
        return _switch(await self.switcher.get(request.session_id))

    async def CancelAccountSwitch(
        self, request: auth_pb2.AccountSwitchKey, context: Context
    ) -> auth_pb2.AccountSwitch:
        return _switch(await self.switcher.cancel(request.session_id))
