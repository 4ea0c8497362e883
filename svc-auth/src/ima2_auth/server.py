"""svc-auth process: wiring and lifecycle."""

from __future__ import annotations

import asyncio
import contextlib

import httpx
from nats.aio.client import Client
from nats.js.kv import KeyValue

from ima2_auth.config_store import ConfigStore
from ima2_auth.credentials import CredentialResolver
from ima2_auth.key_check import KeyChecker
from ima2_auth.keys import KeyManager
from ima2_auth.oauth.accounts import OAuthAccounts
from ima2_auth.oauth.codex import CodexDeviceLogin
from ima2_auth.oauth.device import DeviceLoginClient
from ima2_auth.oauth.tokens import CodexAuthFile, ProgrokAuthFile, TokenFile
from ima2_auth.oauth.xai import XaiDeviceLogin
from ima2_auth.quota import BillingProbe, QuotaProbe
from ima2_auth.servicer import AuthServicer
from ima2_auth.switch import AccountSwitcher
from ima2_auth.switch_store import KvSessionStore, SessionStore
from ima2_common.grpc_server import GrpcServer, wait_for_shutdown_signal
from ima2_common.logging import setup_logging
from ima2_common.nats_failover import failover_jetstream
from ima2_common.nats_util import connect, switch_bucket
from ima2_common.settings import Settings
from ima2_proto.v1 import auth_pb2, auth_pb2_grpc


def build_servicer(
    settings: Settings, http: httpx.AsyncClient, store: SessionStore | None = None
) -> AuthServicer:
    resolver = CredentialResolver(settings, ConfigStore(settings.config_file))
    clients: dict[str, DeviceLoginClient] = {
        "codex": CodexDeviceLogin(settings, http),
        "grok": XaiDeviceLogin(settings, http),
    }
    files: dict[str, TokenFile] = {
        "codex": CodexAuthFile(settings.codex_auth_file),
        "grok": ProgrokAuthFile(settings.progrok_auth_file),
    }
    accounts = OAuthAccounts(files, clients)
    return AuthServicer(
        resolver,
        KeyManager(resolver, KeyChecker(settings, http)),
        accounts,
        AccountSwitcher(accounts, clients, settings.auth_switch_abandon_seconds, store=store),
        QuotaProbe(settings, http, accounts),
        BillingProbe(settings, http, resolver),
    )


async def open_switch_bucket(settings: Settings, connections: list[Client]) -> KeyValue:
    """NATS is reached in the background: keys, quota and status answer without it."""
    nc = await connect(settings.nats_url, "svc-auth")
    connections.append(nc)
    bucket: KeyValue = await switch_bucket(failover_jetstream(nc), settings.nats_replicas)
    return bucket


async def serve(settings: Settings) -> None:
    setup_logging("svc-auth", settings.logs_dir, settings.log_level, settings.log_json_stderr)
    connections: list[Client] = []
    store = KvSessionStore(open_switch_bucket(settings, connections))
    async with httpx.AsyncClient(follow_redirects=False) as http:
        servicer = build_servicer(settings, http, store)
        await servicer.resolver.seed_sandbox_keys()
        server = GrpcServer("svc-auth", settings.listen_address(settings.auth_addr))
        auth_pb2_grpc.add_AuthServiceServicer_to_server(servicer, server.server)
        await server.start([auth_pb2.DESCRIPTOR.services_by_name["AuthService"].full_name])
        reaper = asyncio.create_task(servicer.switcher.run_reaper())
        try:
            await wait_for_shutdown_signal()
        finally:
            reaper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reaper
            await servicer.switcher.close()
            await server.stop()
            store.close()
            for nc in connections:
                with contextlib.suppress(Exception):
                    await nc.close()
