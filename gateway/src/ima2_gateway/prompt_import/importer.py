"""The prompt import flows: preview a file (GitHub or local text), list a GitHub folder, preview
chosen folder files, and commit chosen candidates into the prompt library (deduplicated per
folder, tagged with their source)."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from ima2_common import limits
from ima2_common.errors import Ima2Error
from ima2_common.logging import log_fields
from ima2_common.structs import list_field, str_field
from ima2_gateway.models.prompt_import import FileSource
from ima2_gateway.prompt_import.candidates import parse_candidates
from ima2_gateway.prompt_import.github import GitHubClient
from ima2_gateway.prompt_import.sources import (
    GitHubFolder,
    clean_path,
    extension_of,
    parse_file_source,
    parse_folder_source,
    supported,
)

log = logging.getLogger("ima2.gateway.prompt_import")
ImportDocument = Callable[[str], Awaitable[dict[str, int]]]  # {folders, prompts} JSON -> counts


@dataclass(frozen=True)
class LocalSource:
    filename: str
    text: str

    def describe(self) -> dict[str, Any]:
        return {"kind": "local", "filename": self.filename, "extension": extension_of(self.filename)}

    @property
    def tags(self) -> list[str]:
        return [f"file:{self.filename}", f"ext:{extension_of(self.filename)}"]


def local_source(raw: FileSource) -> LocalSource:
    filename, text = raw.filename.strip(), raw.text
    if not filename or not supported(filename) or "/" in filename or "\\" in filename:
        raise Ima2Error("UNSUPPORTED_EXTENSION")
    if len(text.encode()) > limits.PROMPT_IMPORT_MAX_FILE_BYTES:
        raise Ima2Error("REMOTE_FILE_TOO_LARGE", "The file is too large.")
    if not text.strip():
        raise Ima2Error("PROMPT_IMPORT_EMPTY", "Prompt source is empty.")
    return LocalSource(filename, text)


class PromptImporter:
    def __init__(self, github: GitHubClient, import_document: ImportDocument) -> None:
        self.github = github
        self.import_document = import_document

    # -- one file

    async def preview(self, raw: FileSource) -> dict[str, Any]:
        if raw.kind == "github":
            source = parse_file_source(raw.input)
            fetched = await self.github.raw(
                source.owner, source.repo, source.ref, source.path, "REMOTE_FILE_TOO_LARGE"
            )
            if fetched is None:
                raise Ima2Error("INVALID_GITHUB_SOURCE", "GitHub file was not found.", status=422)
            described, text, name, tags = source.describe(), fetched.text, source.path, source.tags
        else:
            local = local_source(raw)
            described, text, name, tags = local.describe(), local.text, local.filename, local.tags
        candidates = parse_candidates(text, name, {k: v for k, v in described.items() if k != "tags"}, tags)
        if not candidates:
            raise Ima2Error("PROMPT_IMPORT_EMPTY")
        return {"source": described, "candidates": candidates, "warnings": []}

    # -- folders

    async def _listing(self, folder: GitHubFolder) -> tuple[list[dict[str, Any]], list[str]]:
        answer = await self.github.contents(folder.owner, folder.repo, folder.ref, folder.path)
        if answer is None:
            if folder.ambiguous:
                raise Ima2Error("AMBIGUOUS_GITHUB_REF")
            raise Ima2Error("GITHUB_FOLDER_NOT_FOUND")
        if not isinstance(answer, list):
            raise Ima2Error(
                "GITHUB_FOLDER_UNSUPPORTED", "The GitHub source is a file, not a folder.", status=422
            )
        warnings: list[str] = []
        files: list[dict[str, Any]] = []
        for item in answer:
            if not isinstance(item, dict):
                warnings.append("invalid-item")
                continue
            try:
                path = clean_path(str(item.get("path") or ""))
            except Ima2Error:
                warnings.append("invalid-path")
                continue
            name = str(item.get("name") or path.rsplit("/", 1)[-1])
            if item.get("type") != "file":
                warnings.append(f"{path}: folder-deferred")
            elif not supported(path):
                warnings.append(f"{path}: unsupported-extension")
            elif not folder.inside(path):
                warnings.append(f"{path}: outside-folder")
            else:
                files.append(
                    {
                        "name": name,
                        "path": path,
                        "extension": extension_of(path),
                        "sizeBytes": int(item.get("size") or 0),
                        "htmlUrl": f"https://github.com/{folder.owner}/{folder.repo}/blob/{folder.ref}/{path}",
                        "selected": False,
                        "warnings": [],
                    }
                )
        if len(files) > limits.PROMPT_IMPORT_MAX_FOLDER_FILES:
            warnings.append(f"folder-too-large:{len(files)}")
        return files[: limits.PROMPT_IMPORT_MAX_FOLDER_FILES], warnings

    async def folder_files(self, folder_input: str) -> dict[str, Any]:
        folder = parse_folder_source(folder_input)
        files, warnings = await self._listing(folder)
        return {"source": folder.describe(), "files": files, "warnings": warnings}

    async def folder_preview(self, folder_input: str, paths: list[Any]) -> dict[str, Any]:
        folder = parse_folder_source(folder_input)
        if not paths:
            raise Ima2Error("GITHUB_FOLDER_SELECTION_EMPTY")
        if len(paths) > limits.PROMPT_IMPORT_MAX_FOLDER_PREVIEW_FILES:
            raise Ima2Error("GITHUB_FOLDER_SELECTION_TOO_LARGE")
        files, warnings = await self._listing(folder)
        listed = {f["path"]: f for f in files}
        chosen: list[dict[str, Any]] = []
        for raw in paths:
            path = clean_path(raw if isinstance(raw, str) else "")
            if path not in listed:
                raise Ima2Error(
                    "GITHUB_FOLDER_SELECTION_EMPTY", f"Selected file is not in the listed folder: {path}"
                )
            chosen.append(listed[path])
        candidates: list[dict[str, Any]] = []
        fetched_files: list[dict[str, Any]] = []
        first_error: Ima2Error | None = None
        for file in chosen:
            try:
                fetched = await self.github.raw(
                    folder.owner, folder.repo, folder.ref, file["path"], "GITHUB_FOLDER_FILE_TOO_LARGE"
                )
            except Ima2Error as err:
                if err.code in ("GITHUB_RATE_LIMITED", "PROMPT_IMPORT_RATE_LIMITED", "GITHUB_AUTH_FAILED"):
                    raise
                first_error = first_error or err
                warnings.append(f"{file['path']}: {err.message}")
                continue
            if fetched is None:
                warnings.append(f"{file['path']}: not found")
                continue
            fetched_files.append(file)
            source = {**folder.describe(), "kind": "github", "path": file["path"], "htmlUrl": file["htmlUrl"]}
            source.pop("tags", None)
            tags = [*folder.tags, f"file:{file['name']}", f"ext:{file['extension']}"]
            found = parse_candidates(fetched.text, file["path"], source, tags)
            if not found:
                warnings.append(f"{file['path']}: no prompt candidates")
            candidates.extend(found)
        if not fetched_files and first_error is not None:
            raise first_error
        if not candidates:
            raise Ima2Error("PROMPT_IMPORT_EMPTY")
        return {
            "source": folder.describe(),
            "files": fetched_files,
            "candidates": candidates[: limits.PROMPT_IMPORT_MAX_CANDIDATES_PER_IMPORT],
            "warnings": warnings,
        }

    # -- commit

    async def commit(self, candidates: list[Any], folder_id: str) -> dict[str, Any]:
        if not candidates:
            raise Ima2Error("PROMPT_IMPORT_EMPTY", "Select at least one prompt to import.")
        if len(candidates) > limits.PROMPT_IMPORT_MAX_CANDIDATES_PER_IMPORT:
            raise Ima2Error("PROMPT_IMPORT_TOO_MANY_CANDIDATES")
        prompts: list[dict[str, Any]] = []
        for candidate in candidates:
            if not isinstance(candidate, dict) or not isinstance(candidate.get("text"), str):
                continue
            text = candidate["text"].strip()
            if not text:
                continue
            if len(text) < limits.PROMPT_IMPORT_MIN_CANDIDATE_CHARS:
                raise Ima2Error("PROMPT_IMPORT_EMPTY", "Prompt candidate is too short.")
            if len(text) > limits.PROMPT_IMPORT_MAX_CANDIDATE_CHARS:
                raise Ima2Error("PROMPT_IMPORT_TOO_MANY_CANDIDATES", "Prompt candidate is too large.")
            raw_tags = list_field(candidate, "tags")
            tags = list(dict.fromkeys(str(t)[:100] for t in raw_tags if isinstance(t, str)))[:50]
            name = str_field(candidate, "name").strip()
            entry: dict[str, Any] = {
                "text": text,
                "name": name or text[:30],
                "tags": tags,
                "folderId": folder_id,
            }
            if candidate.get("mode") in ("auto", "direct"):
                entry["mode"] = candidate["mode"]
            prompts.append(entry)
        if not prompts:
            raise Ima2Error("PROMPT_IMPORT_EMPTY", "Select at least one prompt to import.")
        counts = await self.import_document(json.dumps({"folders": [], "prompts": prompts}))
        result = {
            "foldersCreated": counts.get("folders_created", 0),
            "promptsImported": counts.get("imported", 0),
            "duplicatesSkipped": counts.get("skipped", 0),
        }
        log.info("prompt import committed", extra=log_fields(**result))
        return result
