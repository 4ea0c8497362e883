"""Sessions: ls/show/create/rm/rename, the graph (load; save with If-Match) and the style sheet."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from ima2_cli import client
from ima2_cli.app import Runtime, command, new_app, usage
from ima2_cli.client import CliError, segment
from ima2_cli.jobs import data_url_of, new_request_id

session_app = new_app("Node-graph sessions.", "ima2 session ls")
graph_app = new_app(
    "A session's node graph: load it to a file, save it back.",
    "ima2 session graph load s_01J... -o graph.json",
)
sheet_app = new_app("A session's style sheet.", "ima2 session style-sheet get s_01J...")

SessionId = Annotated[str, typer.Argument(help="Session id (s_…), as `ima2 session ls` shows it")]


def register(app: typer.Typer) -> None:
    app.add_typer(session_app, name="session")
    session_app.add_typer(graph_app, name="graph")
    session_app.add_typer(sheet_app, name="style-sheet")


def _when(ms: Any) -> str:
    if not isinstance(ms, int | float) or ms <= 0:
        return ""
    return datetime.fromtimestamp(ms / 1000).strftime("%Y-%m-%d %H:%M")


def _path(session_id: str, tail: str = "") -> str:
    return f"/api/sessions/{segment(session_id)}{tail}"


@command(session_app, "ls", "ima2 session ls --json")
def session_ls(rt: Runtime) -> int:
    """List sessions, most recently updated first."""
    data = rt.api().get("/api/sessions")

    def human() -> None:
        rows = [
            (
                s.get("id"),
                s.get("title"),
                s.get("nodeCount"),
                s.get("graphVersion"),
                _when(s.get("updatedAt")),
            )
            for s in data.get("sessions") or []
        ]
        rt.out.table(("id", "title", "nodes", "version", "updated"), rows)

    rt.out.emit(data, human)
    return client.EXIT_OK


@command(session_app, "show", "ima2 session show s_01J...")
def session_show(rt: Runtime, session_id: SessionId) -> int:
    """A session with its nodes and edges."""
    data = rt.api().get(_path(session_id))
    session = data.get("session") or {}

    def human() -> None:
        rt.out.line(
            f"{session.get('id')}: {session.get('title')!r}, graph version {session.get('graphVersion')}, "
            f"{len(session.get('nodes') or [])} nodes, {len(session.get('edges') or [])} edges"
        )
        rows = []
        for node in session.get("nodes") or []:
            inner = node.get("data") if isinstance(node.get("data"), dict) else {}
            rows.append(
                (
                    node.get("id"),
                    inner.get("serverNodeId") or "",
                    inner.get("imageUrl") or inner.get("prompt") or "",
                )
            )
        if rows:
            rt.out.table(("node", "server node", "image / prompt"), rows)

    rt.out.emit(data, human)
    return client.EXIT_OK


@command(session_app, "create", 'ima2 session create "Poster ideas"')
def session_create(rt: Runtime, title: Annotated[str, typer.Argument(help="Title")] = "") -> int:
    """Create a session and print its id."""
    data = rt.api().request("POST", "/api/sessions", json={"title": title})
    session = data.get("session") or {}
    rt.out.emit(data, lambda: rt.out.line(str(session.get("id"))))
    return client.EXIT_OK


@command(session_app, "rm", "ima2 session rm s_01J...")
def session_rm(rt: Runtime, session_id: SessionId) -> int:
    """Delete a session and its graph (the images stay in the gallery)."""
    data = rt.api().request("DELETE", _path(session_id))
    rt.out.emit(data, lambda: rt.out.line(f"deleted {session_id}"))
    return client.EXIT_OK


@command(session_app, "rename", 'ima2 session rename s_01J... "Final posters"')
def session_rename(
    rt: Runtime, session_id: SessionId, title: Annotated[str, typer.Argument(help="New title")]
) -> int:
    """Rename a session."""
    data = rt.api().request("PATCH", _path(session_id), json={"title": title})
    rt.out.emit(data, lambda: rt.out.line(f"renamed {session_id}"))
    return client.EXIT_OK


# --- graph ----------------------------------------------------------------------------------------


def _write_json(path: str | None, data: Any) -> None:
    text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    if path in (None, "-"):
        sys.stdout.write(text)
    else:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_text(text, encoding="utf-8")


def _etag_version(value: str | None) -> int | None:
    """The graph version an ETag names (`"7"` or `W/"7"`), or None."""
    text = (value or "").strip().removeprefix("W/").strip('"')
    return int(text) if text.isdigit() else None


def _load_graph(api: client.ApiClient, session_id: str) -> dict[str, Any]:
    response = api.send("GET", _path(session_id, "/graph"))
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise CliError("the server answered the graph load without JSON", client.EXIT_SERVER, "BAD_RESPONSE")
    version = _etag_version(response.headers.get("etag"))
    if version is None and isinstance(body.get("graphVersion"), int):
        version = body["graphVersion"]
    return {
        "sessionId": body.get("sessionId") or session_id,
        "version": version,
        "nodes": body.get("nodes") or [],
        "edges": body.get("edges") or [],
    }


@command(graph_app, "load", "ima2 session graph load s_01J... -o graph.json")
def graph_load(
    rt: Runtime,
    session_id: SessionId,
    out: Annotated[
        str | None, typer.Option("-o", "--out", help="Write the graph here (default: stdout)")
    ] = None,
) -> int:
    """Write a session's graph as {sessionId, version, nodes, edges} JSON (GET /api/sessions/:id/graph;
    the version is the one its ETag names, to send back in If-Match when saving)."""
    graph = _load_graph(rt.api(), session_id)
    if out:
        _write_json(out, graph)
        rt.out.emit(
            {"ok": True, "path": out, **{k: graph[k] for k in ("sessionId", "version")}},
            lambda: rt.out.line(out),
        )
    else:
        _write_json(None, graph)
    return client.EXIT_OK


@command(graph_app, "save", "ima2 session graph save s_01J... --file graph.json")
def graph_save(
    rt: Runtime,
    session_id: SessionId,
    file: Annotated[str, typer.Option("--file", help="Graph JSON ({nodes, edges}); '-' reads stdin")],
    expect: Annotated[
        int | None,
        typer.Option(
            "--expect-version", help="Save only if the server is still at this version (default: the file's)"
        ),
    ] = None,
) -> int:
    """Save a graph: reads the current version (GET), then PUTs with If-Match; a conflict is reported."""
    text = sys.stdin.read() if file == "-" else Path(file).read_text(encoding="utf-8")
    try:
        graph = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CliError(f"{file} is not valid JSON ({exc.msg})", client.EXIT_USAGE, "INVALID_JSON") from None
    if (
        not isinstance(graph, dict)
        or not isinstance(graph.get("nodes"), list)
        or not isinstance(graph.get("edges"), list)
    ):
        raise usage('the graph file needs "nodes" and "edges" arrays')
    api = rt.api()
    current = _load_graph(api, session_id)["version"]
    version = expect if expect is not None else graph.get("version", current)
    if not isinstance(version, int):
        version = current
    headers = {
        "If-Match": f'"{version}"',
        "X-Ima2-Graph-Save-Id": new_request_id(),
        "X-Ima2-Graph-Save-Reason": "cli",
    }
    try:
        data = api.request(
            "PUT",
            _path(session_id, "/graph"),
            json={"nodes": graph["nodes"], "edges": graph["edges"]},
            headers=headers,
        )
    except CliError as err:
        if err.code == "GRAPH_VERSION_CONFLICT":
            err.guidance = (
                f"the graph changed since version {version} (now {err.extra.get('currentVersion', current)}); "
                "load it again, merge, and save"
            )
        raise
    rt.out.emit(
        data,
        lambda: rt.out.line(
            f"saved: version {data.get('graphVersion')}, {data.get('nodes')} nodes, {data.get('edges')} edges"
        ),
    )
    return client.EXIT_OK


# --- style sheet ----------------------------------------------------------------------------------


@command(sheet_app, "get", "ima2 session style-sheet get s_01J... --json")
def sheet_get(rt: Runtime, session_id: SessionId) -> int:
    """A session's style sheet and whether it is used."""
    data = rt.api().get(_path(session_id, "/style-sheet"))

    def human() -> None:
        rt.out.line(f"enabled: {'yes' if data.get('enabled') else 'no'}")
        sheet = data.get("styleSheet")
        rt.out.line(json.dumps(sheet, indent=2, ensure_ascii=False) if sheet else "no style sheet")

    rt.out.emit(data, human)
    return client.EXIT_OK


@command(sheet_app, "put", "ima2 session style-sheet put s_01J... --file sheet.json --enable")
def sheet_put(
    rt: Runtime,
    session_id: SessionId,
    file: Annotated[str, typer.Option("--file", help="Style sheet JSON object; '-' reads stdin")],
    enable: Annotated[bool | None, typer.Option("--enable/--disable", help="Also turn it on or off")] = None,
) -> int:
    """Replace a session's style sheet."""
    text = sys.stdin.read() if file == "-" else Path(file).read_text(encoding="utf-8")
    try:
        sheet = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CliError(f"{file} is not valid JSON ({exc.msg})", client.EXIT_USAGE, "INVALID_JSON") from None
    body: dict[str, Any] = {"styleSheet": sheet}
    if enable is not None:
        body["enabled"] = enable
    data = rt.api().request("PUT", _path(session_id, "/style-sheet"), json=body)
    rt.out.emit(data, lambda: rt.out.line(f"saved the style sheet of {session_id}"))
    return client.EXIT_OK


def _toggle(rt: Runtime, session_id: str, enabled: bool) -> int:
    data = rt.api().request("PATCH", _path(session_id, "/style-sheet/enabled"), json={"enabled": enabled})
    rt.out.emit(data, lambda: rt.out.line(f"style sheet {'enabled' if data.get('enabled') else 'disabled'}"))
    return client.EXIT_OK


@command(sheet_app, "enable", "ima2 session style-sheet enable s_01J...")
def sheet_enable(rt: Runtime, session_id: SessionId) -> int:
    """Use the style sheet for this session's generations."""
    return _toggle(rt, session_id, True)


@command(sheet_app, "disable", "ima2 session style-sheet disable s_01J...")
def sheet_disable(rt: Runtime, session_id: SessionId) -> int:
    """Stop using the style sheet (it is kept)."""
    return _toggle(rt, session_id, False)


@command(
    sheet_app, "extract", 'ima2 session style-sheet extract s_01J... -p "watercolor, muted" --ref look.png'
)
def sheet_extract(
    rt: Runtime,
    session_id: SessionId,
    prompt: Annotated[str, typer.Option("-p", "--prompt", help="Describe the style")],
    ref: Annotated[Path | None, typer.Option("--ref", help="A reference image")] = None,
) -> int:
    """Derive a style sheet from a prompt (and an image) and store it; needs an OpenAI API key."""
    body: dict[str, Any] = {"prompt": prompt}
    if ref is not None:
        body["referenceDataUrl"] = data_url_of(ref, "reference")
    data = rt.api().request(
        "POST", _path(session_id, "/style-sheet/extract"), json=body, timeout=rt.timeout or 200
    )
    rt.out.emit(data, lambda: rt.out.line(json.dumps(data.get("styleSheet"), indent=2, ensure_ascii=False)))
    return client.EXIT_OK
