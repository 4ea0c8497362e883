"""svc-auth process: wiring and lifecycle."""

from __future__ import annotations

from ima2_auth.config_store import ConfigStore
from ima2_auth.credentials import CredentialResolver
from ima2_auth.servicer import AuthServicer
from ima2_common.grpc_server import GrpcServer, wait_for_shutdown_signal
from ima2_common.logging import setup_logging
from ima2_common.settings import Settings
from ima2_proto.v1 import auth_pb2, auth_pb2_grpc


async def serve(settings: Settings) -> None:
    setup_logging("svc-auth", settings.logs_dir, settings.log_level, settings.log_json_stderr)
    resolver = CredentialResolver(settings, ConfigStore(settings.config_file))
    server = GrpcServer("svc-auth", settings.listen_address(settings.auth_addr))
    auth_pb2_grpc.add_AuthServiceServicer_to_server(AuthServicer(resolver), server.server)
    await server.start([auth_pb2.DESCRIPTOR.services_by_name["AuthService"].full_name])
    try:
        await wait_for_shutdown_signal()
    finally:
        await server.stop()
