from ima2_proto.v1 import common_pb2 as _common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable
from typing import ClassVar as _ClassVar, Optional as _Optional

DESCRIPTOR: _descriptor.FileDescriptor

class GenerateVideoRequest(_message.Message):
    __slots__ = ("request_id", "prompt", "provider", "model", "duration", "resolution", "aspect_ratio", "source_image", "source_filename", "reference_images", "reference_filenames", "continue_from_video", "continuity_lineage_json", "planner_model", "storyboard", "session_id", "async_mode")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    PROMPT_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    DURATION_FIELD_NUMBER: _ClassVar[int]
    RESOLUTION_FIELD_NUMBER: _ClassVar[int]
    ASPECT_RATIO_FIELD_NUMBER: _ClassVar[int]
    SOURCE_IMAGE_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FILENAME_FIELD_NUMBER: _ClassVar[int]
    REFERENCE_IMAGES_FIELD_NUMBER: _ClassVar[int]
    REFERENCE_FILENAMES_FIELD_NUMBER: _ClassVar[int]
    CONTINUE_FROM_VIDEO_FIELD_NUMBER: _ClassVar[int]
    CONTINUITY_LINEAGE_JSON_FIELD_NUMBER: _ClassVar[int]
    PLANNER_MODEL_FIELD_NUMBER: _ClassVar[int]
    STORYBOARD_FIELD_NUMBER: _ClassVar[int]
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    ASYNC_MODE_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    prompt: str
    provider: str
    model: str
    duration: int
    resolution: str
    aspect_ratio: str
    source_image: str
    source_filename: str
    reference_images: _containers.RepeatedScalarFieldContainer[str]
    reference_filenames: _containers.RepeatedScalarFieldContainer[str]
    continue_from_video: str
    continuity_lineage_json: str
    planner_model: str
    storyboard: bool
    session_id: str
    async_mode: bool
    def __init__(self, request_id: _Optional[str] = ..., prompt: _Optional[str] = ..., provider: _Optional[str] = ..., model: _Optional[str] = ..., duration: _Optional[int] = ..., resolution: _Optional[str] = ..., aspect_ratio: _Optional[str] = ..., source_image: _Optional[str] = ..., source_filename: _Optional[str] = ..., reference_images: _Optional[_Iterable[str]] = ..., reference_filenames: _Optional[_Iterable[str]] = ..., continue_from_video: _Optional[str] = ..., continuity_lineage_json: _Optional[str] = ..., planner_model: _Optional[str] = ..., storyboard: _Optional[bool] = ..., session_id: _Optional[str] = ..., async_mode: _Optional[bool] = ...) -> None: ...

class EditVideoRequest(_message.Message):
    __slots__ = ("request_id", "prompt", "video_url", "model", "provider")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    PROMPT_FIELD_NUMBER: _ClassVar[int]
    VIDEO_URL_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    prompt: str
    video_url: str
    model: str
    provider: str
    def __init__(self, request_id: _Optional[str] = ..., prompt: _Optional[str] = ..., video_url: _Optional[str] = ..., model: _Optional[str] = ..., provider: _Optional[str] = ...) -> None: ...

class ExtendVideoRequest(_message.Message):
    __slots__ = ("request_id", "prompt", "video_url", "duration", "model", "provider")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    PROMPT_FIELD_NUMBER: _ClassVar[int]
    VIDEO_URL_FIELD_NUMBER: _ClassVar[int]
    DURATION_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    prompt: str
    video_url: str
    duration: int
    model: str
    provider: str
    def __init__(self, request_id: _Optional[str] = ..., prompt: _Optional[str] = ..., video_url: _Optional[str] = ..., duration: _Optional[int] = ..., model: _Optional[str] = ..., provider: _Optional[str] = ...) -> None: ...

class ExtractFrameRequest(_message.Message):
    __slots__ = ("file", "position")
    FILE_FIELD_NUMBER: _ClassVar[int]
    POSITION_FIELD_NUMBER: _ClassVar[int]
    file: str
    position: str
    def __init__(self, file: _Optional[str] = ..., position: _Optional[str] = ...) -> None: ...

class ExtractFrameResponse(_message.Message):
    __slots__ = ("png",)
    PNG_FIELD_NUMBER: _ClassVar[int]
    png: bytes
    def __init__(self, png: _Optional[bytes] = ...) -> None: ...

class AnalyzeVideoRequest(_message.Message):
    __slots__ = ("video_url", "request_id", "provider")
    VIDEO_URL_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    video_url: str
    request_id: str
    provider: str
    def __init__(self, video_url: _Optional[str] = ..., request_id: _Optional[str] = ..., provider: _Optional[str] = ...) -> None: ...

class AnalyzeVideoResponse(_message.Message):
    __slots__ = ("analysis", "model", "method")
    ANALYSIS_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    METHOD_FIELD_NUMBER: _ClassVar[int]
    analysis: str
    model: str
    method: str
    def __init__(self, analysis: _Optional[str] = ..., model: _Optional[str] = ..., method: _Optional[str] = ...) -> None: ...
