"""Prompt import from GitHub (reference §1.9): /api/prompts/import/{curated-sources, curated-search,
curated-refresh, discovery, discovery-search, discovery-review, folder-files, folder-preview,
preview, commit}. Nested error envelope (the /api/prompts family); bodies are `models.prompt_import`.

The GitHub token is svc-auth's `github` credential, read per GitHub call and never logged or
returned.
"""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import APIRouter, Query, Request

from ima2_common import limits
from ima2_common.nats_util import config_bucket
from ima2_gateway.bodies import read_json
from ima2_gateway.context import gateway
from ima2_gateway.models.base import ApiModel
from ima2_gateway.models.prompt_import import (
    CommitRequest,
    CuratedRefresh,
    CuratedRefreshRequest,
    CuratedResults,
    CuratedSearchRequest,
    CuratedSources,
    Discovery,
    DiscoveryReview,
    DiscoveryReviewRequest,
    DiscoverySearchRequest,
    FolderFiles,
    FolderPreview,
    FolderPreviewRequest,
    FolderRequest,
    ImportCommitted,
    ImportPreview,
    PreviewRequest,
)
from ima2_gateway.openapi import contract, json_body
from ima2_gateway.prompt_import.curated import CuratedCatalogue
from ima2_gateway.prompt_import.github import CallWindow, GitHubClient
from ima2_gateway.prompt_import.importer import PromptImporter
from ima2_proto.v1 import auth_pb2, library_pb2

router = APIRouter(tags=["prompt-import"])
BODY_CAP = limits.PROMPT_IMPORT_MAX_FILE_BYTES * 2 + 64 * 1024
GITHUB_STATUSES = (400, 404, 413, 422, 429, 502, 503, 504)


def post_contract(answer: type[ApiModel], body: type[ApiModel]) -> dict[str, Any]:
    return contract(answer, errors="nested", statuses=GITHUB_STATUSES, body=json_body(body))


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


async def catalogue(request: Request) -> CuratedCatalogue:
    state = request.app.state
    found = getattr(state, "prompt_catalogue", None)
    if found is None:
        found = CuratedCatalogue(importer(request).github, await config_bucket(gateway(request).js))
        state.prompt_catalogue = found
    return found


@router.post(
    "/api/prompts/import/preview",
    operation_id="promptImportPreview",
    summary="Prompt candidates of one GitHub file or local text",
    **post_contract(ImportPreview, PreviewRequest),
)
async def preview(request: Request) -> dict[str, Any]:
    body = await read_json(request, PreviewRequest, BODY_CAP, "REMOTE_FILE_TOO_LARGE")
    result = await importer(request).preview(body.file())
    return ImportPreview.model_validate(result).model_dump()


@router.post(
    "/api/prompts/import/folder-files",
    operation_id="promptImportFolderFiles",
    summary="The prompt files of a GitHub folder",
    **post_contract(FolderFiles, FolderRequest),
)
async def folder_files(request: Request) -> dict[str, Any]:
    body = await read_json(request, FolderRequest, BODY_CAP, "REMOTE_FILE_TOO_LARGE")
    result = await importer(request).folder_files(body.folder_input())
    return FolderFiles.model_validate(result).model_dump()


@router.post(
    "/api/prompts/import/folder-preview",
    operation_id="promptImportFolderPreview",
    summary="Prompt candidates of chosen files of a GitHub folder",
    **post_contract(FolderPreview, FolderPreviewRequest),
)
async def folder_preview(request: Request) -> dict[str, Any]:
    body = await read_json(request, FolderPreviewRequest, BODY_CAP, "REMOTE_FILE_TOO_LARGE")
    result = await importer(request).folder_preview(body.folder_input(), body.paths)
    return FolderPreview.model_validate(result).model_dump()


@router.post(
    "/api/prompts/import/commit",
    operation_id="promptImportCommit",
    summary="Import chosen candidates into the prompt library (duplicates skipped)",
    **post_contract(ImportCommitted, CommitRequest),
)
async def commit(request: Request) -> dict[str, Any]:
    body = await read_json(request, CommitRequest, BODY_CAP, "REMOTE_FILE_TOO_LARGE")
    result = await importer(request).commit(body.candidates, body.folderId)
    return ImportCommitted.model_validate(result).model_dump()


@router.get(
    "/api/prompts/import/curated-sources",
    operation_id="promptImportCuratedSources",
    summary="The curated prompt sources",
    **contract(CuratedSources, errors="nested", statuses=(503,)),
)
async def curated_sources(request: Request) -> dict[str, Any]:
    return CuratedSources(sources=await (await catalogue(request)).sources()).model_dump()


@router.post(
    "/api/prompts/import/curated-search",
    operation_id="promptImportCuratedSearch",
    summary="Search the curated sources",
    **post_contract(CuratedResults, CuratedSearchRequest),
)
async def curated_search(request: Request) -> dict[str, Any]:
    body = await read_json(request, CuratedSearchRequest, BODY_CAP, "REMOTE_FILE_TOO_LARGE")
    result = await (await catalogue(request)).search(body.q, body.sourceIds, body.limit)
    return CuratedResults.model_validate(result).model_dump()


@router.post(
    "/api/prompts/import/curated-refresh",
    operation_id="promptImportCuratedRefresh",
    summary="Index a curated source again",
    **post_contract(CuratedRefresh, CuratedRefreshRequest),
)
async def curated_refresh(request: Request) -> dict[str, Any]:
    body = await read_json(request, CuratedRefreshRequest, BODY_CAP, "REMOTE_FILE_TOO_LARGE")
    result = await (await catalogue(request)).refresh(body.sourceId)
    return CuratedRefresh.model_validate(result).model_dump()


@router.get(
    "/api/prompts/import/discovery",
    operation_id="promptImportDiscovery",
    summary="Discovered repositories (filter by review status)",
    **contract(Discovery, errors="nested", statuses=(503,)),
)
async def discovery(
    request: Request,
    status: str | None = Query(None, description="pending, approved or rejected; all when absent."),
) -> dict[str, Any]:
    candidates = await (await catalogue(request)).discovered(status)
    return Discovery(candidates=candidates, warnings=[]).model_dump(exclude_none=True)


@router.post(
    "/api/prompts/import/discovery-search",
    operation_id="promptImportDiscoverySearch",
    summary="Search GitHub for prompt repositories",
    **post_contract(Discovery, DiscoverySearchRequest),
)
async def discovery_search(request: Request) -> dict[str, Any]:
    body = await read_json(request, DiscoverySearchRequest, BODY_CAP, "REMOTE_FILE_TOO_LARGE")
    result = await (await catalogue(request)).discover(body.q, body.seeds, body.limit)
    return Discovery.model_validate(result).model_dump()


@router.post(
    "/api/prompts/import/discovery-review",
    operation_id="promptImportDiscoveryReview",
    summary="Approve or reject a discovered repository",
    **post_contract(DiscoveryReview, DiscoveryReviewRequest),
)
async def discovery_review(request: Request) -> dict[str, Any]:
    body = await read_json(request, DiscoveryReviewRequest, BODY_CAP, "REMOTE_FILE_TOO_LARGE")
    result = await (await catalogue(request)).review(body)
    return DiscoveryReview.model_validate(result).model_dump()
