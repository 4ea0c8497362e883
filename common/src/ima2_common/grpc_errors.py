"""Carry `Ima2Error` across gRPC in google.rpc.Status details, and back."""

from __future__ import annotations

import json

import grpc
from google.protobuf import any_pb2
from google.rpc import status_pb2

from ima2_common.errors import Ima2Error
from ima2_proto.v1 import common_pb2

DETAILS_KEY = "grpc-status-details-bin"

_HTTP_TO_GRPC = {
    400: grpc.StatusCode.INVALID_ARGUMENT,
    401: grpc.StatusCode.UNAUTHENTICATED,
    403: grpc.StatusCode.PERMISSION_DENIED,
    404: grpc.StatusCode.NOT_FOUND,
    409: grpc.StatusCode.ALREADY_EXISTS,
    413: grpc.StatusCode.OUT_OF_RANGE,
    422: grpc.StatusCode.FAILED_PRECONDITION,
    428: grpc.StatusCode.FAILED_PRECONDITION,
    429: grpc.StatusCode.RESOURCE_EXHAUSTED,
    499: grpc.StatusCode.CANCELLED,
    503: grpc.StatusCode.UNAVAILABLE,
    504: grpc.StatusCode.DEADLINE_EXCEEDED,
}


def grpc_code_for(http_status: int) -> grpc.StatusCode:
    return _HTTP_TO_GRPC.get(http_status, grpc.StatusCode.INTERNAL)


def error_to_info(err: Ima2Error) -> common_pb2.ErrorInfo:
    return common_pb2.ErrorInfo(
        code=err.code,
        message=err.message,
        http_status=err.status,
        upstream_code=err.upstream_code or "",
        upstream_type=err.upstream_type or "",
        upstream_param=err.upstream_param or "",
        diagnostic_reason=err.diagnostic_reason or "",
        retry_kind=err.retry_kind or "",
        guidance=err.guidance or "",
        extra_json=json.dumps(err.extra) if err.extra else "",
    )


def info_to_error(info: common_pb2.ErrorInfo) -> Ima2Error:
    return Ima2Error(
        code=info.code,
        message=info.message,
        status=info.http_status,
        upstream_code=info.upstream_code or None,
        upstream_type=info.upstream_type or None,
        upstream_param=info.upstream_param or None,
        diagnostic_reason=info.diagnostic_reason or None,
        retry_kind=info.retry_kind or None,
        guidance=info.guidance or None,
        extra=json.loads(info.extra_json) if info.extra_json else {},
    )


def status_metadata(err: Ima2Error) -> tuple[grpc.StatusCode, str, tuple[tuple[str, bytes], ...]]:
    code = grpc_code_for(err.status)
    detail = any_pb2.Any()
    detail.Pack(error_to_info(err))
    status = status_pb2.Status(code=code.value[0], message=err.message, details=[detail])
    return code, err.message, ((DETAILS_KEY, status.SerializeToString()),)


def error_from_rpc(exc: grpc.RpcError, service: str) -> Ima2Error:
    """Turn a failed call into the domain error it carried, or a service-level error."""
    metadata = exc.trailing_metadata() if hasattr(exc, "trailing_metadata") else None  # type: ignore[attr-defined]
    for key, value in metadata or ():
        if key == DETAILS_KEY:
            status = status_pb2.Status.FromString(value)
            for detail in status.details:
                info = common_pb2.ErrorInfo()
                if detail.Unpack(info):
                    return info_to_error(info)
    code = exc.code() if hasattr(exc, "code") else grpc.StatusCode.UNKNOWN  # type: ignore[attr-defined]
    if code == grpc.StatusCode.CANCELLED:
        return Ima2Error("GENERATION_CANCELED")
    if code == grpc.StatusCode.DEADLINE_EXCEEDED:
        return Ima2Error("GENERATION_TIMEOUT")
    if code in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.UNIMPLEMENTED):
        return Ima2Error("SERVICE_UNAVAILABLE", f"The {service} service is unavailable.")
    return Ima2Error("INTERNAL_ERROR", f"The {service} service failed.")
