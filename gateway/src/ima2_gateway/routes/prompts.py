"""The prompt library (reference §1.9): prompts, favourites, folders, JSON import and export.

Timestamps are epoch seconds, as in the reference. Deleting a prompt moves it to `__trash__`.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from ima2_common import limits
from ima2_gateway.bodies import read_json
from ima2_gateway.context import gateway
from ima2_gateway.models.library import Ok
from ima2_gateway.models.prompts import (
    FolderCreate,
    FolderList,
    FolderOne,
    FolderUpdate,
    PromptCreate,
    PromptExport,
    PromptFavorite,
    PromptImport,
    PromptImported,
    PromptList,
    PromptOne,
    PromptUpdate,
)
from ima2_gateway.openapi import contract, json_body
from ima2_proto.v1 import common_pb2, library_pb2

router = APIRouter(tags=["prompts"])
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


@router.get(
    "/api/prompts",
    operation_id="listPrompts",
    summary="Prompts and folders (search, folder, favourites filters)",
    **contract(PromptList, errors="nested"),
)
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


@router.post(
    "/api/prompts",
    operation_id="createPrompt",
    summary="Create a prompt",
    **contract(PromptOne, errors="nested", ok_status=201, statuses=(400, 404), body=json_body(PromptCreate)),
)
async def create_prompt(request: Request) -> JSONResponse:
    body = await read_json(request, PromptCreate, SMALL_BODY)
    prompt = library_pb2.Prompt(
        text=body.text,
        title=body.name or "",
        folder_id=body.folderId or "",
        mode=body.mode or "",
        tags=body.tags or [],
    )
    library = gateway(request).services.library
    reply = await library.unary(library.stub.CreatePrompt, prompt)
    return JSONResponse({"prompt": prompt_json(reply)}, status_code=201)


@router.get(
    "/api/prompts/export",
    operation_id="exportPrompts",
    summary="Export the prompt library",
    **contract(PromptExport, errors="nested"),
)
async def export_prompts(request: Request) -> dict[str, Any]:
    library = gateway(request).services.library
    reply = await library.unary(library.stub.ExportPrompts, common_pb2.Empty())
    exported: dict[str, Any] = json.loads(reply.json)
    return exported


@router.post(
    "/api/prompts/import",
    operation_id="importPrompts",
    summary="Import an exported prompt library (duplicates skipped)",
    **contract(PromptImported, errors="nested", statuses=(400,), body=json_body(PromptImport)),
)
async def import_prompts(request: Request) -> dict[str, Any]:
    body = (await read_json(request, PromptImport)).model_dump(exclude_unset=True)
    library = gateway(request).services.library
    reply = await library.unary(
        library.stub.ImportPrompts, library_pb2.ImportPromptsRequest(json=json.dumps(body)), timeout=120
    )
    return {
        "foldersCreated": reply.folders_created,
        "promptsImported": reply.imported,
        "duplicatesSkipped": reply.skipped,
    }


@router.get(
    "/api/prompts/folders",
    operation_id="listPromptFolders",
    summary="Prompt folders",
    **contract(FolderList, errors="nested"),
)
async def list_folders(request: Request) -> dict[str, Any]:
    library = gateway(request).services.library
    reply = await library.unary(library.stub.ListPromptFolders, common_pb2.Empty())
    return {"folders": [folder_json(f) for f in reply.folders]}


@router.post(
    "/api/prompts/folders",
    operation_id="createPromptFolder",
    summary="Create a prompt folder",
    **contract(FolderOne, errors="nested", ok_status=201, statuses=(400, 404), body=json_body(FolderCreate)),
)
async def create_folder(request: Request) -> JSONResponse:
    body = await read_json(request, FolderCreate, 64 * 1024)
    name, parent_id = body.name, body.parentId
    library = gateway(request).services.library
    reply = await library.unary(
        library.stub.CreatePromptFolder,
        library_pb2.PromptFolder(name=name, parent_id=parent_id or ""),
    )
    return JSONResponse({"folder": folder_json(reply)}, status_code=201)


@router.patch(
    "/api/prompts/folders/{folder_id}",
    operation_id="updatePromptFolder",
    summary="Rename or move a prompt folder",
    **contract(FolderOne, errors="nested", statuses=(400, 404), body=json_body(FolderUpdate)),
)
async def update_folder(folder_id: str, request: Request) -> dict[str, Any]:
    body = await read_json(request, FolderUpdate, 64 * 1024)
    name, parent = body.name, body.parentId
    folder = library_pb2.PromptFolder(
        id=folder_id,
        name=name if isinstance(name, str) else "",
        parent_id=parent if isinstance(parent, str) else "",
    )
    library = gateway(request).services.library
    reply = await library.unary(library.stub.UpdatePromptFolder, folder)
    return {"folder": folder_json(reply)}


@router.delete(
    "/api/prompts/folders/{folder_id}",
    operation_id="deletePromptFolder",
    summary="Delete a prompt folder (strategy=deleteItems deletes its prompts)",
    **contract(Ok, errors="nested", statuses=(404,)),
)
async def delete_folder(folder_id: str, request: Request, strategy: str = "") -> dict[str, Any]:
    library = gateway(request).services.library
    await library.unary(
        library.stub.DeletePromptFolder,
        library_pb2.PromptKey(
            id=folder_id, strategy="deleteItems" if strategy == "deleteItems" else "moveToRoot"
        ),
    )
    return {"ok": True}


@router.get(
    "/api/prompts/{prompt_id}",
    operation_id="getPrompt",
    summary="A prompt",
    **contract(PromptOne, errors="nested", statuses=(404,)),
)
async def get_prompt(prompt_id: str, request: Request) -> dict[str, Any]:
    library = gateway(request).services.library
    reply = await library.unary(library.stub.GetPrompt, library_pb2.PromptKey(id=prompt_id))
    return {"prompt": prompt_json(reply)}


@router.patch(
    "/api/prompts/{prompt_id}",
    operation_id="updatePrompt",
    summary="Update a prompt",
    **contract(PromptOne, errors="nested", statuses=(400, 404), body=json_body(PromptUpdate)),
)
async def update_prompt(prompt_id: str, request: Request) -> dict[str, Any]:
    body = await read_json(request, PromptUpdate, SMALL_BODY)
    update = library_pb2.UpdatePromptRequest(id=prompt_id)
    for value, field in (
        (body.name, "title"),
        (body.text, "text"),
        (body.folderId, "folder_id"),
        (body.mode, "mode"),
    ):
        if value is not None:
            setattr(update, field, value)
    tags = body.tags
    if tags is not None:
        update.tags.extend(tags)
        update.set_tags = True
    library = gateway(request).services.library
    reply = await library.unary(library.stub.UpdatePrompt, update)
    return {"prompt": prompt_json(reply)}


@router.delete(
    "/api/prompts/{prompt_id}",
    operation_id="deletePrompt",
    summary="Move a prompt to the trash",
    **contract(Ok, errors="nested", statuses=(404,)),
)
async def delete_prompt(prompt_id: str, request: Request) -> dict[str, Any]:
    library = gateway(request).services.library
    await library.unary(library.stub.DeletePrompt, library_pb2.PromptKey(id=prompt_id))
    return {"ok": True}


@router.post(
    "/api/prompts/{prompt_id}/favorite",
    operation_id="togglePromptFavorite",
    summary="Toggle a prompt's favourite mark",
    **contract(PromptFavorite, errors="nested", statuses=(404,)),
)
async def toggle_favorite(prompt_id: str, request: Request) -> dict[str, Any]:
    library = gateway(request).services.library
    reply = await library.unary(library.stub.TogglePromptFavorite, library_pb2.PromptKey(id=prompt_id))
    return {"isFavorite": reply.is_favorite, "favoritedAt": reply.favorited_at or None}
