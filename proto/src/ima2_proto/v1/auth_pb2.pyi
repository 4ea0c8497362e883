from ima2_proto.v1 import common_pb2 as _common_pb2
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class GetCredentialRequest(_message.Message):
    __slots__ = ("provider", "rejected_secret")
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    REJECTED_SECRET_FIELD_NUMBER: _ClassVar[int]
    provider: str
    rejected_secret: str
    def __init__(self, provider: _Optional[str] = ..., rejected_secret: _Optional[str] = ...) -> None: ...

class Credential(_message.Message):
    __slots__ = ("provider", "secret", "source", "account_id", "project_id", "expires_at", "auth_mode", "email")
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    SECRET_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_AT_FIELD_NUMBER: _ClassVar[int]
    AUTH_MODE_FIELD_NUMBER: _ClassVar[int]
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    provider: str
    secret: str
    source: str
    account_id: str
    project_id: str
    expires_at: int
    auth_mode: str
    email: str
    def __init__(self, provider: _Optional[str] = ..., secret: _Optional[str] = ..., source: _Optional[str] = ..., account_id: _Optional[str] = ..., project_id: _Optional[str] = ..., expires_at: _Optional[int] = ..., auth_mode: _Optional[str] = ..., email: _Optional[str] = ...) -> None: ...

class ProviderKeyStatus(_message.Message):
    __slots__ = ("configured", "source", "valid", "masked_key")
    CONFIGURED_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    VALID_FIELD_NUMBER: _ClassVar[int]
    MASKED_KEY_FIELD_NUMBER: _ClassVar[int]
    configured: bool
    source: str
    valid: bool
    masked_key: str
    def __init__(self, configured: _Optional[bool] = ..., source: _Optional[str] = ..., valid: _Optional[bool] = ..., masked_key: _Optional[str] = ...) -> None: ...

class KeyStatus(_message.Message):
    __slots__ = ("openai", "xai", "gemini", "vertex", "gemini_auth_mode", "sandbox", "config_corrupt", "codex", "grok")
    OPENAI_FIELD_NUMBER: _ClassVar[int]
    XAI_FIELD_NUMBER: _ClassVar[int]
    GEMINI_FIELD_NUMBER: _ClassVar[int]
    VERTEX_FIELD_NUMBER: _ClassVar[int]
    GEMINI_AUTH_MODE_FIELD_NUMBER: _ClassVar[int]
    SANDBOX_FIELD_NUMBER: _ClassVar[int]
    CONFIG_CORRUPT_FIELD_NUMBER: _ClassVar[int]
    CODEX_FIELD_NUMBER: _ClassVar[int]
    GROK_FIELD_NUMBER: _ClassVar[int]
    openai: ProviderKeyStatus
    xai: ProviderKeyStatus
    gemini: ProviderKeyStatus
    vertex: ProviderKeyStatus
    gemini_auth_mode: str
    sandbox: bool
    config_corrupt: bool
    codex: ProviderKeyStatus
    grok: ProviderKeyStatus
    def __init__(self, openai: _Optional[_Union[ProviderKeyStatus, _Mapping]] = ..., xai: _Optional[_Union[ProviderKeyStatus, _Mapping]] = ..., gemini: _Optional[_Union[ProviderKeyStatus, _Mapping]] = ..., vertex: _Optional[_Union[ProviderKeyStatus, _Mapping]] = ..., gemini_auth_mode: _Optional[str] = ..., sandbox: _Optional[bool] = ..., config_corrupt: _Optional[bool] = ..., codex: _Optional[_Union[ProviderKeyStatus, _Mapping]] = ..., grok: _Optional[_Union[ProviderKeyStatus, _Mapping]] = ...) -> None: ...

class SetKeyRequest(_message.Message):
    __slots__ = ("provider", "api_key")
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    API_KEY_FIELD_NUMBER: _ClassVar[int]
    provider: str
    api_key: str
    def __init__(self, provider: _Optional[str] = ..., api_key: _Optional[str] = ...) -> None: ...

class DeleteKeyRequest(_message.Message):
    __slots__ = ("provider",)
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    provider: str
    def __init__(self, provider: _Optional[str] = ...) -> None: ...

class SetVertexServiceAccountRequest(_message.Message):
    __slots__ = ("service_account_json",)
    SERVICE_ACCOUNT_JSON_FIELD_NUMBER: _ClassVar[int]
    service_account_json: str
    def __init__(self, service_account_json: _Optional[str] = ...) -> None: ...

class KeyChange(_message.Message):
    __slots__ = ("provider", "source", "valid", "removed")
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    VALID_FIELD_NUMBER: _ClassVar[int]
    REMOVED_FIELD_NUMBER: _ClassVar[int]
    provider: str
    source: str
    valid: bool
    removed: bool
    def __init__(self, provider: _Optional[str] = ..., source: _Optional[str] = ..., valid: _Optional[bool] = ..., removed: _Optional[bool] = ...) -> None: ...

class SetGeminiAuthModeRequest(_message.Message):
    __slots__ = ("mode",)
    MODE_FIELD_NUMBER: _ClassVar[int]
    mode: str
    def __init__(self, mode: _Optional[str] = ...) -> None: ...

class JsonDocument(_message.Message):
    __slots__ = ("json", "http_status")
    JSON_FIELD_NUMBER: _ClassVar[int]
    HTTP_STATUS_FIELD_NUMBER: _ClassVar[int]
    json: str
    http_status: int
    def __init__(self, json: _Optional[str] = ..., http_status: _Optional[int] = ...) -> None: ...

class StartAccountSwitchRequest(_message.Message):
    __slots__ = ("provider", "flow")
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    FLOW_FIELD_NUMBER: _ClassVar[int]
    provider: str
    flow: str
    def __init__(self, provider: _Optional[str] = ..., flow: _Optional[str] = ...) -> None: ...

class AccountSwitchKey(_message.Message):
    __slots__ = ("session_id",)
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    session_id: str
    def __init__(self, session_id: _Optional[str] = ...) -> None: ...

class AccountSwitch(_message.Message):
    __slots__ = ("session_id", "flow", "user_code", "verification_url", "expires_in", "status", "email", "error", "provider", "poll_interval")
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    FLOW_FIELD_NUMBER: _ClassVar[int]
    USER_CODE_FIELD_NUMBER: _ClassVar[int]
    VERIFICATION_URL_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_IN_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    POLL_INTERVAL_FIELD_NUMBER: _ClassVar[int]
    session_id: str
    flow: str
    user_code: str
    verification_url: str
    expires_in: int
    status: str
    email: str
    error: str
    provider: str
    poll_interval: int
    def __init__(self, session_id: _Optional[str] = ..., flow: _Optional[str] = ..., user_code: _Optional[str] = ..., verification_url: _Optional[str] = ..., expires_in: _Optional[int] = ..., status: _Optional[str] = ..., email: _Optional[str] = ..., error: _Optional[str] = ..., provider: _Optional[str] = ..., poll_interval: _Optional[int] = ...) -> None: ...

class VerifyAccessTokenRequest(_message.Message):
    __slots__ = ("token",)
    TOKEN_FIELD_NUMBER: _ClassVar[int]
    token: str
    def __init__(self, token: _Optional[str] = ...) -> None: ...

class AccessDecision(_message.Message):
    __slots__ = ("allowed", "expires_at")
    ALLOWED_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_AT_FIELD_NUMBER: _ClassVar[int]
    allowed: bool
    expires_at: int
    def __init__(self, allowed: _Optional[bool] = ..., expires_at: _Optional[int] = ...) -> None: ...

class CreateAccessSessionRequest(_message.Message):
    __slots__ = ("token", "origin")
    TOKEN_FIELD_NUMBER: _ClassVar[int]
    ORIGIN_FIELD_NUMBER: _ClassVar[int]
    token: str
    origin: str
    def __init__(self, token: _Optional[str] = ..., origin: _Optional[str] = ...) -> None: ...

class AccessSession(_message.Message):
    __slots__ = ("session_id", "expires_at")
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_AT_FIELD_NUMBER: _ClassVar[int]
    session_id: str
    expires_at: int
    def __init__(self, session_id: _Optional[str] = ..., expires_at: _Optional[int] = ...) -> None: ...

class VerifyAccessSessionRequest(_message.Message):
    __slots__ = ("session_id", "origin")
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    ORIGIN_FIELD_NUMBER: _ClassVar[int]
    session_id: str
    origin: str
    def __init__(self, session_id: _Optional[str] = ..., origin: _Optional[str] = ...) -> None: ...
