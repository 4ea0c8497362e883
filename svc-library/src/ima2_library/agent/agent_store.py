"""Agent Mode storage: sessions, their turns and their queue items (docs/agent-mode.md).

Portable SQL over the `Database` contract (SQLite and PostgreSQL, migration 5). Records are
returned as dicts in the API's shape (camelCase), the form they travel in over gRPC.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Sequence
from typing import Any, Protocol

from ima2_common import agent
from ima2_common.errors import Ima2Error
from ima2_library.db.database import Database, Row, Tx
from ima2_library.media.thumbnails import thumb_name

_SESSION_COLUMNS = (
    "id, title, created_at, updated_at, current_image, style_locks, subject_locks, "
    "web_search_enabled, settings, summary, compacted_seq, turn_count, image_count"
)
_TURN_COLUMNS = "id, session_id, seq, role, text, images, tool_calls, status, created_at"
_QUEUE_COLUMNS = (
    "id, session_id, request_id, prompt, command, status, attempts, options, result_images, "
    "error_code, error_message, created_at, started_at, finished_at"
)
# Queue fields a transition may set, API name → column (JSON columns are encoded).
_QUEUE_FIELDS = {
    "status": "status",
    "requestId": "request_id",
    "attempts": "attempts",
    "resultImages": "result_images",
    "errorCode": "error_code",
    "errorMessage": "error_message",
    "startedAt": "started_at",
    "finishedAt": "finished_at",
}
_JSON_FIELDS = ("resultImages",)


def now_ms() -> int:
    return int(time.time() * 1000)


def new_id(prefix: str) -> str:
    return f"{prefix}_{int(time.time() * 1000):x}{secrets.token_hex(4)}"


def _json(text: Any, default: Any) -> Any:
    if not isinstance(text, str) or not text:
        return default
    try:
        return json.loads(text)
    except ValueError:
        return default


def _dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _session(row: Row) -> dict[str, Any]:
    return {
        "id": row[0],
        "title": row[1],
        "createdAt": int(row[2]),
        "updatedAt": int(row[3]),
        "currentImage": _json(row[4], None),
        "styleLocks": _json(row[5], []),
        "subjectLocks": _json(row[6], []),
        "webSearchEnabled": bool(row[7]),
        "generationSettings": agent.settings_with(_json(row[8], {}), {}),
        "summary": row[9],
        "compacted": int(row[10]) > 0,
        "compactedSeq": int(row[10]),
        "turnCount": int(row[11]),
        "imageCount": int(row[12]),
    }


def _turn(row: Row, compacted_seq: int) -> dict[str, Any]:
    return {
        "id": row[0],
        "sessionId": row[1],
        "seq": int(row[2]),
        "role": row[3],
        "text": row[4],
        "images": _json(row[5], []),
        "toolCalls": _json(row[6], []),
        "status": row[7],
        "createdAt": int(row[8]),
        "compacted": int(row[2]) <= compacted_seq,
    }


def _queue_item(row: Row) -> dict[str, Any]:
    return {
        "id": row[0],
        "sessionId": row[1],
        "requestId": row[2],
        "prompt": row[3],
        "command": _json(row[4], None),
        "status": row[5],
        "attempts": int(row[6]),
        "options": _json(row[7], {}),
        "resultImages": _json(row[8], []),
        "errorCode": row[9],
        "errorMessage": row[10],
        "createdAt": int(row[11]),
        "startedAt": int(row[12]) if row[12] is not None else None,
        "finishedAt": int(row[13]) if row[13] is not None else None,
    }


def _image_of(row: Row) -> dict[str, Any]:
    filename, created_at, metadata, has_thumb = row
    meta = _json(metadata, {})
    image: dict[str, Any] = {
        "filename": filename,
        "url": f"/generated/{filename}",
        "prompt": meta.get("userPrompt") or meta.get("prompt"),
        "revisedPrompt": meta.get("revisedPrompt"),
        "createdAt": int(created_at),
    }
    if has_thumb:
        image["thumb"] = f"/generated/{thumb_name(filename)}"
    return image


class AgentRecords(Protocol):
    """What the servicer and the tests need of Agent storage."""

    async def create_session(self, body: dict[str, Any]) -> dict[str, Any]: ...
    async def list_sessions(self) -> list[dict[str, Any]]: ...
    async def get_session(self, session_id: str) -> tuple[dict[str, Any], list[dict[str, Any]]]: ...
    async def update_session(self, session_id: str, patch: dict[str, Any]) -> dict[str, Any]: ...
    async def delete_session(self, session_id: str) -> None: ...
    async def append_turn(self, session_id: str, turn: dict[str, Any]) -> dict[str, Any]: ...
    async def compact(
        self, session_id: str, summary: str, keep_turns: int
    ) -> tuple[dict[str, Any], list[dict[str, Any]]]: ...
    async def create_queue_item(self, body: dict[str, Any]) -> dict[str, Any]: ...
    async def get_queue_item(self, item_id: str) -> dict[str, Any]: ...
    async def list_queue(
        self, session_id: str, statuses: Sequence[str], limit: int
    ) -> list[dict[str, Any]]: ...
    async def transition(
        self, item_id: str, from_status: Sequence[str], fields: dict[str, Any]
    ) -> tuple[dict[str, Any], bool]: ...
    async def start_in_turn(
        self, item_id: str, fields: dict[str, Any]
    ) -> tuple[dict[str, Any], bool, list[dict[str, Any]]]: ...


class AgentStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    # -- sessions

    @staticmethod
    async def _session_row(tx: Tx, session_id: str) -> dict[str, Any]:
        row = await tx.fetchone(f"SELECT {_SESSION_COLUMNS} FROM agent_sessions WHERE id = ?", (session_id,))
        if row is None:
            raise Ima2Error("AGENT_SESSION_NOT_FOUND", f"Agent session not found: {session_id}")
        return _session(row)

    @staticmethod
    async def _image(tx: Tx, value: Any) -> dict[str, Any]:
        """A history image by `{filename}`: only files of the library can become current."""
        filename = value.get("filename") if isinstance(value, dict) else None
        if not isinstance(filename, str) or not filename:
            raise Ima2Error("AGENT_INVALID_SETTINGS", "currentImage must be {filename}.")
        row = await tx.fetchone(
            "SELECT filename, created_at, metadata, has_thumb FROM media WHERE filename = ? AND status = 'ok'",
            (filename,),
        )
        if row is None:
            raise Ima2Error("AGENT_IMAGE_NOT_FOUND", "That image is not in the history.")
        return _image_of(row)

    @staticmethod
    def _title(value: Any) -> str:
        if not isinstance(value, str):
            raise Ima2Error("AGENT_INVALID_SETTINGS", "title must be a string.")
        title = " ".join(value.split())[: agent.MAX_TITLE_CHARS]
        if not title:
            raise Ima2Error("AGENT_INVALID_SETTINGS", "title must not be empty.")
        return title

    async def create_session(self, body: dict[str, Any]) -> dict[str, Any]:
        title = self._title(body["title"]) if body.get("title") is not None else agent.DEFAULT_TITLE
        settings = agent.settings_with({}, body.get("generationSettings") or {})
        web_search = body.get("webSearchEnabled") is not False
        session_id, now = new_id("as"), now_ms()
        async with self.db.transaction() as tx:
            image = await self._image(tx, body["currentImage"]) if body.get("currentImage") else None
            await tx.execute(
                "INSERT INTO agent_sessions (id, title, created_at, updated_at, current_image, "
                "web_search_enabled, settings) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    session_id,
                    title,
                    now,
                    now,
                    _dump(image) if image else None,
                    int(web_search),
                    _dump(settings),
                ),
            )
            return await self._session_row(tx, session_id)

    async def list_sessions(self) -> list[dict[str, Any]]:
        async with self.db.snapshot() as tx:
            rows = await tx.fetchall(
                f"SELECT {_SESSION_COLUMNS} FROM agent_sessions ORDER BY updated_at DESC, id DESC"
            )
        return [_session(row) for row in rows]

    async def get_session(self, session_id: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        async with self.db.snapshot() as tx:
            session = await self._session_row(tx, session_id)
            rows = await tx.fetchall(
                f"SELECT {_TURN_COLUMNS} FROM agent_turns WHERE session_id = ? ORDER BY seq", (session_id,)
            )
        return session, [_turn(row, session["compactedSeq"]) for row in rows]

    async def update_session(self, session_id: str, patch: dict[str, Any]) -> dict[str, Any]:
        sets: list[str] = []
        params: list[Any] = []
        async with self.db.transaction() as tx:
            session = await self._session_row(tx, session_id)
            if "title" in patch:
                sets.append("title = ?")
                params.append(self._title(patch["title"]))
            if "webSearchEnabled" in patch:
                if not isinstance(patch["webSearchEnabled"], bool):
                    raise Ima2Error("AGENT_INVALID_SETTINGS", "webSearchEnabled must be a boolean.")
                sets.append("web_search_enabled = ?")
                params.append(int(patch["webSearchEnabled"]))
            if "generationSettings" in patch:
                given = patch["generationSettings"]
                if not isinstance(given, dict):
                    raise Ima2Error("AGENT_INVALID_SETTINGS", "generationSettings must be an object.")
                sets.append("settings = ?")
                params.append(_dump(agent.settings_with(session["generationSettings"], given)))
            for key, column in (("styleLocks", "style_locks"), ("subjectLocks", "subject_locks")):
                if key in patch:
                    sets.append(f"{column} = ?")
                    params.append(_dump(agent.clean_locks(patch[key], key)))
            if "currentImage" in patch:
                image = await self._image(tx, patch["currentImage"]) if patch["currentImage"] else None
                sets.append("current_image = ?")
                params.append(_dump(image) if image else None)
            if "resultImage" in patch:  # set by the runner: an image it just stored
                sets.append("current_image = ?")
                params.append(_dump(patch["resultImage"]))
            sets.append("updated_at = ?")
            params.append(now_ms())
            await tx.execute(
                f"UPDATE agent_sessions SET {', '.join(sets)} WHERE id = ?", (*params, session_id)
            )
            return await self._session_row(tx, session_id)

    async def delete_session(self, session_id: str) -> None:
        async with self.db.transaction() as tx:
            await self._session_row(tx, session_id)
            await tx.execute("DELETE FROM agent_turns WHERE session_id = ?", (session_id,))
            await tx.execute("DELETE FROM agent_queue WHERE session_id = ?", (session_id,))
            await tx.execute("DELETE FROM agent_sessions WHERE id = ?", (session_id,))

    # -- turns

    async def append_turn(self, session_id: str, turn: dict[str, Any]) -> dict[str, Any]:
        role = turn.get("role")
        if role not in (agent.USER, agent.ASSISTANT, "tool"):
            raise Ima2Error("AGENT_INVALID_SETTINGS", "role must be user, assistant or tool.")
        images = turn.get("images") or []
        turn_id, now = new_id("at"), now_ms()
        async with self.db.transaction() as tx:
            session = await self._session_row(tx, session_id)
            row = await tx.fetchone("SELECT next_seq FROM agent_sessions WHERE id = ?", (session_id,))
            seq = int(row[0]) if row else 1
            await tx.execute(
                f"INSERT INTO agent_turns ({_TURN_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    turn_id,
                    session_id,
                    seq,
                    role,
                    str(turn.get("text") or ""),
                    _dump(images),
                    _dump(turn.get("toolCalls") or []),
                    str(turn.get("status") or agent.TURN_COMPLETE),
                    now,
                ),
            )
            await tx.execute(
                "UPDATE agent_sessions SET next_seq = ?, turn_count = turn_count + 1, "
                "image_count = image_count + ?, updated_at = ? WHERE id = ?",
                (seq + 1, len(images), now, session_id),
            )
            found = await tx.fetchone(f"SELECT {_TURN_COLUMNS} FROM agent_turns WHERE id = ?", (turn_id,))
        assert found is not None
        return _turn(found, session["compactedSeq"])

    async def compact(
        self, session_id: str, summary: str, keep_turns: int
    ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """Fold every turn but the last `keep_turns` into the session summary."""
        async with self.db.transaction() as tx:
            await self._session_row(tx, session_id)
            row = await tx.fetchone("SELECT next_seq FROM agent_sessions WHERE id = ?", (session_id,))
            last_seq = int(row[0]) - 1 if row else 0
            upto = max(0, last_seq - max(0, keep_turns))
            await tx.execute(
                "UPDATE agent_sessions SET summary = ?, compacted_seq = ?, updated_at = ? WHERE id = ?",
                (summary, upto, now_ms(), session_id),
            )
        return await self.get_session(session_id)

    # -- queue

    @staticmethod
    async def _lock_session(tx: Tx, session_id: str) -> None:
        """Take the session's row lock (PostgreSQL; SQLite has one writer anyway) for this transaction."""
        await tx.execute("UPDATE agent_sessions SET updated_at = updated_at WHERE id = ?", (session_id,))

    async def create_queue_item(self, body: dict[str, Any]) -> dict[str, Any]:
        item_id, session_id = new_id("aq"), str(body["sessionId"])
        async with self.db.transaction() as tx:
            await self._session_row(tx, session_id)
            await self._lock_session(tx, session_id)
            # Strictly increasing within the session: the items' turns follow it.
            last = await tx.fetchone(
                "SELECT MAX(created_at) FROM agent_queue WHERE session_id = ?", (session_id,)
            )
            now = max(now_ms(), int(last[0]) + 1 if last and last[0] is not None else 0)
            taken = await tx.fetchone("SELECT 1 FROM agent_queue WHERE request_id = ?", (body["requestId"],))
            if taken is not None:
                raise Ima2Error("REQUEST_ID_IN_USE", "requestId is already used by an Agent queue item.")
            await tx.execute(
                f"INSERT INTO agent_queue ({_QUEUE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, 0, ?, '[]', NULL, NULL, ?, NULL, NULL)",
                (
                    item_id,
                    body["sessionId"],
                    body["requestId"],
                    body["prompt"],
                    _dump(body["command"]) if body.get("command") else None,
                    agent.QUEUED,
                    _dump(body.get("options") or {}),
                    now,
                ),
            )
            return await self._queue_row(tx, item_id)

    @staticmethod
    async def _queue_row(tx: Tx, item_id: str) -> dict[str, Any]:
        row = await tx.fetchone(f"SELECT {_QUEUE_COLUMNS} FROM agent_queue WHERE id = ?", (item_id,))
        if row is None:
            raise Ima2Error("AGENT_QUEUE_ITEM_NOT_FOUND", f"Agent queue item not found: {item_id}")
        return _queue_item(row)

    async def get_queue_item(self, item_id: str) -> dict[str, Any]:
        async with self.db.snapshot() as tx:
            return await self._queue_row(tx, item_id)

    async def list_queue(self, session_id: str, statuses: Sequence[str], limit: int) -> list[dict[str, Any]]:
        where, params = [], []
        if session_id:
            where.append("session_id = ?")
            params.append(session_id)
        if statuses:
            where.append(f"status IN ({', '.join('?' for _ in statuses)})")
            params.extend(statuses)
        clause = f"WHERE {' AND '.join(where)}" if where else ""
        async with self.db.snapshot() as tx:
            if session_id:
                await self._session_row(tx, session_id)
            rows = await tx.fetchall(
                f"SELECT {_QUEUE_COLUMNS} FROM agent_queue {clause} ORDER BY created_at DESC, id DESC LIMIT ?",
                (*params, max(1, min(limit or 100, 500))),
            )
        return [_queue_item(row) for row in rows]

    async def transition(
        self, item_id: str, from_status: Sequence[str], fields: dict[str, Any]
    ) -> tuple[dict[str, Any], bool]:
        async with self.db.transaction() as tx:
            return await self._transition(tx, item_id, from_status, fields)

    @classmethod
    async def _transition(
        cls, tx: Tx, item_id: str, from_status: Sequence[str], fields: dict[str, Any]
    ) -> tuple[dict[str, Any], bool]:
        sets, params = [], []
        for key, value in fields.items():
            column = _QUEUE_FIELDS.get(key)
            if column is None:
                continue
            sets.append(f"{column} = ?")
            params.append(_dump(value) if key in _JSON_FIELDS else value)
        if "status" in fields and fields["status"] not in agent.QUEUE_STATUSES:
            raise Ima2Error("AGENT_INVALID_SETTINGS", "Unknown queue status.")
        item = await cls._queue_row(tx, item_id)
        if item["status"] not in from_status or not sets:
            return item, False
        marks = ", ".join("?" for _ in from_status)
        changed = await tx.execute(
            f"UPDATE agent_queue SET {', '.join(sets)} WHERE id = ? AND status IN ({marks})",
            (*params, item_id, *from_status),
        )
        return await cls._queue_row(tx, item_id), changed > 0

    async def start_in_turn(
        self, item_id: str, fields: dict[str, Any]
    ) -> tuple[dict[str, Any], bool, list[dict[str, Any]]]:
        """Mark a queued item running when its turn has come; answers (item, started, ahead).

        Items of a session start in the order they were queued, at most `parallelism` at once,
        whichever replica runs them. `ahead` lists the items in its way when it has to wait."""
        async with self.db.transaction() as tx:
            item = await self._queue_row(tx, item_id)
            if item["status"] != agent.QUEUED:
                return item, False, []
            session_id = item["sessionId"]
            await self._lock_session(tx, session_id)  # one start at a time per session
            session = await self._session_row(tx, session_id)
            rows = await tx.fetchall(
                f"SELECT {_QUEUE_COLUMNS} FROM agent_queue WHERE session_id = ? AND (status = ? "
                "OR (status = ? AND (created_at, id) < (?, ?))) ORDER BY created_at, id",
                (session_id, agent.RUNNING, agent.QUEUED, item["createdAt"], item_id),
            )
            ahead = [_queue_item(row) for row in rows]
            if len(ahead) >= int(session["generationSettings"]["parallelism"]):
                return item, False, ahead
            item, started = await self._transition(tx, item_id, (agent.QUEUED,), fields)
            return item, started, []
