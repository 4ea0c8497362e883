"""Proto ⇄ domain conversions for the library servicer."""

from __future__ import annotations

from urllib.parse import quote

from ima2_common.structs import dict_to_struct, struct_to_dict
from ima2_library.history.history_common import HistoryPage, HistoryQuery, HistoryRecord
from ima2_library.library import SaveMediaInput, StorageStatus
from ima2_library.media.thumbnails import thumb_name
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


def media_item(record: HistoryRecord) -> library_pb2.MediaItem:
    item = library_pb2.MediaItem(
        filename=record.filename,
        url=media_url(record.filename),
        thumb=media_url(thumb_name(record.filename)) if record.has_thumb else "",
        created_at=record.created_at,
        size_bytes=record.size_bytes,
        media_type=record.media_type,
        mime=record.mime,
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
    )


def history_response(page: HistoryPage) -> library_pb2.ListHistoryResponse:
    response = library_pb2.ListHistoryResponse(total=page.total)
    response.items.extend(media_item(record) for record in page.items)
    if page.next_cursor is not None:
        response.next_cursor.before = page.next_cursor.before
        response.next_cursor.before_filename = page.next_cursor.before_filename
    return response


def node_record(record: HistoryRecord) -> library_pb2.NodeRecord:
    node = library_pb2.NodeRecord(node_id=record.node_id or "", url=media_url(record.filename))
    dict_to_struct(record.metadata, node.meta)
    return node


def storage_status(status: StorageStatus) -> library_pb2.StorageStatus:
    return library_pb2.StorageStatus(
        generated_dir_label=status.generated_dir_label,
        generated_count=status.generated_count,
        legacy_candidates_scanned=0,
        legacy_sources_found=0,
        legacy_files_found=0,
        state=status.state,
        message_kind=status.message_kind,
        override_generated_dir=status.override_generated_dir,
        override_config_dir=status.override_config_dir,
    )
