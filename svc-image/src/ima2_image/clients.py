"""The typed gRPC clients svc-image holds to its neighbours."""

from __future__ import annotations

from typing import TypeAlias

from ima2_common.grpc_client import ServiceClient
from ima2_proto.v1 import auth_pb2_grpc, library_pb2_grpc

LibraryClient: TypeAlias = ServiceClient[library_pb2_grpc.LibraryServiceStub]
AuthClient: TypeAlias = ServiceClient[auth_pb2_grpc.AuthServiceStub]
