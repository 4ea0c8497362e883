from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Optional as _Optional

DESCRIPTOR: _descriptor.FileDescriptor

class ErrorInfo(_message.Message):
    __slots__ = ("code", "message", "http_status", "upstream_code", "upstream_type", "upstream_param", "diagnostic_reason", "retry_kind", "guidance", "extra_json")
    CODE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    HTTP_STATUS_FIELD_NUMBER: _ClassVar[int]
    UPSTREAM_CODE_FIELD_NUMBER: _ClassVar[int]
    UPSTREAM_TYPE_FIELD_NUMBER: _ClassVar[int]
    UPSTREAM_PARAM_FIELD_NUMBER: _ClassVar[int]
    DIAGNOSTIC_REASON_FIELD_NUMBER: _ClassVar[int]
    RETRY_KIND_FIELD_NUMBER: _ClassVar[int]
    GUIDANCE_FIELD_NUMBER: _ClassVar[int]
    EXTRA_JSON_FIELD_NUMBER: _ClassVar[int]
    code: str
    message: str
    http_status: int
    upstream_code: str
    upstream_type: str
    upstream_param: str
    diagnostic_reason: str
    retry_kind: str
    guidance: str
    extra_json: str
    def __init__(self, code: _Optional[str] = ..., message: _Optional[str] = ..., http_status: _Optional[int] = ..., upstream_code: _Optional[str] = ..., upstream_type: _Optional[str] = ..., upstream_param: _Optional[str] = ..., diagnostic_reason: _Optional[str] = ..., retry_kind: _Optional[str] = ..., guidance: _Optional[str] = ..., extra_json: _Optional[str] = ...) -> None: ...

class JobEvent(_message.Message):
    __slots__ = ("event", "payload_json", "stream_seq")
    EVENT_FIELD_NUMBER: _ClassVar[int]
    PAYLOAD_JSON_FIELD_NUMBER: _ClassVar[int]
    STREAM_SEQ_FIELD_NUMBER: _ClassVar[int]
    event: str
    payload_json: str
    stream_seq: int
    def __init__(self, event: _Optional[str] = ..., payload_json: _Optional[str] = ..., stream_seq: _Optional[int] = ...) -> None: ...

class Empty(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ImageInput(_message.Message):
    __slots__ = ("data",)
    DATA_FIELD_NUMBER: _ClassVar[int]
    data: str
    def __init__(self, data: _Optional[str] = ...) -> None: ...
