from google.protobuf import struct_pb2 as _struct_pb2
from ima2_proto.v1 import common_pb2 as _common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class SaveMediaRequest(_message.Message):
    __slots__ = ("data", "mime", "kind", "filename", "index", "metadata", "request_id")
    DATA_FIELD_NUMBER: _ClassVar[int]
    MIME_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    FILENAME_FIELD_NUMBER: _ClassVar[int]
    INDEX_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    data: bytes
    mime: str
    kind: str
    filename: str
    index: int
    metadata: _struct_pb2.Struct
    request_id: str
    def __init__(self, data: _Optional[bytes] = ..., mime: _Optional[str] = ..., kind: _Optional[str] = ..., filename: _Optional[str] = ..., index: _Optional[int] = ..., metadata: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class MediaItem(_message.Message):
    __slots__ = ("filename", "url", "thumb", "created_at", "size_bytes", "media_type", "mime", "metadata", "is_favorite", "trash_id")
    FILENAME_FIELD_NUMBER: _ClassVar[int]
    URL_FIELD_NUMBER: _ClassVar[int]
    THUMB_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    SIZE_BYTES_FIELD_NUMBER: _ClassVar[int]
    MEDIA_TYPE_FIELD_NUMBER: _ClassVar[int]
    MIME_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    IS_FAVORITE_FIELD_NUMBER: _ClassVar[int]
    TRASH_ID_FIELD_NUMBER: _ClassVar[int]
    filename: str
    url: str
    thumb: str
    created_at: int
    size_bytes: int
    media_type: str
    mime: str
    metadata: _struct_pb2.Struct
    is_favorite: bool
    trash_id: str
    def __init__(self, filename: _Optional[str] = ..., url: _Optional[str] = ..., thumb: _Optional[str] = ..., created_at: _Optional[int] = ..., size_bytes: _Optional[int] = ..., media_type: _Optional[str] = ..., mime: _Optional[str] = ..., metadata: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., is_favorite: _Optional[bool] = ..., trash_id: _Optional[str] = ...) -> None: ...

class ReadMediaRequest(_message.Message):
    __slots__ = ("filename",)
    FILENAME_FIELD_NUMBER: _ClassVar[int]
    filename: str
    def __init__(self, filename: _Optional[str] = ...) -> None: ...

class MediaBytes(_message.Message):
    __slots__ = ("data", "mime", "metadata")
    DATA_FIELD_NUMBER: _ClassVar[int]
    MIME_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    data: bytes
    mime: str
    metadata: _struct_pb2.Struct
    def __init__(self, data: _Optional[bytes] = ..., mime: _Optional[str] = ..., metadata: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...

class ListHistoryRequest(_message.Message):
    __slots__ = ("limit", "before", "before_filename", "since", "session_id", "request_id", "favorites_only", "browser_id", "group_by", "q")
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    BEFORE_FIELD_NUMBER: _ClassVar[int]
    BEFORE_FILENAME_FIELD_NUMBER: _ClassVar[int]
    SINCE_FIELD_NUMBER: _ClassVar[int]
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    FAVORITES_ONLY_FIELD_NUMBER: _ClassVar[int]
    BROWSER_ID_FIELD_NUMBER: _ClassVar[int]
    GROUP_BY_FIELD_NUMBER: _ClassVar[int]
    Q_FIELD_NUMBER: _ClassVar[int]
    limit: int
    before: int
    before_filename: str
    since: int
    session_id: str
    request_id: str
    favorites_only: bool
    browser_id: str
    group_by: str
    q: str
    def __init__(self, limit: _Optional[int] = ..., before: _Optional[int] = ..., before_filename: _Optional[str] = ..., since: _Optional[int] = ..., session_id: _Optional[str] = ..., request_id: _Optional[str] = ..., favorites_only: _Optional[bool] = ..., browser_id: _Optional[str] = ..., group_by: _Optional[str] = ..., q: _Optional[str] = ...) -> None: ...

class HistoryCursor(_message.Message):
    __slots__ = ("before", "before_filename")
    BEFORE_FIELD_NUMBER: _ClassVar[int]
    BEFORE_FILENAME_FIELD_NUMBER: _ClassVar[int]
    before: int
    before_filename: str
    def __init__(self, before: _Optional[int] = ..., before_filename: _Optional[str] = ...) -> None: ...

class SessionGroup(_message.Message):
    __slots__ = ("session_id", "title", "label", "last_used_at", "items")
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    LABEL_FIELD_NUMBER: _ClassVar[int]
    LAST_USED_AT_FIELD_NUMBER: _ClassVar[int]
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    session_id: str
    title: str
    label: str
    last_used_at: int
    items: _containers.RepeatedCompositeFieldContainer[MediaItem]
    def __init__(self, session_id: _Optional[str] = ..., title: _Optional[str] = ..., label: _Optional[str] = ..., last_used_at: _Optional[int] = ..., items: _Optional[_Iterable[_Union[MediaItem, _Mapping]]] = ...) -> None: ...

class ListHistoryResponse(_message.Message):
    __slots__ = ("items", "total", "next_cursor", "sessions", "loose")
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    NEXT_CURSOR_FIELD_NUMBER: _ClassVar[int]
    SESSIONS_FIELD_NUMBER: _ClassVar[int]
    LOOSE_FIELD_NUMBER: _ClassVar[int]
    items: _containers.RepeatedCompositeFieldContainer[MediaItem]
    total: int
    next_cursor: HistoryCursor
    sessions: _containers.RepeatedCompositeFieldContainer[SessionGroup]
    loose: _containers.RepeatedCompositeFieldContainer[MediaItem]
    def __init__(self, items: _Optional[_Iterable[_Union[MediaItem, _Mapping]]] = ..., total: _Optional[int] = ..., next_cursor: _Optional[_Union[HistoryCursor, _Mapping]] = ..., sessions: _Optional[_Iterable[_Union[SessionGroup, _Mapping]]] = ..., loose: _Optional[_Iterable[_Union[MediaItem, _Mapping]]] = ...) -> None: ...

class DeleteHistoryRequest(_message.Message):
    __slots__ = ("filename", "permanent")
    FILENAME_FIELD_NUMBER: _ClassVar[int]
    PERMANENT_FIELD_NUMBER: _ClassVar[int]
    filename: str
    permanent: bool
    def __init__(self, filename: _Optional[str] = ..., permanent: _Optional[bool] = ...) -> None: ...

class DeleteHistoryResponse(_message.Message):
    __slots__ = ("filename", "trash", "trash_id", "sessions_touched", "nodes_touched")
    FILENAME_FIELD_NUMBER: _ClassVar[int]
    TRASH_FIELD_NUMBER: _ClassVar[int]
    TRASH_ID_FIELD_NUMBER: _ClassVar[int]
    SESSIONS_TOUCHED_FIELD_NUMBER: _ClassVar[int]
    NODES_TOUCHED_FIELD_NUMBER: _ClassVar[int]
    filename: str
    trash: str
    trash_id: str
    sessions_touched: int
    nodes_touched: int
    def __init__(self, filename: _Optional[str] = ..., trash: _Optional[str] = ..., trash_id: _Optional[str] = ..., sessions_touched: _Optional[int] = ..., nodes_touched: _Optional[int] = ...) -> None: ...

class RestoreHistoryRequest(_message.Message):
    __slots__ = ("trash_id", "filename")
    TRASH_ID_FIELD_NUMBER: _ClassVar[int]
    FILENAME_FIELD_NUMBER: _ClassVar[int]
    trash_id: str
    filename: str
    def __init__(self, trash_id: _Optional[str] = ..., filename: _Optional[str] = ...) -> None: ...

class ToggleFavoriteRequest(_message.Message):
    __slots__ = ("filename", "browser_id")
    FILENAME_FIELD_NUMBER: _ClassVar[int]
    BROWSER_ID_FIELD_NUMBER: _ClassVar[int]
    filename: str
    browser_id: str
    def __init__(self, filename: _Optional[str] = ..., browser_id: _Optional[str] = ...) -> None: ...

class ToggleFavoriteResponse(_message.Message):
    __slots__ = ("is_favorite",)
    IS_FAVORITE_FIELD_NUMBER: _ClassVar[int]
    is_favorite: bool
    def __init__(self, is_favorite: _Optional[bool] = ...) -> None: ...

class ImportLocalRequest(_message.Message):
    __slots__ = ("data", "mime", "original_filename")
    DATA_FIELD_NUMBER: _ClassVar[int]
    MIME_FIELD_NUMBER: _ClassVar[int]
    ORIGINAL_FILENAME_FIELD_NUMBER: _ClassVar[int]
    data: bytes
    mime: str
    original_filename: str
    def __init__(self, data: _Optional[bytes] = ..., mime: _Optional[str] = ..., original_filename: _Optional[str] = ...) -> None: ...

class BackfillThumbnailsResponse(_message.Message):
    __slots__ = ("total", "created", "skipped", "failed")
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    CREATED_FIELD_NUMBER: _ClassVar[int]
    SKIPPED_FIELD_NUMBER: _ClassVar[int]
    FAILED_FIELD_NUMBER: _ClassVar[int]
    total: int
    created: int
    skipped: int
    failed: int
    def __init__(self, total: _Optional[int] = ..., created: _Optional[int] = ..., skipped: _Optional[int] = ..., failed: _Optional[int] = ...) -> None: ...

class ReadMetadataRequest(_message.Message):
    __slots__ = ("data",)
    DATA_FIELD_NUMBER: _ClassVar[int]
    data: bytes
    def __init__(self, data: _Optional[bytes] = ...) -> None: ...

class ReadMetadataResponse(_message.Message):
    __slots__ = ("metadata", "source", "warnings")
    METADATA_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    WARNINGS_FIELD_NUMBER: _ClassVar[int]
    metadata: _struct_pb2.Struct
    source: str
    warnings: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, metadata: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., source: _Optional[str] = ..., warnings: _Optional[_Iterable[str]] = ...) -> None: ...

class GetNodeRequest(_message.Message):
    __slots__ = ("node_id",)
    NODE_ID_FIELD_NUMBER: _ClassVar[int]
    node_id: str
    def __init__(self, node_id: _Optional[str] = ...) -> None: ...

class NodeRecord(_message.Message):
    __slots__ = ("node_id", "url", "meta")
    NODE_ID_FIELD_NUMBER: _ClassVar[int]
    URL_FIELD_NUMBER: _ClassVar[int]
    META_FIELD_NUMBER: _ClassVar[int]
    node_id: str
    url: str
    meta: _struct_pb2.Struct
    def __init__(self, node_id: _Optional[str] = ..., url: _Optional[str] = ..., meta: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...

class Session(_message.Message):
    __slots__ = ("id", "title", "created_at", "updated_at", "graph_version", "nodes", "edges", "node_count")
    ID_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    GRAPH_VERSION_FIELD_NUMBER: _ClassVar[int]
    NODES_FIELD_NUMBER: _ClassVar[int]
    EDGES_FIELD_NUMBER: _ClassVar[int]
    NODE_COUNT_FIELD_NUMBER: _ClassVar[int]
    id: str
    title: str
    created_at: int
    updated_at: int
    graph_version: int
    nodes: _containers.RepeatedCompositeFieldContainer[_struct_pb2.Struct]
    edges: _containers.RepeatedCompositeFieldContainer[_struct_pb2.Struct]
    node_count: int
    def __init__(self, id: _Optional[str] = ..., title: _Optional[str] = ..., created_at: _Optional[int] = ..., updated_at: _Optional[int] = ..., graph_version: _Optional[int] = ..., nodes: _Optional[_Iterable[_Union[_struct_pb2.Struct, _Mapping]]] = ..., edges: _Optional[_Iterable[_Union[_struct_pb2.Struct, _Mapping]]] = ..., node_count: _Optional[int] = ...) -> None: ...

class ListSessionsResponse(_message.Message):
    __slots__ = ("sessions",)
    SESSIONS_FIELD_NUMBER: _ClassVar[int]
    sessions: _containers.RepeatedCompositeFieldContainer[Session]
    def __init__(self, sessions: _Optional[_Iterable[_Union[Session, _Mapping]]] = ...) -> None: ...

class CreateSessionRequest(_message.Message):
    __slots__ = ("title",)
    TITLE_FIELD_NUMBER: _ClassVar[int]
    title: str
    def __init__(self, title: _Optional[str] = ...) -> None: ...

class GetSessionRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class RenameSessionRequest(_message.Message):
    __slots__ = ("id", "title")
    ID_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    id: str
    title: str
    def __init__(self, id: _Optional[str] = ..., title: _Optional[str] = ...) -> None: ...

class SaveGraphRequest(_message.Message):
    __slots__ = ("id", "expected_version", "nodes", "edges", "save_id", "save_reason", "tab_id")
    ID_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_VERSION_FIELD_NUMBER: _ClassVar[int]
    NODES_FIELD_NUMBER: _ClassVar[int]
    EDGES_FIELD_NUMBER: _ClassVar[int]
    SAVE_ID_FIELD_NUMBER: _ClassVar[int]
    SAVE_REASON_FIELD_NUMBER: _ClassVar[int]
    TAB_ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    expected_version: int
    nodes: _containers.RepeatedCompositeFieldContainer[_struct_pb2.Struct]
    edges: _containers.RepeatedCompositeFieldContainer[_struct_pb2.Struct]
    save_id: str
    save_reason: str
    tab_id: str
    def __init__(self, id: _Optional[str] = ..., expected_version: _Optional[int] = ..., nodes: _Optional[_Iterable[_Union[_struct_pb2.Struct, _Mapping]]] = ..., edges: _Optional[_Iterable[_Union[_struct_pb2.Struct, _Mapping]]] = ..., save_id: _Optional[str] = ..., save_reason: _Optional[str] = ..., tab_id: _Optional[str] = ...) -> None: ...

class SaveGraphResponse(_message.Message):
    __slots__ = ("nodes", "edges", "graph_version")
    NODES_FIELD_NUMBER: _ClassVar[int]
    EDGES_FIELD_NUMBER: _ClassVar[int]
    GRAPH_VERSION_FIELD_NUMBER: _ClassVar[int]
    nodes: int
    edges: int
    graph_version: int
    def __init__(self, nodes: _Optional[int] = ..., edges: _Optional[int] = ..., graph_version: _Optional[int] = ...) -> None: ...

class StyleSheet(_message.Message):
    __slots__ = ("session_id", "style_sheet", "enabled", "updated_at")
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    STYLE_SHEET_FIELD_NUMBER: _ClassVar[int]
    ENABLED_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    session_id: str
    style_sheet: _struct_pb2.Struct
    enabled: bool
    updated_at: int
    def __init__(self, session_id: _Optional[str] = ..., style_sheet: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., enabled: _Optional[bool] = ..., updated_at: _Optional[int] = ...) -> None: ...

class PutStyleSheetRequest(_message.Message):
    __slots__ = ("session_id", "style_sheet", "enabled")
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    STYLE_SHEET_FIELD_NUMBER: _ClassVar[int]
    ENABLED_FIELD_NUMBER: _ClassVar[int]
    session_id: str
    style_sheet: _struct_pb2.Struct
    enabled: bool
    def __init__(self, session_id: _Optional[str] = ..., style_sheet: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., enabled: _Optional[bool] = ...) -> None: ...

class SetStyleSheetEnabledRequest(_message.Message):
    __slots__ = ("session_id", "enabled")
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    ENABLED_FIELD_NUMBER: _ClassVar[int]
    session_id: str
    enabled: bool
    def __init__(self, session_id: _Optional[str] = ..., enabled: _Optional[bool] = ...) -> None: ...

class AnnotationKey(_message.Message):
    __slots__ = ("filename", "browser_id")
    FILENAME_FIELD_NUMBER: _ClassVar[int]
    BROWSER_ID_FIELD_NUMBER: _ClassVar[int]
    filename: str
    browser_id: str
    def __init__(self, filename: _Optional[str] = ..., browser_id: _Optional[str] = ...) -> None: ...

class Annotation(_message.Message):
    __slots__ = ("filename", "browser_id", "payload", "updated_at")
    FILENAME_FIELD_NUMBER: _ClassVar[int]
    BROWSER_ID_FIELD_NUMBER: _ClassVar[int]
    PAYLOAD_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    filename: str
    browser_id: str
    payload: _struct_pb2.Struct
    updated_at: int
    def __init__(self, filename: _Optional[str] = ..., browser_id: _Optional[str] = ..., payload: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., updated_at: _Optional[int] = ...) -> None: ...

class SaveCanvasVersionRequest(_message.Message):
    __slots__ = ("data", "mime", "source_filename", "filename", "prompt")
    DATA_FIELD_NUMBER: _ClassVar[int]
    MIME_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FILENAME_FIELD_NUMBER: _ClassVar[int]
    FILENAME_FIELD_NUMBER: _ClassVar[int]
    PROMPT_FIELD_NUMBER: _ClassVar[int]
    data: bytes
    mime: str
    source_filename: str
    filename: str
    prompt: str
    def __init__(self, data: _Optional[bytes] = ..., mime: _Optional[str] = ..., source_filename: _Optional[str] = ..., filename: _Optional[str] = ..., prompt: _Optional[str] = ...) -> None: ...

class Prompt(_message.Message):
    __slots__ = ("id", "title", "text", "folder_id", "tags", "is_favorite", "created_at", "updated_at", "mode", "favorited_at", "folder_name")
    ID_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    FOLDER_ID_FIELD_NUMBER: _ClassVar[int]
    TAGS_FIELD_NUMBER: _ClassVar[int]
    IS_FAVORITE_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    MODE_FIELD_NUMBER: _ClassVar[int]
    FAVORITED_AT_FIELD_NUMBER: _ClassVar[int]
    FOLDER_NAME_FIELD_NUMBER: _ClassVar[int]
    id: str
    title: str
    text: str
    folder_id: str
    tags: _containers.RepeatedScalarFieldContainer[str]
    is_favorite: bool
    created_at: int
    updated_at: int
    mode: str
    favorited_at: int
    folder_name: str
    def __init__(self, id: _Optional[str] = ..., title: _Optional[str] = ..., text: _Optional[str] = ..., folder_id: _Optional[str] = ..., tags: _Optional[_Iterable[str]] = ..., is_favorite: _Optional[bool] = ..., created_at: _Optional[int] = ..., updated_at: _Optional[int] = ..., mode: _Optional[str] = ..., favorited_at: _Optional[int] = ..., folder_name: _Optional[str] = ...) -> None: ...

class PromptKey(_message.Message):
    __slots__ = ("id", "strategy")
    ID_FIELD_NUMBER: _ClassVar[int]
    STRATEGY_FIELD_NUMBER: _ClassVar[int]
    id: str
    strategy: str
    def __init__(self, id: _Optional[str] = ..., strategy: _Optional[str] = ...) -> None: ...

class ListPromptsRequest(_message.Message):
    __slots__ = ("folder_id", "query", "favorites_only")
    FOLDER_ID_FIELD_NUMBER: _ClassVar[int]
    QUERY_FIELD_NUMBER: _ClassVar[int]
    FAVORITES_ONLY_FIELD_NUMBER: _ClassVar[int]
    folder_id: str
    query: str
    favorites_only: bool
    def __init__(self, folder_id: _Optional[str] = ..., query: _Optional[str] = ..., favorites_only: _Optional[bool] = ...) -> None: ...

class ListPromptsResponse(_message.Message):
    __slots__ = ("prompts", "folders")
    PROMPTS_FIELD_NUMBER: _ClassVar[int]
    FOLDERS_FIELD_NUMBER: _ClassVar[int]
    prompts: _containers.RepeatedCompositeFieldContainer[Prompt]
    folders: _containers.RepeatedCompositeFieldContainer[PromptFolder]
    def __init__(self, prompts: _Optional[_Iterable[_Union[Prompt, _Mapping]]] = ..., folders: _Optional[_Iterable[_Union[PromptFolder, _Mapping]]] = ...) -> None: ...

class UpdatePromptRequest(_message.Message):
    __slots__ = ("id", "title", "text", "folder_id", "tags", "set_tags", "mode")
    ID_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    FOLDER_ID_FIELD_NUMBER: _ClassVar[int]
    TAGS_FIELD_NUMBER: _ClassVar[int]
    SET_TAGS_FIELD_NUMBER: _ClassVar[int]
    MODE_FIELD_NUMBER: _ClassVar[int]
    id: str
    title: str
    text: str
    folder_id: str
    tags: _containers.RepeatedScalarFieldContainer[str]
    set_tags: bool
    mode: str
    def __init__(self, id: _Optional[str] = ..., title: _Optional[str] = ..., text: _Optional[str] = ..., folder_id: _Optional[str] = ..., tags: _Optional[_Iterable[str]] = ..., set_tags: _Optional[bool] = ..., mode: _Optional[str] = ...) -> None: ...

class ImportPromptsRequest(_message.Message):
    __slots__ = ("json",)
    JSON_FIELD_NUMBER: _ClassVar[int]
    json: str
    def __init__(self, json: _Optional[str] = ...) -> None: ...

class ImportPromptsResponse(_message.Message):
    __slots__ = ("imported", "skipped", "folders_created")
    IMPORTED_FIELD_NUMBER: _ClassVar[int]
    SKIPPED_FIELD_NUMBER: _ClassVar[int]
    FOLDERS_CREATED_FIELD_NUMBER: _ClassVar[int]
    imported: int
    skipped: int
    folders_created: int
    def __init__(self, imported: _Optional[int] = ..., skipped: _Optional[int] = ..., folders_created: _Optional[int] = ...) -> None: ...

class ExportPromptsResponse(_message.Message):
    __slots__ = ("json",)
    JSON_FIELD_NUMBER: _ClassVar[int]
    json: str
    def __init__(self, json: _Optional[str] = ...) -> None: ...

class PromptFolder(_message.Message):
    __slots__ = ("id", "name", "parent_id", "created_at", "updated_at")
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    PARENT_ID_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    id: str
    name: str
    parent_id: str
    created_at: int
    updated_at: int
    def __init__(self, id: _Optional[str] = ..., name: _Optional[str] = ..., parent_id: _Optional[str] = ..., created_at: _Optional[int] = ..., updated_at: _Optional[int] = ...) -> None: ...

class ListPromptFoldersResponse(_message.Message):
    __slots__ = ("folders",)
    FOLDERS_FIELD_NUMBER: _ClassVar[int]
    folders: _containers.RepeatedCompositeFieldContainer[PromptFolder]
    def __init__(self, folders: _Optional[_Iterable[_Union[PromptFolder, _Mapping]]] = ...) -> None: ...

class StorageStatus(_message.Message):
    __slots__ = ("generated_dir_label", "generated_count", "legacy_candidates_scanned", "legacy_sources_found", "legacy_files_found", "state", "message_kind", "override_generated_dir", "override_config_dir", "recovery_docs_path", "doctor_command")
    GENERATED_DIR_LABEL_FIELD_NUMBER: _ClassVar[int]
    GENERATED_COUNT_FIELD_NUMBER: _ClassVar[int]
    LEGACY_CANDIDATES_SCANNED_FIELD_NUMBER: _ClassVar[int]
    LEGACY_SOURCES_FOUND_FIELD_NUMBER: _ClassVar[int]
    LEGACY_FILES_FOUND_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_KIND_FIELD_NUMBER: _ClassVar[int]
    OVERRIDE_GENERATED_DIR_FIELD_NUMBER: _ClassVar[int]
    OVERRIDE_CONFIG_DIR_FIELD_NUMBER: _ClassVar[int]
    RECOVERY_DOCS_PATH_FIELD_NUMBER: _ClassVar[int]
    DOCTOR_COMMAND_FIELD_NUMBER: _ClassVar[int]
    generated_dir_label: str
    generated_count: int
    legacy_candidates_scanned: int
    legacy_sources_found: int
    legacy_files_found: int
    state: str
    message_kind: str
    override_generated_dir: bool
    override_config_dir: bool
    recovery_docs_path: str
    doctor_command: str
    def __init__(self, generated_dir_label: _Optional[str] = ..., generated_count: _Optional[int] = ..., legacy_candidates_scanned: _Optional[int] = ..., legacy_sources_found: _Optional[int] = ..., legacy_files_found: _Optional[int] = ..., state: _Optional[str] = ..., message_kind: _Optional[str] = ..., override_generated_dir: _Optional[bool] = ..., override_config_dir: _Optional[bool] = ..., recovery_docs_path: _Optional[str] = ..., doctor_command: _Optional[str] = ...) -> None: ...
