"""LibraryService over gRPC: a thin layer over the library, session, annotation and prompt stores."""

from __future__ import annotations

import json

from ima2_common import limits
from ima2_common.errors import Ima2Error
from ima2_common.grpc_server import ServicerContext
from ima2_common.structs import dict_to_struct, struct_to_dict
from ima2_library import convert
from ima2_library.annotations import AnnotationStore
from ima2_library.cardnews_files import CardNewsFiles
from ima2_library.library import MediaLibrary
from ima2_library.media.paths import check_name
from ima2_library.prompts.prompts_store import PromptPatch, PromptStore, clean_tags
from ima2_library.sessions import graph as graphs
from ima2_library.sessions.sessions_store import TITLE_MAX, SessionStore
from ima2_proto.v1 import common_pb2, library_pb2, library_pb2_grpc

Ctx = ServicerContext
DEFAULT_TITLE = "Untitled"


def _browser_id(value: str) -> str:
    browser_id = value.strip()
    if not browser_id or len(browser_id) > limits.BROWSER_ID_MAX_CHARS:
        raise Ima2Error("BROWSER_ID_REQUIRED")
    return browser_id


class LibraryServicer(library_pb2_grpc.LibraryServiceServicer):
    def __init__(
        self,
        library: MediaLibrary,
        sessions: SessionStore,
        annotations: AnnotationStore,
        prompts: PromptStore,
        card_news: CardNewsFiles,
    ) -> None:
        self.card_news = card_news
        self.library = library
        self.sessions = sessions
        self.annotations = annotations
        self.prompts = prompts

    # Media and history

    async def SaveMedia(self, request: library_pb2.SaveMediaRequest, context: Ctx) -> library_pb2.MediaItem:
        return convert.media_item(await self.library.save(convert.save_input(request)))

    async def ReadMedia(self, request: library_pb2.ReadMediaRequest, context: Ctx) -> library_pb2.MediaBytes:
        content = await self.library.read(request.filename)
        reply = library_pb2.MediaBytes(data=content.data, mime=content.mime)
        dict_to_struct(content.metadata, reply.metadata)
        return reply

    async def ListHistory(
        self, request: library_pb2.ListHistoryRequest, context: Ctx
    ) -> library_pb2.ListHistoryResponse:
        return convert.history_response(await self.library.list(convert.history_query(request)))

    async def DeleteHistory(
        self, request: library_pb2.DeleteHistoryRequest, context: Ctx
    ) -> library_pb2.DeleteHistoryResponse:
        outcome = await self.library.delete(request.filename, request.permanent)
        return library_pb2.DeleteHistoryResponse(
            filename=outcome.filename,
            trash=outcome.trash,
            trash_id=outcome.trash_id,
            sessions_touched=outcome.sessions_touched,
            nodes_touched=outcome.nodes_touched,
        )

    async def RestoreHistory(
        self, request: library_pb2.RestoreHistoryRequest, context: Ctx
    ) -> library_pb2.MediaItem:
        return convert.media_item(await self.library.restore(request.trash_id, request.filename))

    async def ToggleFavorite(
        self, request: library_pb2.ToggleFavoriteRequest, context: Ctx
    ) -> library_pb2.ToggleFavoriteResponse:
        browser_id = _browser_id(request.browser_id)
        favorite = await self.library.toggle_favorite(browser_id, request.filename)
        return library_pb2.ToggleFavoriteResponse(is_favorite=favorite)

    async def ImportLocal(
        self, request: library_pb2.ImportLocalRequest, context: Ctx
    ) -> library_pb2.MediaItem:
        record = await self.library.import_local(request.data, request.mime, request.original_filename)
        return convert.media_item(record)

    async def BackfillThumbnails(
        self, request: common_pb2.Empty, context: Ctx
    ) -> library_pb2.BackfillThumbnailsResponse:
        result = await self.library.backfill()
        return library_pb2.BackfillThumbnailsResponse(
            total=result.total, created=result.created, skipped=result.skipped, failed=result.failed
        )

    async def ReadMetadata(
        self, request: library_pb2.ReadMetadataRequest, context: Ctx
    ) -> library_pb2.ReadMetadataResponse:
        found = self.library.read_metadata(request.data)
        reply = library_pb2.ReadMetadataResponse(source=found.source, warnings=found.warnings)
        if found.metadata is not None:
            dict_to_struct(found.metadata, reply.metadata)
        return reply

    async def GetNode(self, request: library_pb2.GetNodeRequest, context: Ctx) -> library_pb2.NodeRecord:
        return convert.node_record(await self.library.get_node(request.node_id))

    # Sessions, graphs and style sheets

    async def ListSessions(self, request: common_pb2.Empty, context: Ctx) -> library_pb2.ListSessionsResponse:
        records = await self.sessions.list_sessions()
        return library_pb2.ListSessionsResponse(sessions=[convert.session(r) for r in records])

    async def CreateSession(
        self, request: library_pb2.CreateSessionRequest, context: Ctx
    ) -> library_pb2.Session:
        title = request.title[:TITLE_MAX] if request.title.strip() else DEFAULT_TITLE
        return convert.session(await self.sessions.create_session(title))

    async def GetSession(self, request: library_pb2.GetSessionRequest, context: Ctx) -> library_pb2.Session:
        return convert.session(await self.sessions.get_session(request.id), with_graph=True)

    async def RenameSession(
        self, request: library_pb2.RenameSessionRequest, context: Ctx
    ) -> common_pb2.Empty:
        if not request.title.strip():
            raise Ima2Error("INVALID_TITLE")
        await self.sessions.rename_session(request.id, request.title[:TITLE_MAX])
        return common_pb2.Empty()

    async def DeleteSession(self, request: library_pb2.GetSessionRequest, context: Ctx) -> common_pb2.Empty:
        await self.sessions.delete_session(request.id)
        return common_pb2.Empty()

    async def SaveGraph(
        self, request: library_pb2.SaveGraphRequest, context: Ctx
    ) -> library_pb2.SaveGraphResponse:
        if request.expected_version < 0:
            raise Ima2Error("INVALID_GRAPH_VERSION")
        graphs.check_size(len(request.nodes), len(request.edges))
        normalized = graphs.normalize(
            [struct_to_dict(n) for n in request.nodes], [struct_to_dict(e) for e in request.edges]
        )
        saved = await self.sessions.save_graph(request.id, request.expected_version, normalized)
        return library_pb2.SaveGraphResponse(
            nodes=saved.nodes, edges=saved.edges, graph_version=saved.graph_version
        )

    async def GetStyleSheet(
        self, request: library_pb2.GetSessionRequest, context: Ctx
    ) -> library_pb2.StyleSheet:
        return convert.style_sheet(await self.sessions.get_style_sheet(request.id))

    async def PutStyleSheet(
        self, request: library_pb2.PutStyleSheetRequest, context: Ctx
    ) -> library_pb2.StyleSheet:
        sheet = struct_to_dict(request.style_sheet) if request.HasField("style_sheet") else None
        if sheet is not None and len(json.dumps(sheet, ensure_ascii=False)) > limits.STYLE_SHEET_MAX_CHARS:
            raise Ima2Error("STYLE_SHEET_TOO_LARGE")
        enabled = request.enabled if request.HasField("enabled") else None
        return convert.style_sheet(await self.sessions.put_style_sheet(request.session_id, sheet, enabled))

    async def SetStyleSheetEnabled(
        self, request: library_pb2.SetStyleSheetEnabledRequest, context: Ctx
    ) -> library_pb2.StyleSheet:
        return convert.style_sheet(
            await self.sessions.set_style_sheet_enabled(request.session_id, request.enabled)
        )

    # Annotations and canvas versions

    async def GetAnnotation(self, request: library_pb2.AnnotationKey, context: Ctx) -> library_pb2.Annotation:
        check_name(request.filename)
        record = await self.annotations.get(_browser_id(request.browser_id), request.filename)
        return convert.annotation(record)

    async def PutAnnotation(self, request: library_pb2.Annotation, context: Ctx) -> library_pb2.Annotation:
        browser_id = _browser_id(request.browser_id)
        await self.library.require_media(request.filename)
        payload = struct_to_dict(request.payload) if request.HasField("payload") else None
        return convert.annotation(await self.annotations.put(browser_id, request.filename, payload))

    async def DeleteAnnotation(self, request: library_pb2.AnnotationKey, context: Ctx) -> common_pb2.Empty:
        check_name(request.filename)
        await self.annotations.delete(_browser_id(request.browser_id), request.filename)
        return common_pb2.Empty()

    async def SaveCanvasVersion(
        self, request: library_pb2.SaveCanvasVersionRequest, context: Ctx
    ) -> library_pb2.MediaItem:
        record = await self.library.save_canvas_version(
            request.data, request.source_filename, request.prompt, request.filename
        )
        return convert.media_item(record)

    # Prompt library

    async def ListPrompts(
        self, request: library_pb2.ListPromptsRequest, context: Ctx
    ) -> library_pb2.ListPromptsResponse:
        prompts, folders = await self.prompts.list_prompts(
            request.query, request.folder_id, request.favorites_only
        )
        return library_pb2.ListPromptsResponse(
            prompts=[convert.prompt(p) for p in prompts], folders=[convert.folder(f) for f in folders]
        )

    async def CreatePrompt(self, request: library_pb2.Prompt, context: Ctx) -> library_pb2.Prompt:
        tags = clean_tags(list(request.tags)) if request.tags else None
        record = await self.prompts.create_prompt(
            request.text, request.title, tags, request.folder_id, request.mode
        )
        return convert.prompt(record)

    async def GetPrompt(self, request: library_pb2.PromptKey, context: Ctx) -> library_pb2.Prompt:
        return convert.prompt(await self.prompts.get_prompt(request.id))

    async def UpdatePrompt(
        self, request: library_pb2.UpdatePromptRequest, context: Ctx
    ) -> library_pb2.Prompt:
        patch = PromptPatch(
            name=request.title if request.HasField("title") else None,
            text=request.text if request.HasField("text") else None,
            tags=clean_tags(list(request.tags)) if request.set_tags else None,
            folder_id=request.folder_id if request.HasField("folder_id") else None,
            mode=request.mode if request.HasField("mode") else None,
        )
        return convert.prompt(await self.prompts.update_prompt(request.id, patch))

    async def DeletePrompt(self, request: library_pb2.PromptKey, context: Ctx) -> common_pb2.Empty:
        await self.prompts.delete_prompt(request.id)
        return common_pb2.Empty()

    async def TogglePromptFavorite(self, request: library_pb2.PromptKey, context: Ctx) -> library_pb2.Prompt:
        return convert.prompt(await self.prompts.toggle_favorite(request.id))

    async def ImportPrompts(
        self, request: library_pb2.ImportPromptsRequest, context: Ctx
    ) -> library_pb2.ImportPromptsResponse:
        try:
            document = json.loads(request.json)
        except ValueError:
            raise Ima2Error("INVALID_BODY") from None
        result = await self.prompts.import_json(document)
        return library_pb2.ImportPromptsResponse(
            imported=result.prompts_imported,
            skipped=result.duplicates_skipped,
            folders_created=result.folders_created,
        )

    async def ExportPrompts(
        self, request: common_pb2.Empty, context: Ctx
    ) -> library_pb2.ExportPromptsResponse:
        document = await self.prompts.export_json()
        return library_pb2.ExportPromptsResponse(json=json.dumps(document, ensure_ascii=False))

    async def ListPromptFolders(
        self, request: common_pb2.Empty, context: Ctx
    ) -> library_pb2.ListPromptFoldersResponse:
        return library_pb2.ListPromptFoldersResponse(
            folders=[convert.folder(f) for f in await self.prompts.list_folders()]
        )

    async def CreatePromptFolder(
        self, request: library_pb2.PromptFolder, context: Ctx
    ) -> library_pb2.PromptFolder:
        return convert.folder(await self.prompts.create_folder(request.name, request.parent_id))

    async def UpdatePromptFolder(
        self, request: library_pb2.PromptFolder, context: Ctx
    ) -> library_pb2.PromptFolder:
        return convert.folder(await self.prompts.update_folder(request.id, request.name, request.parent_id))

    async def DeletePromptFolder(self, request: library_pb2.PromptKey, context: Ctx) -> common_pb2.Empty:
        await self.prompts.delete_folder(request.id, request.strategy or "moveToRoot")
        return common_pb2.Empty()

    # Storage support

    async def GetStorageStatus(self, request: common_pb2.Empty, context: Ctx) -> library_pb2.StorageStatus:
        return convert.storage_status(await self.library.storage_status())

    async def OpenGeneratedDir(self, request: common_pb2.Empty, context: Ctx) -> common_pb2.Empty:
        await self.library.open_generated_dir()
        return common_pb2.Empty()

    # Card news

    async def WriteCardNewsFile(
        self, request: library_pb2.WriteCardNewsFileRequest, context: Ctx
    ) -> common_pb2.Empty:
        await self.card_news.write(request.set_id, request.name, request.data)
        return common_pb2.Empty()
