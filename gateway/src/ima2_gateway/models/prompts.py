"""The prompt library: prompts, favourites, folders, import and export. Times are epoch seconds."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

from pydantic import AfterValidator, ConfigDict

from ima2_gateway.models.base import ApiModel, not_blank


class Prompt(ApiModel):
    id: str
    folderId: str
    name: str
    text: str
    tags: list[str]
    mode: str | None
    isFavorite: bool
    favoritedAt: int | None
    createdAt: int
    updatedAt: int


class Folder(ApiModel):
    id: str
    parentId: str | None
    name: str
    createdAt: int
    updatedAt: int


class PromptList(ApiModel):
    prompts: list[Prompt]
    folders: list[Folder]


class PromptOne(ApiModel):
    prompt: Prompt


class PromptFields(ApiModel):
    default_error_code: ClassVar[str] = "INVALID_PROMPT"
    name: str | None = None
    folderId: str | None = None
    mode: str | None = None
    tags: list[str] | None = None


class PromptCreate(PromptFields):
    text: Annotated[str, AfterValidator(not_blank)]


class PromptUpdate(PromptFields):
    text: str | None = None


class PromptFavorite(ApiModel):
    isFavorite: bool
    favoritedAt: int | None


class PromptExport(ApiModel):
    """The whole library as one document (POST /api/prompts/import takes it back)."""

    model_config = ConfigDict(extra="allow")
    version: int
    exportedAt: str
    prompts: list[dict[str, Any]]
    folders: list[dict[str, Any]]


class PromptImport(ApiModel):
    """An export document; prompts without text are skipped, duplicates in a folder too."""

    model_config = ConfigDict(extra="allow")
    default_error_code: ClassVar[str] = "INVALID_PROMPT"
    prompts: list[dict[str, Any]] | None = None
    folders: list[dict[str, Any]] | None = None


class PromptImported(ApiModel):
    foldersCreated: int
    promptsImported: int
    duplicatesSkipped: int


class FolderList(ApiModel):
    folders: list[Folder]


class FolderOne(ApiModel):
    folder: Folder


class FolderCreate(ApiModel):
    error_codes: ClassVar[dict[str, str]] = {"parentId": "INVALID_PROMPT"}
    default_error_code: ClassVar[str] = "INVALID_FOLDER"
    name: Annotated[str, AfterValidator(not_blank)]
    parentId: str | None = None


class FolderUpdate(ApiModel):
    name: str | None = None
    parentId: str | None = None
