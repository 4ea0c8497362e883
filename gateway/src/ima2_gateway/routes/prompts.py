"""The prompt library (reference §1.9): prompts, favourites, folders, JSON import and export.

Timestamps are epoch seconds, as in the reference. Deleting a prompt moves it to `__trash__`.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from ima2_common import limits
from ima2_common.errors import Ima2Error
from ima2_gateway.context import gateway
from ima2_gateway.routes.library_common import json_object
from ima2_proto.v1 import common_pb2, library_pb2

router = APIRouter()
SMALL_BODY = limits.PROMPT_TEXT_MAX_CHARS * 4 + 64 * 1024


def prompt_json(p: library_pb2.Prompt) -> dict[str, Any]:
    return {
        "id": p.id,
        "folderId": p.folder_id,
        "name": p.title,
        "text": p.text,
        "tags": list(p.tags),
        "mode": p.mode or None,
        "isFavorite": p.is_favorite,
        "favoritedAt": p.favorited_at or None,
        "createdAt": p.created_at,
        "updatedAt": p.updated_at,
    }


def folder_json(f: library_pb2.PromptFolder) -> dict[str, Any]:
    return {
        "id": f.id,
        "parentId": f.parent_id or None,
        "name": f.name,
        "createdAt": f.created_at,
        "updatedAt": f.updated_at,
    }


def _optional_str(body: dict[str, Any], key: str) -> str | None:
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise Ima2Error("INVALID_PROMPT", f"{key} must be a string")
    return value


def _tags(body: dict[str, Any]) -> list[str] | None:
    tags = body.get("tags")
    if tags is None:
        return None
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise Ima2Error("INVALID_PROMPT", "tags must be an array of strings")
    return tags


@router.get("/api/prompts", operation_id="listPrompts")
async def list_prompts(
    request: Request, search: str = "", folderId: str = "", favoritesOnly: str = ""
) -> dict[str, Any]:
    library = gateway(request).services.library
    reply = await library.unary(
        library.stub.ListPrompts,
        library_pb2.ListPromptsRequest(
            query=search, folder_id=folderId, favorites_only=favoritesOnly.lower() in ("1", "true")
        ),
    )
    return {
        "prompts": [prompt_json(p) for p in reply.prompts],
        "folders": [folder_json(f) for f in reply.folders],
    }


@router.post("/api/prompts", operation_id="createPrompt", status_code=201)
async def create_prompt(request: Request) -> JSONResponse:
    body = await json_object(request, SMALL_BODY)
    text = body.get("text")
    if not isinstance(text, str) or not text.strip():
        raise Ima2Error("INVALID_PROMPT", "text is required")
    tags = _tags(body)
    prompt = library_pb2.Prompt(
        text=text,
        title=_optional_str(body, "name") or "",
        folder_id=_optional_str(body, "folderId") or "",
        mode=_optional_str(body, "mode") or "",
        tags=tags or [],
    )
    library = gateway(request).services.library
    reply = await library.unary(library.stub.CreatePrompt, prompt)
    return JSONResponse({"prompt": prompt_json(reply)}, status_code=201)


@router.get("/api/prompts/export", operation_id="exportPrompts")
async def export_prompts(request: Request) -> dict[str, Any]:
    library = gateway(request).services.library
    reply = await library.unary(library.stub.ExportPrompts, common_pb2.Empty())
    exported: dict[str, Any] = json.loads(reply.json)
    return exported


@router.post("/api/prompts/import", operation_id="importPrompts")
async def import_prompts(request: Request) -> dict[str, Any]:
    body = await json_object(request)
    library = gateway(request).services.library
    reply = await library.unary(
        library.stub.ImportPrompts, library_pb2.ImportPromptsRequest(json=json.dumps(body)), timeout=120
    )
    return {
        "foldersCreated": reply.folders_created,
        "promptsImported": reply.imported,
        "duplicatesSkipped": reply.skipped,
    }


@router.get("/api/prompts/folders", operation_id="listPromptFolders")
async def list_folders(request: Request) -> dict[str, Any]:
    library = gateway(request).services.library
    reply = await library.unary(library.stub.ListPromptFolders, common_pb2.Empty())
    return {"folders": [folder_json(f) for f in reply.folders]}


@router.post("/api/prompts/folders", operation_id="createPromptFolder", status_code=201)
async def create_folder(request: Request) -> JSONResponse:
    body = await json_object(request, 64 * 1024)
    name = body.get("name")
    if not isinstance(name, str) or not name.strip():
        raise Ima2Error("INVALID_FOLDER", "name is required")
    library = gateway(request).services.library
    reply = await library.unary(
        library.stub.CreatePromptFolder,
        library_pb2.PromptFolder(name=name, parent_id=_optional_str(body, "parentId") or ""),
    )
    return JSONResponse({"folder": folder_json(reply)}, status_code=201)


@router.patch("/api/prompts/folders/{folder_id}", operation_id="updatePromptFolder")
async def update_folder(folder_id: str, request: Request) -> dict[str, Any]:
    body = await json_object(request, 64 * 1024)
    name, parent = body.get("name"), body.get("parentId")
    folder = library_pb2.PromptFolder(
        id=folder_id,
        name=name if isinstance(name, str) else "",
        parent_id=parent if isinstance(parent, str) else "",
    )
    library = gateway(request).services.library
    reply = await library.unary(library.stub.UpdatePromptFolder, folder)
    return {"folder": folder_json(reply)}


@router.delete("/api/prompts/folders/{folder_id}", operation_id="deletePromptFolder")
async def delete_folder(folder_id: str, request: Request, strategy: str = "") -> dict[str, Any]:
    library = gateway(request).services.library
    await library.unary(
        library.stub.DeletePromptFolder,
        library_pb2.PromptKey(
            id=folder_id, strategy="deleteItems" if strategy == "deleteItems" else "moveToRoot"
        ),
    )
    return {"ok": True}


@router.get("/api/prompts/{prompt_id}", operation_id="getPrompt")
async def get_prompt(prompt_id: str, request: Request) -> dict[str, Any]:
    library = gateway(request).services.library
    reply = await library.unary(library.stub.GetPrompt, library_pb2.PromptKey(id=prompt_id))
    return {"prompt": prompt_json(reply)}


@router.patch("/api/prompts/{prompt_id}", operation_id="updatePrompt")
async def update_prompt(prompt_id: str, request: Request) -> dict[str, Any]:
    body = await json_object(request, SMALL_BODY)
    update = library_pb2.UpdatePromptRequest(id=prompt_id)
    for key, field in (("name", "title"), ("text", "text"), ("folderId", "folder_id"), ("mode", "mode")):
        value = _optional_str(body, key)
        if value is not None:
            setattr(update, field, value)
    tags = _tags(body)
    if tags is not None:
        update.tags.extend(tags)
        update.set_tags = True
    library = gateway(request).services.library
    reply = await library.unary(library.stub.UpdatePrompt, update)
    return {"prompt": prompt_json(reply)}


@router.delete("/api/prompts/{prompt_id}", operation_id="deletePrompt")
async def delete_prompt(prompt_id: str, request: Request) -> dict[str, Any]:
    library = gateway(request).services.library
    await library.unary(library.stub.DeletePrompt, library_pb2.PromptKey(id=prompt_id))
    return {"ok": True}


@router.post("/api/prompts/{prompt_id}/favorite", operation_id="togglePromptFavorite")
async def toggle_favorite(prompt_id: str, request: Request) -> dict[str, Any]:
    library = gateway(request).services.library
    reply = await library.unary(library.stub.TogglePromptFavorite, library_pb2.PromptKey(id=prompt_id))
    return {"isFavorite": reply.is_favorite, "favoritedAt": reply.favorited_at or None}
