"""Sessions, graphs and style sheets on a `Database` (one implementation for both backends).

A graph is replaced whole on each save. The save is optimistic: one conditional
`UPDATE … WHERE graph_version = <expected>` decides the winner, so of two concurrent saves
against the same version exactly one commits; the other sees the new version and gets
GRAPH_VERSION_CONFLICT with it.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

from ima2_common.errors import Ima2Error
from ima2_library.db.database import Database, Tx, chunks, in_list
from ima2_library.sessions.graph import NormalizedGraph
from ima2_library.sessions.ids import session_id

TITLE_MAX = 200
DEFAULT_SESSION_TITLE = "My first graph"
_SESSION_COLUMNS = "id, title, created_at, updated_at, graph_version"


def now_ms() -> int:
    return int(time.time() * 1000)


@dataclass(slots=True)
class SessionRecord:
    id: str
    title: str
    created_at: int
    updated_at: int
    graph_version: int
    node_count: int = 0
    nodes: list[dict[str, Any]] = field(default_factory=list)
    edges: list[dict[str, Any]] = field(default_factory=list)


@dataclass(slots=True)
class StyleSheetRecord:
    session_id: str
    style_sheet: dict[str, Any] | None
    enabled: bool
    updated_at: int


@dataclass(slots=True)
class GraphSaved:
    nodes: int
    edges: int
    graph_version: int


@dataclass(slots=True)
class AssetMissing:
    sessions_touched: int = 0
    nodes_touched: int = 0


def _loads(text: Any) -> Any:
    if not isinstance(text, str) or not text:
        return {}
    try:
        return json.loads(text)
    except ValueError:
        return {}


def _session(row: tuple[Any, ...], node_count: int = 0) -> SessionRecord:
    return SessionRecord(
        id=row[0],
        title=row[1],
        created_at=int(row[2]),
        updated_at=int(row[3]),
        graph_version=int(row[4]),
        node_count=node_count,
    )


class SessionStore:
    def __init__(self, database: Database) -> None:
        self.db = database

    # Sessions

    async def list_sessions(self) -> list[SessionRecord]:
        rows = await self.db.fetchall(
            f"SELECT {_SESSION_COLUMNS}, (SELECT COUNT(*) FROM graph_nodes n WHERE n.session_id = s.id) "
            "FROM sessions s ORDER BY updated_at DESC, id DESC"
        )
        return [_session(row, int(row[5])) for row in rows]

    async def create_session(self, title: str) -> SessionRecord:
        record = SessionRecord(
            id=session_id(), title=title, created_at=now_ms(), updated_at=0, graph_version=0
        )
        record.updated_at = record.created_at
        await self.db.execute(
            f"INSERT INTO sessions ({_SESSION_COLUMNS}) VALUES (?, ?, ?, ?, 0)",
            (record.id, record.title, record.created_at, record.updated_at),
        )
        return record

    async def ensure_default_session(self) -> SessionRecord | None:
        """The reference makes sure one session exists at startup; returns it when one was made."""
        async with self.db.transaction() as tx:
            if await tx.fetchone("SELECT 1 FROM sessions LIMIT 1") is not None:
                return None
            record = SessionRecord(
                id=session_id(),
                title=DEFAULT_SESSION_TITLE,
                created_at=now_ms(),
                updated_at=0,
                graph_version=0,
            )
            record.updated_at = record.created_at
            await tx.execute(
                f"INSERT INTO sessions ({_SESSION_COLUMNS}) VALUES (?, ?, ?, ?, 0)",
                (record.id, record.title, record.created_at, record.updated_at),
            )
            return record

    async def get_session(self, sid: str) -> SessionRecord:
        async with self.db.snapshot() as tx:
            row = await tx.fetchone(f"SELECT {_SESSION_COLUMNS} FROM sessions WHERE id = ?", (sid,))
            if row is None:
                raise Ima2Error("SESSION_NOT_FOUND")
            nodes = await tx.fetchall(
                "SELECT id, x, y, data FROM graph_nodes WHERE session_id = ? ORDER BY ord", (sid,)
            )
            edges = await tx.fetchall(
                "SELECT id, source, target, data FROM graph_edges WHERE session_id = ? ORDER BY ord", (sid,)
            )
        record = _session(row, len(nodes))
        record.nodes = [{"id": n[0], "x": float(n[1]), "y": float(n[2]), "data": _loads(n[3])} for n in nodes]
        record.edges = [{"id": e[0], "source": e[1], "target": e[2], "data": _loads(e[3])} for e in edges]
        return record

    async def exists(self, sid: str) -> bool:
        return await self.db.fetchone("SELECT 1 FROM sessions WHERE id = ?", (sid,)) is not None

    async def rename_session(self, sid: str, title: str) -> None:
        changed = await self.db.execute(
            "UPDATE sessions SET title = ?, updated_at = ? WHERE id = ?", (title, now_ms(), sid)
        )
        if not changed:
            raise Ima2Error("SESSION_NOT_FOUND")

    async def delete_session(self, sid: str) -> None:
        async with self.db.transaction() as tx:
            # Explicit deletes: PostgreSQL cascades too, but SQLite only with foreign_keys=ON.
            await tx.execute("DELETE FROM graph_edges WHERE session_id = ?", (sid,))
            await tx.execute("DELETE FROM graph_nodes WHERE session_id = ?", (sid,))
            if not await tx.execute("DELETE FROM sessions WHERE id = ?", (sid,)):
                raise Ima2Error("SESSION_NOT_FOUND")

    async def titles(self, ids: list[str]) -> dict[str, str]:
        found: dict[str, str] = {}
        unique = sorted({i for i in ids if i})
        for batch in chunks(unique, 500):
            rows = await self.db.fetchall(
                f"SELECT id, title FROM sessions WHERE id IN {in_list(len(batch))}", batch
            )
            found.update({row[0]: row[1] for row in rows})
        return found

    # Graphs

    async def save_graph(self, sid: str, expected_version: int, graph: NormalizedGraph) -> GraphSaved:
        async with self.db.transaction() as tx:
            won = await tx.execute(
                "UPDATE sessions SET graph_version = graph_version + 1, updated_at = ? "
                "WHERE id = ? AND graph_version = ?",
                (now_ms(), sid, expected_version),
            )
            if not won:
                row = await tx.fetchone("SELECT graph_version FROM sessions WHERE id = ?", (sid,))
                if row is None:
                    raise Ima2Error("SESSION_NOT_FOUND")
                current = int(row[0])
                raise Ima2Error(
                    "GRAPH_VERSION_CONFLICT",
                    f"Graph version conflict: expected {expected_version}, current {current}.",
                    extra={"currentVersion": current},
                )
            if graph.parent_conflict is not None:
                raise Ima2Error(
                    "GRAPH_PARENT_CONFLICT", f"Node {graph.parent_conflict[:80]} has multiple parent edges."
                )
            await tx.execute("DELETE FROM graph_edges WHERE session_id = ?", (sid,))
            await tx.execute("DELETE FROM graph_nodes WHERE session_id = ?", (sid,))
            await tx.executemany(
                "INSERT INTO graph_nodes (session_id, id, ord, x, y, data, asset) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [(sid, n.id, i, n.x, n.y, n.data_json, n.asset) for i, n in enumerate(graph.nodes)],
            )
            await tx.executemany(
                "INSERT INTO graph_edges (session_id, id, ord, source, target, data) VALUES (?, ?, ?, ?, ?, ?)",
                [(sid, e.id, i, e.source, e.target, e.data_json) for i, e in enumerate(graph.edges)],
            )
        return GraphSaved(nodes=len(graph.nodes), edges=len(graph.edges), graph_version=expected_version + 1)

    async def mark_asset_missing(self, filename: str) -> AssetMissing:
        """Nodes showing `filename` lose it (`imageUrl=null`, `status="asset-missing"`); their
        sessions' graph versions go up so open clients reload instead of saving over it."""
        async with self.db.transaction() as tx:
            return await self._mark_missing(tx, filename)

    @staticmethod
    async def _mark_missing(tx: Tx, filename: str) -> AssetMissing:
        rows = await tx.fetchall("SELECT session_id, id, data FROM graph_nodes WHERE asset = ?", (filename,))
        if not rows:
            return AssetMissing()
        sessions: set[str] = set()
        for sid, node_id, text in rows:
            data = _loads(text)
            if not isinstance(data, dict):
                data = {}
            data["imageUrl"] = None
            data["status"] = "asset-missing"
            await tx.execute(
                "UPDATE graph_nodes SET data = ?, asset = NULL WHERE session_id = ? AND id = ?",
                (json.dumps(data, ensure_ascii=False, separators=(",", ":")), sid, node_id),
            )
            sessions.add(sid)
        stamp = now_ms()
        for sid in sorted(sessions):
            await tx.execute(
                "UPDATE sessions SET graph_version = graph_version + 1, updated_at = ? WHERE id = ?",
                (stamp, sid),
            )
        return AssetMissing(sessions_touched=len(sessions), nodes_touched=len(rows))

    # Style sheets

    async def get_style_sheet(self, sid: str) -> StyleSheetRecord:
        row = await self.db.fetchone(
            "SELECT style_sheet, style_sheet_enabled, style_sheet_updated_at FROM sessions WHERE id = ?",
            (sid,),
        )
        if row is None:
            raise Ima2Error("SESSION_NOT_FOUND")
        sheet = _loads(row[0]) if row[0] else None
        return StyleSheetRecord(
            session_id=sid,
            style_sheet=sheet if isinstance(sheet, dict) else None,
            enabled=bool(row[1]),
            updated_at=int(row[2] or 0),
        )

    async def put_style_sheet(
        self, sid: str, sheet: dict[str, Any] | None, enabled: bool | None
    ) -> StyleSheetRecord:
        text = None if sheet is None else json.dumps(sheet, ensure_ascii=False, separators=(",", ":"))
        stamp = now_ms()
        if enabled is None:
            changed = await self.db.execute(
                "UPDATE sessions SET style_sheet = ?, style_sheet_updated_at = ?, updated_at = ? WHERE id = ?",
                (text, stamp, stamp, sid),
            )
        else:
            changed = await self.db.execute(
                "UPDATE sessions SET style_sheet = ?, style_sheet_enabled = ?, style_sheet_updated_at = ?, "
                "updated_at = ? WHERE id = ?",
                (text, 1 if enabled else 0, stamp, stamp, sid),
            )
        if not changed:
            raise Ima2Error("SESSION_NOT_FOUND")
        return await self.get_style_sheet(sid)

    async def set_style_sheet_enabled(self, sid: str, enabled: bool) -> StyleSheetRecord:
        stamp = now_ms()
        changed = await self.db.execute(
            "UPDATE sessions SET style_sheet_enabled = ?, style_sheet_updated_at = ?, updated_at = ? WHERE id = ?",
            (1 if enabled else 0, stamp, stamp, sid),
        )
        if not changed:
            raise Ima2Error("SESSION_NOT_FOUND")
        return await self.get_style_sheet(sid)
