"""Prompt import from GitHub (reference §1.9): /api/prompts/import/{curated-sources, curated-search,
curated-refresh, discovery, discovery-search, discovery-review, folder-files, folder-preview,
preview, commit}. Nested error envelope (the /api/prompts family).

The GitHub token is svc-auth's `github` credential, read per GitHub call and never logged or
returned.
"""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict

from ima2_common import limits
from ima2_common.errors import Ima2Error
from ima2_common.nats_util import config_bucket
from ima2_common.structs import str_field
from ima2_gateway.bodies import json_object
from ima2_gateway.context import gateway
from ima2_gateway.prompt_import.curated import CuratedCatalogue
from ima2_gateway.prompt_import.github import CallWindow, GitHubClient
from ima2_gateway.prompt_import.importer import PromptImporter
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
    if isinstance(found, PromptImporter):
        return found
    gw = gateway(request)

    async def token() -> str:
        credential = await gw.services.auth.unary(
            gw.services.auth.stub.GetCredential, auth_pb2.GetCredentialRequest(provider="github"), timeout=10
        )
        return str(credential.secret)

    async def import_document(document: str) -> dict[str, int]:
        reply = await gw.services.library.unary(
            gw.services.library.stub.ImportPrompts,
            library_pb2.ImportPromptsRequest(json=document),
            timeout=120,
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


@router.post("/api/prompts/import/preview", operation_id="promptImportPreview", response_model=PreviewAnswer)
async def preview(request: Request) -> dict[str, Any]:
    result = await importer(request).preview(await _body(request))
    return PreviewAnswer.model_validate(result).model_dump()


@router.post(
    "/api/prompts/import/folder-files",
    operation_id="promptImportFolderFiles",
    response_model=FolderFilesAnswer,
)
async def folder_files(request: Request) -> dict[str, Any]:
    result = await importer(request).folder_files(await _body(request))
    return FolderFilesAnswer.model_validate(result).model_dump()


@router.post(
    "/api/prompts/import/folder-preview",
    operation_id="promptImportFolderPreview",
    response_model=FolderPreviewAnswer,
)
async def folder_preview(request: Request) -> dict[str, Any]:
    result = await importer(request).folder_preview(await _body(request))
    return FolderPreviewAnswer.model_validate(result).model_dump()


@router.post("/api/prompts/import/commit", operation_id="promptImportCommit", response_model=CommitAnswer)
async def commit(request: Request) -> dict[str, Any]:
    result = await importer(request).commit(await _body(request))
    return CommitAnswer.model_validate(result).model_dump()


async def catalogue(request: Request) -> CuratedCatalogue:
    state = request.app.state
    found = getattr(state, "prompt_catalogue", None)
    if found is None:
        found = CuratedCatalogue(importer(request).github, await config_bucket(gateway(request).js))
        state.prompt_catalogue = found
    return found


class SourcesAnswer(BaseModel):
    sources: list[dict[str, Any]]


class SearchAnswer(BaseModel):
    results: list[Candidate]
    sources: list[dict[str, Any]]
    warnings: list[str]


class RefreshAnswer(BaseModel):
    source: dict[str, Any]
    indexedFiles: int
    candidateCount: int
    warnings: list[str]


class DiscoveryAnswer(BaseModel):
    candidates: list[dict[str, Any]]
    warnings: list[str]
    rateLimit: dict[str, Any] | None = None


class ReviewAnswer(BaseModel):
    candidate: dict[str, Any]
    source: dict[str, Any] | None
    warnings: list[str]


def _string_list(value: Any, code: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise Ima2Error(code, "Expected an array of strings.")
    return value


@router.get(
    "/api/prompts/import/curated-sources",
    operation_id="promptImportCuratedSources",
    response_model=SourcesAnswer,
)
async def curated_sources(request: Request) -> dict[str, Any]:
    return SourcesAnswer(sources=await (await catalogue(request)).sources()).model_dump()


@router.post(
    "/api/prompts/import/curated-search",
    operation_id="promptImportCuratedSearch",
    response_model=SearchAnswer,
)
async def curated_search(request: Request) -> dict[str, Any]:
    body = await _body(request)
    query = str_field(body, "q")
    ids = _string_list(body.get("sourceIds"), "PROMPT_IMPORT_SOURCE_NOT_FOUND")
    limit = body.get("limit") if isinstance(body.get("limit"), int) else None
    result = await (await catalogue(request)).search(query, ids, limit)
    return SearchAnswer.model_validate(result).model_dump()


@router.post(
    "/api/prompts/import/curated-refresh",
    operation_id="promptImportCuratedRefresh",
    response_model=RefreshAnswer,
)
async def curated_refresh(request: Request) -> dict[str, Any]:
    body = await _body(request)
    source_id = body.get("sourceId")
    if not isinstance(source_id, str) or not source_id:
        raise Ima2Error("INVALID_GITHUB_SOURCE", "Curated source is required.")
    result = await (await catalogue(request)).refresh(source_id)
    return RefreshAnswer.model_validate(result).model_dump()


@router.get("/api/prompts/import/discovery", operation_id="promptImportDiscovery")
async def discovery(request: Request, status: str | None = None) -> dict[str, Any]:
    candidates = await (await catalogue(request)).discovered(status)
    return DiscoveryAnswer(candidates=candidates, warnings=[]).model_dump(exclude_none=True)


@router.post(
    "/api/prompts/import/discovery-search",
    operation_id="promptImportDiscoverySearch",
    response_model=DiscoveryAnswer,
)
async def discovery_search(request: Request) -> dict[str, Any]:
    body = await _body(request)
    query = str_field(body, "q")
    seeds = _string_list(body.get("seeds"), "GITHUB_DISCOVERY_FAILED")
    limit = body.get("limit") if isinstance(body.get("limit"), int) else None
    result = await (await catalogue(request)).discover(query, seeds, limit)
    return DiscoveryAnswer.model_validate(result).model_dump()


@router.post(
    "/api/prompts/import/discovery-review",
    operation_id="promptImportDiscoveryReview",
    response_model=ReviewAnswer,
)
async def discovery_review(request: Request) -> dict[str, Any]:
    result = await (await catalogue(request)).review(await _body(request))
    return ReviewAnswer.model_validate(result).model_dump()
