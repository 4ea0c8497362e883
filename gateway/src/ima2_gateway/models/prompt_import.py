"""Prompt import from GitHub or a local file (reference §1.9): /api/prompts/import/*.

The reference reads these bodies loosely: a field of the wrong type counts as absent (a string
field as "", a list as []), except where it answers a code of its own (`sourceIds`, `seeds`,
`sourceId`, the discovery review). The schemas document what a client should send.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from pydantic import BeforeValidator, ConfigDict, Field, WithJsonSchema

from ima2_common import limits
from ima2_common.errors import Ima2Error
from ima2_gateway.models.base import ApiModel, domain_check
from ima2_gateway.prompt_import.sources import OWNER_REPO, clean_path, supported

# A required field whose absence answers its own code (the check runs on the missing value too).
CHECKED_REQUIRED: Any = Field(default=None, validate_default=True)
Text = Annotated[str, BeforeValidator(lambda value: value if isinstance(value, str) else "")]
Strings = {"type": "array", "items": {"type": "string"}}
Paths = Annotated[
    list[Any],
    BeforeValidator(lambda value: value if isinstance(value, list) else []),
    WithJsonSchema(Strings),
]
CANDIDATE_IN = {
    "type": "object",
    "description": "A previewed candidate: its text (required), name, tags and mode are imported.",
    "properties": {
        "text": {"type": "string"},
        "name": {"type": "string"},
        "tags": {"type": "array", "items": {"type": "string"}},
        "mode": {"type": "string", "enum": ["auto", "direct"]},
    },
    "required": ["text"],
}
Limit = Annotated[
    int | None,
    BeforeValidator(lambda value: value if isinstance(value, int) else None),
    Field(description="At most this many results."),
]


def string_list(code: str) -> Any:
    def check(value: Any) -> list[str]:
        if value is None:
            return []
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise Ima2Error(code, "Expected an array of strings.")
        return value

    return BeforeValidator(domain_check(check))


def review_invalid(message: str) -> Ima2Error:
    return Ima2Error("GITHUB_DISCOVERY_REVIEW_INVALID", message)


def check_repo(value: Any) -> str:
    repo = str(value or "").strip()
    owner, _, name = repo.partition("/")
    if not OWNER_REPO.match(owner) or not OWNER_REPO.match(name) or "/" in name:
        raise review_invalid("Review repo must be owner/repo.")
    return repo


def check_status(value: Any) -> str:
    if value not in ("approved", "rejected"):
        raise review_invalid("Review status must be approved or rejected.")
    return str(value)


def check_allowed_paths(value: Any) -> list[str]:
    if not isinstance(value, list) or len(value) > limits.PROMPT_IMPORT_MAX_REPO_INDEX_FILES:
        raise review_invalid("allowedPaths must be a short array of files.")
    paths: list[str] = []
    for raw in value:
        if not isinstance(raw, str) or "://" in raw:
            raise review_invalid("Allowed paths must be repository paths.")
        try:
            path = clean_path(raw)
        except Ima2Error:
            raise review_invalid("Allowed path is invalid.") from None
        if not path or not supported(path):
            raise review_invalid("Allowed paths must be .md, .markdown or .txt.")
        paths.append(path)
    return paths


def check_source_id(value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise Ima2Error("INVALID_GITHUB_SOURCE", "Curated source is required.")
    return value


# Requests


class FileSource(ApiModel):
    """A GitHub file (`kind: "github"`, `input`: URL or owner/repo:path) or local text."""

    kind: Text = Field(default="", description='"github", or anything else for a local file.')
    input: Text = Field(default="", description="GitHub: a file URL or owner/repo[@ref]:path.")
    filename: Text = Field(default="", description="Local: the file's name (.md, .markdown, .txt).")
    text: Text = Field(default="", description="Local: the file's text.")


class PreviewRequest(FileSource):
    """The source's fields, at the top level or in `source` (which wins when it is a non-empty object)."""

    source: Annotated[
        FileSource | None, BeforeValidator(lambda value: value if isinstance(value, dict) and value else None)
    ] = None

    def file(self) -> FileSource:
        return self.source or self


class FolderSource(ApiModel):
    input: Text = Field(default="", description="A github.com folder URL or owner/repo[@ref]:folder.")


class FolderRequest(FolderSource):
    """The folder at the top level or in `source` (which wins when it is an object)."""

    source: Annotated[
        FolderSource | None, BeforeValidator(lambda value: value if isinstance(value, dict) else None)
    ] = None

    def folder_input(self) -> str:
        return (self.source or self).input


class FolderPreviewRequest(FolderRequest):
    paths: Paths = Field(default=[], description="Files of the folder listing to preview.")


class CommitRequest(ApiModel):
    candidates: Annotated[
        list[Any],
        BeforeValidator(lambda value: value if isinstance(value, list) else []),
        WithJsonSchema({"type": "array", "items": CANDIDATE_IN}),
    ] = Field(default=[], description="Candidates from a preview; items without text are skipped.")
    folderId: Text = Field(default="", description="The prompt folder to import into (default: root).")


class CuratedSearchRequest(ApiModel):
    q: Text = ""
    sourceIds: Annotated[list[str], string_list("PROMPT_IMPORT_SOURCE_NOT_FOUND")] = Field(
        default=[], description="Curated sources to search (default: all)."
    )
    limit: Limit = None


class CuratedRefreshRequest(ApiModel):
    sourceId: Annotated[str, BeforeValidator(domain_check(check_source_id))] = CHECKED_REQUIRED
    model_config = ConfigDict(populate_by_name=True, json_schema_extra={"required": ["sourceId"]})


class DiscoverySearchRequest(ApiModel):
    q: Text = ""
    seeds: Annotated[list[str], string_list("GITHUB_DISCOVERY_FAILED")] = Field(
        default=[], description="owner/repo seeds to start from."
    )
    limit: Limit = None


class DiscoveryReviewRequest(ApiModel):
    model_config = ConfigDict(populate_by_name=True, json_schema_extra={"required": ["repo", "status"]})
    check_order: ClassVar[tuple[str, ...]] = ("repo", "status", "allowedPaths")

    repo: Annotated[
        str,
        BeforeValidator(domain_check(check_repo)),
        WithJsonSchema({"type": "string", "pattern": "^[^/]+/[^/]+$"}),
    ] = CHECKED_REQUIRED
    status: Annotated[Literal["approved", "rejected"], BeforeValidator(domain_check(check_status))] = (
        CHECKED_REQUIRED
    )
    allowedPaths: Annotated[list[str], BeforeValidator(domain_check(check_allowed_paths))] = Field(
        default=[], description="Files searched once approved (.md, .markdown, .txt)."
    )
    defaultSearch: Annotated[bool, BeforeValidator(bool)] = Field(
        default=False, description="Approved with paths: searched by default."
    )
    reviewNotes: Text = ""


# Answers


class ImportCandidate(ApiModel):
    """A prompt found in a source (more fields describe where it came from)."""

    model_config = ConfigDict(extra="allow")
    id: str
    name: str
    text: str
    tags: list[str]


class ImportPreview(ApiModel):
    source: dict[str, Any]
    candidates: list[ImportCandidate]
    warnings: list[str]


class FolderFile(ApiModel):
    name: str
    path: str
    extension: str
    sizeBytes: int
    htmlUrl: str
    selected: bool
    warnings: list[str]


class FolderFiles(ApiModel):
    source: dict[str, Any]
    files: list[FolderFile]
    warnings: list[str]


class FolderPreview(FolderFiles):
    candidates: list[ImportCandidate]


class ImportCommitted(ApiModel):
    foldersCreated: int
    promptsImported: int
    duplicatesSkipped: int


class CuratedSources(ApiModel):
    sources: list[dict[str, Any]]


class CuratedResults(ApiModel):
    results: list[ImportCandidate]
    sources: list[dict[str, Any]]
    warnings: list[str]


class CuratedRefresh(ApiModel):
    source: dict[str, Any]
    indexedFiles: int
    candidateCount: int
    warnings: list[str]


class Discovery(ApiModel):
    candidates: list[dict[str, Any]]
    warnings: list[str]
    rateLimit: dict[str, Any] | None = None


class DiscoveryReview(ApiModel):
    candidate: dict[str, Any]
    source: dict[str, Any] | None
    warnings: list[str]
