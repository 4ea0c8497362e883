"""Proto ⇄ domain conversions for the library servicer."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from ima2_common.structs import dict_to_struct, struct_to_dict
from ima2_library.annotations import AnnotationRecord
from ima2_library.history.history_common import HistoryPage, HistoryQuery, HistoryRecord
from ima2_library.library import SaveMediaInput
from ima2_library.media.thumbnails import thumb_name
from ima2_library.prompts.prompts_store import FolderRecord, PromptRecord
from ima2_library.sessions.sessions_store import SessionRecord, StyleSheetRecord
from ima2_library.storage import StorageStatus
from ima2_proto.v1 import library_pb2

GENERATED_URL_PREFIX = "/generated/"


def media_url(filename: str) -> str:
    return GENERATED_URL_PREFIX + quote(filename, safe="")


def save_input(request: library_pb2.SaveMediaRequest) -> SaveMediaInput:
    return SaveMediaInput(
        data=request.data,
        mime=request.mime,
        kind=request.kind,
        filename=request.filename,
        index=request.index,
        metadata=struct_to_dict(request.metadata) if request.HasField("metadata") else {},
        request_id=request.request_id,
    )


def media_item(record: HistoryRecord, trash_id: str = "") -> library_pb2.MediaItem:
    item = library_pb2.MediaItem(
        filename=record.filename,
        url=media_url(record.filename),
        thumb=media_url(thumb_name(record.filename)) if record.has_thumb else "",
        created_at=record.created_at,
        size_bytes=record.size_bytes,
        media_type=record.media_type,
        mime=record.mime,
        is_favorite=record.is_favorite,
        trash_id=trash_id,
    )
    dict_to_struct(record.metadata, item.metadata)
    return item


def history_query(request: library_pb2.ListHistoryRequest) -> HistoryQuery:
    return HistoryQuery(
        limit=HistoryQuery.clamp_limit(request.limit),
        before=request.before if request.HasField("before") else None,
        before_filename=request.before_filename,
        since=request.since if request.HasField("since") else None,
        session_id=request.session_id,
        request_id=request.request_id,
        favorites_only=request.favorites_only,
        browser_id=request.browser_id,
        group_by=request.group_by,
        q=request.q,
    )


def history_response(page: HistoryPage) -> library_pb2.ListHistoryResponse:
    response = library_pb2.ListHistoryResponse(total=page.total)
    if page.next_cursor is not None:
        response.next_cursor.before = page.next_cursor.before
        response.next_cursor.before_filename = page.next_cursor.before_filename
    if page.groups is None:
        response.items.extend(media_item(record) for record in page.items)
        return response
    for group in page.groups:
        out = response.sessions.add(
            session_id=group.session_id,
            title=group.title or "",
            label=group.label,
            last_used_at=group.last_used_at,
        )
        out.items.extend(media_item(record) for record in group.items)
    response.loose.extend(media_item(record) for record in page.loose or [])
    return response


def node_record(record: HistoryRecord) -> library_pb2.NodeRecord:
    node = library_pb2.NodeRecord(node_id=record.node_id or "", url=media_url(record.filename))
    dict_to_struct(record.metadata, node.meta)
    return node


def storage_status(status: StorageStatus) -> library_pb2.StorageStatus:
    return library_pb2.StorageStatus(
        generated_dir_label=status.generated_dir_label,
        generated_count=status.generated_count,
        legacy_candidates_scanned=status.legacy_candidates_scanned,
        legacy_sources_found=status.legacy_sources_found,
        legacy_files_found=status.legacy_files_found,
        state=status.state,
        message_kind=status.message_kind,
        override_generated_dir=status.override_generated_dir,
        override_config_dir=status.override_config_dir,
        recovery_docs_path=status.recovery_docs_path,
        doctor_command=status.doctor_command,
    )


def _structs(items: list[dict[str, Any]], target: Any) -> None:
    for item in items:
        dict_to_struct(item, target.add())


def session(record: SessionRecord, with_graph: bool = False) -> library_pb2.Session:
    out = library_pb2.Session(
        id=record.id,
        title=record.title,
        created_at=record.created_at,
        updated_at=record.updated_at,
        graph_version=record.graph_version,
        node_count=record.node_count,
    )
    if with_graph:
        _structs(record.nodes, out.nodes)
        _structs(record.edges, out.edges)
    return out


def style_sheet(record: StyleSheetRecord) -> library_pb2.StyleSheet:
    out = library_pb2.StyleSheet(
        session_id=record.session_id, enabled=record.enabled, updated_at=record.updated_at
    )
    if record.style_sheet is not None:
        dict_to_struct(record.style_sheet, out.style_sheet)
    return out


def annotation(record: AnnotationRecord) -> library_pb2.Annotation:
    out = library_pb2.Annotation(
        filename=record.filename, browser_id=record.browser_id, updated_at=record.updated_at
    )
    if record.payload is not None:
        dict_to_struct(record.payload, out.payload)
    return out


def prompt(record: PromptRecord) -> library_pb2.Prompt:
    return library_pb2.Prompt(
        id=record.id,
        title=record.name,
        text=record.text,
        folder_id=record.folder_id,
        tags=record.tags,
        is_favorite=record.is_favorite,
        created_at=record.created_at,
        updated_at=record.updated_at,
        mode=record.mode or "",
        favorited_at=record.favorited_at or 0,
        folder_name=record.folder_name or "",
    )


def folder(record: FolderRecord) -> library_pb2.PromptFolder:
    return library_pb2.PromptFolder(
        id=record.id,
        name=record.name,
        parent_id=record.parent_id or "",
        created_at=record.created_at,
        updated_at=record.updated_at,
    )
