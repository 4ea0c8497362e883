"""Prompts and prompt folders (reference §1.9): the `__root__` and `__trash__` folders are seeded
rows, deleting a prompt moves it to `__trash__`, timestamps are epoch seconds as in the reference."""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ima2_common import limits
from ima2_common.errors import Ima2Error
from ima2_library.db.database import Database, Tx

ROOT = "__root__"
TRASH = "__trash__"
SEEDED = (ROOT, TRASH)
NAME_FROM_TEXT = 30
NAME_MAX = 200
TAGS_MAX = 50
TAG_MAX_CHARS = 100
_PROMPT_COLUMNS = (
    "p.id, p.folder_id, p.name, p.text, p.tags, p.mode, p.is_favorite, p.favorited_at, "
    "p.created_at, p.updated_at, f.name"
)
_PROMPT_FROM = "prompts p LEFT JOIN prompt_folders f ON f.id = p.folder_id"
_FOLDER_COLUMNS = "id, parent_id, name, created_at, updated_at"


def _now_s() -> int:
    return int(time.time())


def _base36(value: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while value:
        value, rem = divmod(value, 36)
        out = digits[rem] + out
    return out or "0"


def new_id() -> str:
    """`<base36 ms>_<6 chars>`, the reference's id shape."""
    return f"{_base36(int(time.time() * 1000))}_{secrets.token_hex(3)}"


@dataclass(slots=True)
class PromptRecord:
    id: str
    folder_id: str
    name: str
    text: str
    tags: list[str] = field(default_factory=list)
    mode: str | None = None
    is_favorite: bool = False
    favorited_at: int | None = None
    created_at: int = 0
    updated_at: int = 0
    folder_name: str | None = None


@dataclass(slots=True)
class FolderRecord:
    id: str
    parent_id: str | None
    name: str
    created_at: int
    updated_at: int


@dataclass(slots=True)
class PromptPatch:
    name: str | None = None
    text: str | None = None
    tags: list[str] | None = None
    folder_id: str | None = None
    mode: str | None = None


@dataclass(slots=True)
class ImportResult:
    folders_created: int = 0
    prompts_imported: int = 0
    duplicates_skipped: int = 0


def _tags_from(text: Any) -> list[str]:
    if not isinstance(text, str) or not text:
        return []
    try:
        value = json.loads(text)
    except ValueError:
        return []
    return [t for t in value if isinstance(t, str)] if isinstance(value, list) else []


def _prompt(row: tuple[Any, ...]) -> PromptRecord:
    return PromptRecord(
        id=row[0],
        folder_id=row[1],
        name=row[2],
        text=row[3],
        tags=_tags_from(row[4]),
        mode=row[5],
        is_favorite=bool(row[6]),
        favorited_at=int(row[7]) if row[7] is not None else None,
        created_at=int(row[8]),
        updated_at=int(row[9]),
        folder_name=row[10],
    )


def _folder(row: tuple[Any, ...]) -> FolderRecord:
    return FolderRecord(
        id=row[0], parent_id=row[1], name=row[2], created_at=int(row[3]), updated_at=int(row[4])
    )


def clean_text(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise Ima2Error("INVALID_PROMPT", "text is required")
    if len(value) > limits.PROMPT_TEXT_MAX_CHARS:
        raise Ima2Error("INVALID_PROMPT", f"text exceeds {limits.PROMPT_TEXT_MAX_CHARS} characters")
    return value


def clean_tags(value: Any) -> list[str]:
    if not isinstance(value, list) or len(value) > TAGS_MAX:
        raise Ima2Error("INVALID_PROMPT", f"tags must be an array of at most {TAGS_MAX} strings")
    if not all(isinstance(tag, str) and len(tag) <= TAG_MAX_CHARS for tag in value):
        raise Ima2Error("INVALID_PROMPT", f"each tag must be a string of at most {TAG_MAX_CHARS} characters")
    return list(value)


def _like(term: str) -> str:
    escaped = term.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _is_unique_violation(exc: Exception) -> bool:
    text = f"{type(exc).__name__} {exc}".lower()
    return "unique" in text or "uniqueviolation" in text


class PromptStore:
    def __init__(self, database: Database) -> None:
        self.db = database

    # Prompts

    async def list_prompts(
        self, search: str = "", folder_id: str = "", favorites_only: bool = False
    ) -> tuple[list[PromptRecord], list[FolderRecord]]:
        where = ["1 = 1"]
        params: list[Any] = []
        if folder_id:
            where.append("p.folder_id = ?")
            params.append(folder_id)
        else:
            where.append(f"p.folder_id <> '{TRASH}'")
        if favorites_only:
            where.append("p.is_favorite = 1")
        if search.strip():
            like = _like(search.strip())
            where.append(
                "(lower(p.name) LIKE ? ESCAPE '\\' OR lower(p.text) LIKE ? ESCAPE '\\' "
                "OR lower(coalesce(p.tags, '')) LIKE ? ESCAPE '\\')"
            )
            params += [like, like, like]
        async with self.db.snapshot() as tx:
            rows = await tx.fetchall(
                f"SELECT {_PROMPT_COLUMNS} FROM {_PROMPT_FROM} WHERE {' AND '.join(where)} "
                "ORDER BY p.updated_at DESC, p.id DESC",
                params,
            )
            folders = await self._folders(tx)
        return [_prompt(row) for row in rows], folders

    async def get_prompt(self, prompt_id: str) -> PromptRecord:
        row = await self.db.fetchone(
            f"SELECT {_PROMPT_COLUMNS} FROM {_PROMPT_FROM} WHERE p.id = ?", (prompt_id,)
        )
        if row is None:
            raise Ima2Error("PROMPT_NOT_FOUND")
        return _prompt(row)

    async def create_prompt(
        self, text: str, name: str = "", tags: list[str] | None = None, folder_id: str = "", mode: str = ""
    ) -> PromptRecord:
        text = clean_text(text)
        folder = folder_id or ROOT
        prompt_id = new_id()
        now = _now_s()
        async with self.db.transaction() as tx:
            await self._require_folder(tx, folder)
            await tx.execute(
                "INSERT INTO prompts (id, folder_id, name, text, tags, mode, created_at, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    prompt_id,
                    folder,
                    (name.strip() or text[:NAME_FROM_TEXT])[:NAME_MAX],
                    text,
                    json.dumps(tags) if tags is not None else None,
                    mode or None,
                    now,
                    now,
                ),
            )
        return await self.get_prompt(prompt_id)

    async def update_prompt(self, prompt_id: str, patch: PromptPatch) -> PromptRecord:
        sets: list[str] = []
        params: list[Any] = []
        if patch.name is not None:
            sets.append("name = ?")
            params.append(patch.name[:NAME_MAX])
        if patch.text is not None:
            sets.append("text = ?")
            params.append(clean_text(patch.text))
        if patch.tags is not None:
            sets.append("tags = ?")
            params.append(json.dumps(patch.tags))
        if patch.folder_id is not None:
            sets.append("folder_id = ?")
            params.append(patch.folder_id or ROOT)
        if patch.mode is not None:
            sets.append("mode = ?")
            params.append(patch.mode)
        if not sets:
            raise Ima2Error("INVALID_PROMPT", "No fields to update")
        sets.append("updated_at = ?")
        params += [_now_s(), prompt_id]
        async with self.db.transaction() as tx:
            if patch.folder_id:
                await self._require_folder(tx, patch.folder_id)
            if not await tx.execute(f"UPDATE prompts SET {', '.join(sets)} WHERE id = ?", params):
                raise Ima2Error("PROMPT_NOT_FOUND")
        return await self.get_prompt(prompt_id)

    async def delete_prompt(self, prompt_id: str) -> None:
        """Soft delete: the prompt moves to the `__trash__` folder."""
        changed = await self.db.execute(
            "UPDATE prompts SET folder_id = ?, updated_at = ? WHERE id = ?", (TRASH, _now_s(), prompt_id)
        )
        if not changed:
            raise Ima2Error("PROMPT_NOT_FOUND")

    async def toggle_favorite(self, prompt_id: str) -> PromptRecord:
        async with self.db.transaction() as tx:
            row = await tx.fetchone("SELECT is_favorite FROM prompts WHERE id = ?", (prompt_id,))
            if row is None:
                raise Ima2Error("PROMPT_NOT_FOUND")
            favorite = not bool(row[0])
            await tx.execute(
                "UPDATE prompts SET is_favorite = ?, favorited_at = ? WHERE id = ?",
                (1 if favorite else 0, _now_s() if favorite else None, prompt_id),
            )
        return await self.get_prompt(prompt_id)

    # Folders

    @staticmethod
    async def _folders(tx: Tx) -> list[FolderRecord]:
        rows = await tx.fetchall(
            f"SELECT {_FOLDER_COLUMNS} FROM prompt_folders WHERE id NOT IN ('{ROOT}', '{TRASH}') "
            "ORDER BY lower(name), id"
        )
        return [_folder(row) for row in rows]

    @staticmethod
    async def _require_folder(tx: Tx, folder_id: str) -> None:
        if await tx.fetchone("SELECT 1 FROM prompt_folders WHERE id = ?", (folder_id,)) is None:
            raise Ima2Error("FOLDER_NOT_FOUND")

    async def list_folders(self) -> list[FolderRecord]:
        async with self.db.snapshot() as tx:
            return await self._folders(tx)

    async def get_folder(self, folder_id: str) -> FolderRecord:
        row = await self.db.fetchone(
            f"SELECT {_FOLDER_COLUMNS} FROM prompt_folders WHERE id = ?", (folder_id,)
        )
        if row is None:
            raise Ima2Error("FOLDER_NOT_FOUND")
        return _folder(row)

    async def create_folder(self, name: str, parent_id: str = "") -> FolderRecord:
        if not name.strip():
            raise Ima2Error("INVALID_FOLDER")
        folder_id = new_id()
        now = _now_s()
        try:
            async with self.db.transaction() as tx:
                await self._require_folder(tx, parent_id or ROOT)
                await tx.execute(
                    f"INSERT INTO prompt_folders ({_FOLDER_COLUMNS}) VALUES (?, ?, ?, ?, ?)",
                    (folder_id, parent_id or ROOT, name.strip()[:NAME_MAX], now, now),
                )
        except Ima2Error:
            raise
        except Exception as exc:
            if _is_unique_violation(exc):
                raise Ima2Error("FOLDER_EXISTS") from None
            raise
        return await self.get_folder(folder_id)

    async def update_folder(self, folder_id: str, name: str = "", parent_id: str = "") -> FolderRecord:
        if folder_id in SEEDED:
            raise Ima2Error("INVALID_FOLDER", "The root and trash folders cannot be changed.")
        sets: list[str] = []
        params: list[Any] = []
        if name.strip():
            sets.append("name = ?")
            params.append(name.strip()[:NAME_MAX])
        if parent_id:
            if parent_id == folder_id:
                raise Ima2Error("INVALID_FOLDER", "A folder cannot be its own parent.")
            sets.append("parent_id = ?")
            params.append(parent_id)
        if not sets:
            raise Ima2Error("INVALID_FOLDER", "No fields to update")
        sets.append("updated_at = ?")
        params += [_now_s(), folder_id]
        try:
            async with self.db.transaction() as tx:
                if parent_id:
                    await self._require_folder(tx, parent_id)
                if not await tx.execute(f"UPDATE prompt_folders SET {', '.join(sets)} WHERE id = ?", params):
                    raise Ima2Error("FOLDER_NOT_FOUND")
        except Ima2Error:
            raise
        except Exception as exc:
            if _is_unique_violation(exc):
                raise Ima2Error("FOLDER_EXISTS") from None
            raise
        return await self.get_folder(folder_id)

    async def delete_folder(self, folder_id: str, strategy: str = "moveToRoot") -> None:
        if folder_id in SEEDED:
            raise Ima2Error("INVALID_FOLDER", "The root and trash folders cannot be deleted.")
        target = TRASH if strategy == "deleteItems" else ROOT
        async with self.db.transaction() as tx:
            await tx.execute("UPDATE prompts SET folder_id = ? WHERE folder_id = ?", (target, folder_id))
            await tx.execute("UPDATE prompt_folders SET parent_id = ? WHERE parent_id = ?", (ROOT, folder_id))
            if not await tx.execute("DELETE FROM prompt_folders WHERE id = ?", (folder_id,)):
                raise Ima2Error("FOLDER_NOT_FOUND")

    # Import / export

    async def import_json(self, document: Any) -> ImportResult:
        if not isinstance(document, dict):
            raise Ima2Error("INVALID_PROMPT", "The import must be a JSON object with folders and prompts.")
        folders = document.get("folders") or []
        prompts = document.get("prompts") or []
        if not isinstance(folders, list) or not isinstance(prompts, list):
            raise Ima2Error("INVALID_PROMPT", "folders and prompts must be arrays.")
        if len(folders) > limits.PROMPT_IMPORT_MAX_ITEMS or len(prompts) > limits.PROMPT_IMPORT_MAX_ITEMS:
            raise Ima2Error(
                "PAYLOAD_TOO_LARGE",
                f"At most {limits.PROMPT_IMPORT_MAX_ITEMS} folders and prompts per import.",
            )
        result = ImportResult()
        now = _now_s()
        async with self.db.transaction() as tx:
            rows = await tx.fetchall(f"SELECT {_FOLDER_COLUMNS} FROM prompt_folders")
            by_id = {row[0]: _folder(row) for row in rows}
            by_path: dict[str, str] = {}
            for folder in by_id.values():
                parent = by_id.get(folder.parent_id or "")
                path = f"{parent.name}/{folder.name}" if parent and parent.id != ROOT else folder.name
                by_path[path.lower()] = folder.id
            remap: dict[str, str] = {}
            for item in folders:
                if (
                    not isinstance(item, dict)
                    or not isinstance(item.get("name"), str)
                    or not item["name"].strip()
                ):
                    continue
                name = item["name"].strip()[:NAME_MAX]
                given_parent = item.get("parentId") if isinstance(item.get("parentId"), str) else ""
                parent_id = remap.get(given_parent, given_parent) if given_parent else ROOT
                if parent_id not in by_id:
                    parent_id = ROOT
                parent = by_id[parent_id]
                path = (f"{parent.name}/{name}" if parent_id != ROOT else name).lower()
                given_id = item.get("id") if isinstance(item.get("id"), str) and item.get("id") else ""
                if path in by_path:
                    if given_id:
                        remap[given_id] = by_path[path]
                    continue
                folder_id = given_id if given_id and given_id not in by_id else new_id()
                await tx.execute(
                    f"INSERT INTO prompt_folders ({_FOLDER_COLUMNS}) VALUES (?, ?, ?, ?, ?)",
                    (folder_id, parent_id, name, now, now),
                )
                by_id[folder_id] = FolderRecord(folder_id, parent_id, name, now, now)
                by_path[path] = folder_id
                if given_id:
                    remap[given_id] = folder_id
                result.folders_created += 1
            for item in prompts:
                if (
                    not isinstance(item, dict)
                    or not isinstance(item.get("text"), str)
                    or not item["text"].strip()
                ):
                    continue
                text = item["text"][: limits.PROMPT_TEXT_MAX_CHARS]
                given_folder = item.get("folderId") if isinstance(item.get("folderId"), str) else ""
                folder_id = remap.get(given_folder, given_folder) if given_folder else ROOT
                if folder_id not in by_id:
                    folder_id = ROOT
                if await tx.fetchone(
                    "SELECT 1 FROM prompts WHERE text = ? AND folder_id = ?", (text, folder_id)
                ):
                    result.duplicates_skipped += 1
                    continue
                given_id = item.get("id") if isinstance(item.get("id"), str) and item.get("id") else ""
                prompt_id = given_id
                if not prompt_id or await tx.fetchone("SELECT 1 FROM prompts WHERE id = ?", (prompt_id,)):
                    prompt_id = new_id()
                tags = item.get("tags")
                valid_tags = (
                    tags if isinstance(tags, list) and all(isinstance(t, str) for t in tags) else None
                )
                given_name = item.get("name")
                name = given_name if isinstance(given_name, str) and given_name else text[:NAME_FROM_TEXT]
                mode = item.get("mode") if isinstance(item.get("mode"), str) else None
                await tx.execute(
                    "INSERT INTO prompts (id, folder_id, name, text, tags, mode, is_favorite, favorited_at, "
                    "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        prompt_id,
                        folder_id,
                        name[:NAME_MAX],
                        text,
                        json.dumps(valid_tags[:TAGS_MAX]) if valid_tags is not None else None,
                        mode,
                        1 if item.get("isFavorite") is True else 0,
                        now if item.get("isFavorite") is True else None,
                        now,
                        now,
                    ),
                )
                result.prompts_imported += 1
        return result

    async def export_json(self) -> dict[str, Any]:
        async with self.db.snapshot() as tx:
            rows = await tx.fetchall(
                f"SELECT {_PROMPT_COLUMNS} FROM {_PROMPT_FROM} WHERE p.folder_id <> '{TRASH}' "
                "ORDER BY p.created_at, p.id"
            )
            folders = await self._folders(tx)
        return {
            "version": 1,
            "exportedAt": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "folders": [{"id": f.id, "name": f.name, "parentId": f.parent_id} for f in folders],
            "prompts": [
                {
                    "id": p.id,
                    "name": p.name,
                    "text": p.text,
                    "tags": p.tags,
                    "folderId": p.folder_id,
                    "mode": p.mode,
                    "isFavorite": p.is_favorite,
                }
                for p in (_prompt(row) for row in rows)
            ],
        }
