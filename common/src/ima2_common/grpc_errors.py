"""Carry `Ima2Error` across gRPC in google.rpc.Status details, and back."""

from __future__ import annotations

import json

import grpc
from google.protobuf import any_pb2, struct_pb2
from google.rpc.status_pb2 import Status

from ima2_common.errors import Ima2Error

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


_FIELDS = {
    "upstreamCode": "upstream_code",
    "upstreamType": "upstream_type",
    "upstreamParam": "upstream_param",
    "diagnosticReason": "diagnostic_reason",
    "retryKind": "retry_kind",
    "guidance": "guidance",
}


def error_to_struct(err: Ima2Error) -> struct_pb2.Struct:
    detail = struct_pb2.Struct()
    fields: dict[str, str | int] = {"code": err.code, "message": err.message, "httpStatus": err.status}
    fields.update({key: getattr(err, attr) for key, attr in _FIELDS.items() if getattr(err, attr)})
    if err.extra:
        fields["extra"] = json.dumps(err.extra)
    detail.update(fields)
    return detail


def _int(value: object) -> int:
    return int(value) if isinstance(value, int | float) else 0


def struct_to_error(detail: struct_pb2.Struct) -> Ima2Error:
    fields = dict(detail.items())
    extra = fields.get("extra")
    return Ima2Error(
        code=str(fields.get("code", "INTERNAL_ERROR")),
        message=str(fields.get("message", "")),
        status=_int(fields.get("httpStatus")),
        extra=json.loads(extra) if isinstance(extra, str) else {},
        **{attr: str(fields[key]) for key, attr in _FIELDS.items() if fields.get(key)},
    )


def status_metadata(err: Ima2Error) -> tuple[grpc.StatusCode, str, tuple[tuple[str, bytes], ...]]:
    code = grpc_code_for(err.status)
    detail = any_pb2.Any()
    detail.Pack(error_to_struct(err))
    status = Status(code=code.value[0], message=err.message, details=[detail])
    return code, err.message, ((DETAILS_KEY, status.SerializeToString()),)


def error_from_rpc(exc: grpc.RpcError, service: str) -> Ima2Error:
    """Turn a failed call into the domain error it carried, or a service-level error."""
    # Every client is on grpc.aio, whose failed calls are AioRpcError: (key, value) trailers and a code.
    aio = exc if isinstance(exc, grpc.aio.AioRpcError) else None
    metadata = aio.trailing_metadata() if aio else None
    for key, value in metadata or ():
        if key == DETAILS_KEY and isinstance(value, bytes):
            status = Status.FromString(value)
            for detail in status.details:
                fields = struct_pb2.Struct()
                if detail.Unpack(fields):
                    return struct_to_error(fields)
    code = aio.code() if aio else grpc.StatusCode.UNKNOWN
    if code == grpc.StatusCode.CANCELLED:
        return Ima2Error("GENERATION_CANCELED")
    if code == grpc.StatusCode.DEADLINE_EXCEEDED:
        return Ima2Error("GENERATION_TIMEOUT")
    if code in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.UNIMPLEMENTED):
        return Ima2Error("SERVICE_UNAVAILABLE", f"The {service} service is unavailable.")
    return Ima2Error("INTERNAL_ERROR", f"The {service} service failed.")
