"""LibraryService over gRPC: a thin layer over `MediaLibrary`.

RPCs not defined here are inherited from the generated base and answer UNIMPLEMENTED.
"""

from __future__ import annotations

import grpc

from ima2_library import convert
from ima2_library.library import MediaLibrary
from ima2_proto.v1 import common_pb2, library_pb2, library_pb2_grpc


class LibraryServicer(library_pb2_grpc.LibraryServiceServicer):
    def __init__(self, library: MediaLibrary) -> None:
        self.library = library

    async def SaveMedia(
        self, request: library_pb2.SaveMediaRequest, context: grpc.aio.ServicerContext
    ) -> library_pb2.MediaItem:
        record = await self.library.save(convert.save_input(request))
        return convert.media_item(record)

    async def ReadMedia(
        self, request: library_pb2.ReadMediaRequest, context: grpc.aio.ServicerContext
    ) -> library_pb2.MediaBytes:
        content = await self.library.read(request.filename)
        reply = library_pb2.MediaBytes(data=content.data, mime=content.mime)
        convert.dict_to_struct(content.metadata, reply.metadata)
        return reply

    async def ListHistory(
        self, request: library_pb2.ListHistoryRequest, context: grpc.aio.ServicerContext
    ) -> library_pb2.ListHistoryResponse:
        page = await self.library.list(convert.history_query(request))
        return convert.history_response(page)

    async def GetNode(
        self, request: library_pb2.GetNodeRequest, context: grpc.aio.ServicerContext
    ) -> library_pb2.NodeRecord:
        record = await self.library.get_node(request.node_id)
        return convert.node_record(record)

    async def BackfillThumbnails(
        self, request: common_pb2.Empty, context: grpc.aio.ServicerContext
    ) -> library_pb2.BackfillThumbnailsResponse:
        result = await self.library.backfill()
        return library_pb2.BackfillThumbnailsResponse(
            total=result.total, created=result.created, skipped=result.skipped, failed=result.failed
        )

    async def GetStorageStatus(
        self, request: common_pb2.Empty, context: grpc.aio.ServicerContext
    ) -> library_pb2.StorageStatus:
        return convert.storage_status(await self.library.storage_status())
