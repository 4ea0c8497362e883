from ima2_proto.v1 import common_pb2 as _common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ImageJobOptions(_message.Message):
    __slots__ = ("request_id", "provider", "model", "quality", "size", "format", "moderation", "reasoning_effort", "references", "session_id", "client_node_id", "async_mode", "storyboard", "web_search_enabled", "mode")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    QUALITY_FIELD_NUMBER: _ClassVar[int]
    SIZE_FIELD_NUMBER: _ClassVar[int]
    FORMAT_FIELD_NUMBER: _ClassVar[int]
    MODERATION_FIELD_NUMBER: _ClassVar[int]
    REASONING_EFFORT_FIELD_NUMBER: _ClassVar[int]
    REFERENCES_FIELD_NUMBER: _ClassVar[int]
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    CLIENT_NODE_ID_FIELD_NUMBER: _ClassVar[int]
    ASYNC_MODE_FIELD_NUMBER: _ClassVar[int]
    STORYBOARD_FIELD_NUMBER: _ClassVar[int]
    WEB_SEARCH_ENABLED_FIELD_NUMBER: _ClassVar[int]
    MODE_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    provider: str
    model: str
    quality: str
    size: str
    format: str
    moderation: str
    reasoning_effort: str
    references: _containers.RepeatedScalarFieldContainer[str]
    session_id: str
    client_node_id: str
    async_mode: bool
    storyboard: bool
    web_search_enabled: bool
    mode: str
    def __init__(self, request_id: _Optional[str] = ..., provider: _Optional[str] = ..., model: _Optional[str] = ..., quality: _Optional[str] = ..., size: _Optional[str] = ..., format: _Optional[str] = ..., moderation: _Optional[str] = ..., reasoning_effort: _Optional[str] = ..., references: _Optional[_Iterable[str]] = ..., session_id: _Optional[str] = ..., client_node_id: _Optional[str] = ..., async_mode: _Optional[bool] = ..., storyboard: _Optional[bool] = ..., web_search_enabled: _Optional[bool] = ..., mode: _Optional[str] = ...) -> None: ...

class GenerateRequest(_message.Message):
    __slots__ = ("prompt", "options", "n")
    PROMPT_FIELD_NUMBER: _ClassVar[int]
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    N_FIELD_NUMBER: _ClassVar[int]
    prompt: str
    options: ImageJobOptions
    n: int
    def __init__(self, prompt: _Optional[str] = ..., options: _Optional[_Union[ImageJobOptions, _Mapping]] = ..., n: _Optional[int] = ...) -> None: ...

class EditRequest(_message.Message):
    __slots__ = ("prompt", "options", "image", "mask")
    PROMPT_FIELD_NUMBER: _ClassVar[int]
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    IMAGE_FIELD_NUMBER: _ClassVar[int]
    MASK_FIELD_NUMBER: _ClassVar[int]
    prompt: str
    options: ImageJobOptions
    image: str
    mask: str
    def __init__(self, prompt: _Optional[str] = ..., options: _Optional[_Union[ImageJobOptions, _Mapping]] = ..., image: _Optional[str] = ..., mask: _Optional[str] = ...) -> None: ...

class NodeGenerateRequest(_message.Message):
    __slots__ = ("prompt", "options", "parent_node_id", "external_src", "context_mode", "search_mode")
    PROMPT_FIELD_NUMBER: _ClassVar[int]
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    PARENT_NODE_ID_FIELD_NUMBER: _ClassVar[int]
    EXTERNAL_SRC_FIELD_NUMBER: _ClassVar[int]
    CONTEXT_MODE_FIELD_NUMBER: _ClassVar[int]
    SEARCH_MODE_FIELD_NUMBER: _ClassVar[int]
    prompt: str
    options: ImageJobOptions
    parent_node_id: str
    external_src: str
    context_mode: str
    search_mode: str
    def __init__(self, prompt: _Optional[str] = ..., options: _Optional[_Union[ImageJobOptions, _Mapping]] = ..., parent_node_id: _Optional[str] = ..., external_src: _Optional[str] = ..., context_mode: _Optional[str] = ..., search_mode: _Optional[str] = ...) -> None: ...

class MultimodeRequest(_message.Message):
    __slots__ = ("prompt", "options", "max_images")
    PROMPT_FIELD_NUMBER: _ClassVar[int]
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    MAX_IMAGES_FIELD_NUMBER: _ClassVar[int]
    prompt: str
    options: ImageJobOptions
    max_images: int
    def __init__(self, prompt: _Optional[str] = ..., options: _Optional[_Union[ImageJobOptions, _Mapping]] = ..., max_images: _Optional[int] = ...) -> None: ...

class ExtractStyleSheetRequest(_message.Message):
    __slots__ = ("session_id", "prompt", "references", "provider", "request_id")
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    PROMPT_FIELD_NUMBER: _ClassVar[int]
    REFERENCES_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    session_id: str
    prompt: str
    references: _containers.RepeatedScalarFieldContainer[str]
    provider: str
    request_id: str
    def __init__(self, session_id: _Optional[str] = ..., prompt: _Optional[str] = ..., references: _Optional[_Iterable[str]] = ..., provider: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class ExtractStyleSheetResponse(_message.Message):
    __slots__ = ("style_sheet_json",)
    STYLE_SHEET_JSON_FIELD_NUMBER: _ClassVar[int]
    style_sheet_json: str
    def __init__(self, style_sheet_json: _Optional[str] = ...) -> None: ...

class ProviderStatusRequest(_message.Message):
    __slots__ = ("provider",)
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    provider: str
    def __init__(self, provider: _Optional[str] = ...) -> None: ...

class ProviderStatus(_message.Message):
    __slots__ = ("provider", "status", "models", "reason", "installed", "url")
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    MODELS_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    INSTALLED_FIELD_NUMBER: _ClassVar[int]
    URL_FIELD_NUMBER: _ClassVar[int]
    provider: str
    status: str
    models: _containers.RepeatedScalarFieldContainer[str]
    reason: str
    installed: bool
    url: str
    def __init__(self, provider: _Optional[str] = ..., status: _Optional[str] = ..., models: _Optional[_Iterable[str]] = ..., reason: _Optional[str] = ..., installed: _Optional[bool] = ..., url: _Optional[str] = ...) -> None: ...

class GrokPlannerConfig(_message.Message):
    __slots__ = ("model", "options")
    MODEL_FIELD_NUMBER: _ClassVar[int]
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    model: str
    options: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, model: _Optional[str] = ..., options: _Optional[_Iterable[str]] = ...) -> None: ...

class PromptBuilderMessage(_message.Message):
    __slots__ = ("role", "content")
    ROLE_FIELD_NUMBER: _ClassVar[int]
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    role: str
    content: str
    def __init__(self, role: _Optional[str] = ..., content: _Optional[str] = ...) -> None: ...

class PromptBuilderChatRequest(_message.Message):
    __slots__ = ("backend", "model", "messages", "context_json")
    BACKEND_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    MESSAGES_FIELD_NUMBER: _ClassVar[int]
    CONTEXT_JSON_FIELD_NUMBER: _ClassVar[int]
    backend: str
    model: str
    messages: _containers.RepeatedCompositeFieldContainer[PromptBuilderMessage]
    context_json: str
    def __init__(self, backend: _Optional[str] = ..., model: _Optional[str] = ..., messages: _Optional[_Iterable[_Union[PromptBuilderMessage, _Mapping]]] = ..., context_json: _Optional[str] = ...) -> None: ...

class PromptBuilderChatReply(_message.Message):
    __slots__ = ("provider", "backend", "requested_backend", "model", "content", "usage_json")
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    BACKEND_FIELD_NUMBER: _ClassVar[int]
    REQUESTED_BACKEND_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    USAGE_JSON_FIELD_NUMBER: _ClassVar[int]
    provider: str
    backend: str
    requested_backend: str
    model: str
    content: str
    usage_json: str
    def __init__(self, provider: _Optional[str] = ..., backend: _Optional[str] = ..., requested_backend: _Optional[str] = ..., model: _Optional[str] = ..., content: _Optional[str] = ..., usage_json: _Optional[str] = ...) -> None: ...

class PromptBuilderConfig(_message.Message):
    __slots__ = ("backend", "model", "options_json", "backend_locked", "model_locked")
    BACKEND_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    OPTIONS_JSON_FIELD_NUMBER: _ClassVar[int]
    BACKEND_LOCKED_FIELD_NUMBER: _ClassVar[int]
    MODEL_LOCKED_FIELD_NUMBER: _ClassVar[int]
    backend: str
    model: str
    options_json: str
    backend_locked: bool
    model_locked: bool
    def __init__(self, backend: _Optional[str] = ..., model: _Optional[str] = ..., options_json: _Optional[str] = ..., backend_locked: _Optional[bool] = ..., model_locked: _Optional[bool] = ...) -> None: ...

class PromptBuilderConfigUpdate(_message.Message):
    __slots__ = ("has_backend", "backend", "has_model", "model")
    HAS_BACKEND_FIELD_NUMBER: _ClassVar[int]
    BACKEND_FIELD_NUMBER: _ClassVar[int]
    HAS_MODEL_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    has_backend: bool
    backend: str
    has_model: bool
    model: str
    def __init__(self, has_backend: _Optional[bool] = ..., backend: _Optional[str] = ..., has_model: _Optional[bool] = ..., model: _Optional[str] = ...) -> None: ...
