"""Prompt import from GitHub (reference §1.9): /api/prompts/import/{preview, folder-files,
folder-preview, commit}. Nested error envelope (the /api/prompts family).

The GitHub token is svc-auth's `github` credential, read per GitHub call and never logged or
returned; curated sources and discovery are not part of this build (see the report).
"""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict

from ima2_common import limits
from ima2_common.errors import Ima2Error
from ima2_gateway.context import gateway
from ima2_gateway.prompt_import.github import CallWindow, GitHubClient
from ima2_gateway.prompt_import.importer import PromptImporter
from ima2_gateway.routes.library_common import json_object
from ima2_proto.v1 import auth_pb2, library_pb2

router = APIRouter()
BODY_CAP = limits.PROMPT_IMPORT_MAX_FILE_BYTES * 2 + 64 * 1024


class Candidate(BaseModel):
    model_config = ConfigDict(extra="allow")

    id: str
    name: str
    text: str
    tags: list[str]


class PreviewAnswer(BaseModel):
    source: dict[str, Any]
    candidates: list[Candidate]
    warnings: list[str]


class FolderFile(BaseModel):
    name: str
    path: str
    extension: str
    sizeBytes: int
    htmlUrl: str
    selected: bool
    warnings: list[str]


class FolderFilesAnswer(BaseModel):
    source: dict[str, Any]
    files: list[FolderFile]
    warnings: list[str]


class FolderPreviewAnswer(FolderFilesAnswer):
    candidates: list[Candidate]


class CommitAnswer(BaseModel):
    foldersCreated: int
    promptsImported: int
    duplicatesSkipped: int


def importer(request: Request) -> PromptImporter:
    """One importer per app (its HTTP client and GitHub call window are shared), made on first use."""
    state = request.app.state
    found = getattr(state, "prompt_importer", None)
    if found is not None:
        return found
    gw = gateway(request)

    async def token() -> str:
        credential = await gw.services.auth.call(
            "GetCredential", auth_pb2.GetCredentialRequest(provider="github"), timeout=10
        )
        return str(credential.secret)

    async def import_document(document: str) -> dict[str, int]:
        reply = await gw.services.library.call(
            "ImportPrompts", library_pb2.ImportPromptsRequest(json=document), timeout=120
        )
        return {
            "imported": reply.imported,
            "skipped": reply.skipped,
            "folders_created": reply.folders_created,
        }

    client = GitHubClient(
        gw.settings.github_api_url,
        gw.settings.github_raw_url,
        httpx.AsyncClient(),
        token,
        CallWindow(gw.settings.prompt_import_requests_per_minute),
    )
    found = PromptImporter(client, import_document)
    state.prompt_importer = found
    return found


async def _body(request: Request) -> dict[str, Any]:
    body = await json_object(request, BODY_CAP, "REMOTE_FILE_TOO_LARGE")
    if not isinstance(body, dict):
        raise Ima2Error("INVALID_BODY")
    return body


@router.post("/api/prompts/import/preview", operation_id="promptImportPreview")
async def preview(request: Request) -> dict[str, Any]:
    result = await importer(request).preview(await _body(request))
    return PreviewAnswer.model_validate(result).model_dump()


@router.post("/api/prompts/import/folder-files", operation_id="promptImportFolderFiles")
async def folder_files(request: Request) -> dict[str, Any]:
    result = await importer(request).folder_files(await _body(request))
    return FolderFilesAnswer.model_validate(result).model_dump()


@router.post("/api/prompts/import/folder-preview", operation_id="promptImportFolderPreview")
async def folder_preview(request: Request) -> dict[str, Any]:
    result = await importer(request).folder_preview(await _body(request))
    return FolderPreviewAnswer.model_validate(result).model_dump()


@router.post("/api/prompts/import/commit", operation_id="promptImportCommit")
async def commit(request: Request) -> dict[str, Any]:
    result = await importer(request).commit(await _body(request))
    return CommitAnswer.model_validate(result).model_dump()
