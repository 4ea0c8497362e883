"""session ls/show/create/rm/rename, graph load/save (If-Match, conflict), style-sheet commands."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from PIL import Image

from tests.cli.support import TinyServer, api, as_json, assert_error, fault, ima2, ok
from tests.stackctl import RunningStack


def server_session(stack: RunningStack, session_id: str) -> dict[str, Any]:
    session: dict[str, Any] = api(stack, "GET", f"/api/sessions/{session_id}").json()["session"]
    return session


def test_create_ls_show_rename_rm(stack: RunningStack) -> None:
    created = as_json(ok(ima2(stack.home, "session", "create", "Poster ideas", "--json")))
    sid = created["session"]["id"]
    assert server_session(stack, sid)["title"] == "Poster ideas"
    listed = ok(ima2(stack.home, "session", "ls"))
    assert sid in listed.stdout and "Poster ideas" in listed.stdout
    assert sid in [s["id"] for s in as_json(ok(ima2(stack.home, "session", "ls", "--json")))["sessions"]]
    ok(ima2(stack.home, "session", "rename", sid, "Final posters"))
    assert server_session(stack, sid)["title"] == "Final posters"
    shown = ok(ima2(stack.home, "session", "show", sid))
    assert "Final posters" in shown.stdout and "graph version 0" in shown.stdout
    assert_error(ima2(stack.home, "session", "rename", sid, "", "--json"), 5, "INVALID_TITLE", 400)
    ok(ima2(stack.home, "session", "rm", sid))
    assert api(stack, "GET", f"/api/sessions/{sid}").status_code == 404
    assert_error(ima2(stack.home, "session", "show", sid, "--json"), 5, "SESSION_NOT_FOUND", 404)


def test_graph_load_save_and_conflict(stack: RunningStack, tmp_path: Path) -> None:
    sid = ok(ima2(stack.home, "session", "create", "graph")).stdout.strip()
    graph_file = tmp_path / "graph.json"
    ok(ima2(stack.home, "session", "graph", "load", sid, "-o", str(graph_file)))
    graph = json.loads(graph_file.read_text())
    assert graph == {"sessionId": sid, "version": 0, "nodes": [], "edges": []}
    graph["nodes"] = [
        {"id": "a", "x": 0, "y": 0, "data": {"prompt": "first"}},
        {"id": "b", "x": 100, "y": 0, "data": {"prompt": "second"}},
    ]
    graph["edges"] = [{"id": "a-b", "source": "a", "target": "b", "data": {}}]
    graph_file.write_text(json.dumps(graph))
    saved = as_json(
        ok(ima2(stack.home, "session", "graph", "save", sid, "--file", str(graph_file), "--json"))
    )
    assert saved == {"ok": True, "nodes": 2, "edges": 1, "graphVersion": 1}
    stored = server_session(stack, sid)
    assert stored["graphVersion"] == 1 and sorted(n["id"] for n in stored["nodes"]) == ["a", "b"]
    # the file still says version 0: the server moved on, so the save is refused and reported
    conflict = ima2(stack.home, "session", "graph", "save", sid, "--file", str(graph_file), "--json")
    body = assert_error(conflict, 5, "GRAPH_VERSION_CONFLICT", 409)
    assert body["currentVersion"] == 1 and "load it again" in body["guidance"]
    assert server_session(stack, sid)["graphVersion"] == 1
    # load, then save: the new version goes through; stdout is the graph when no -o is given
    fresh = json.loads(ok(ima2(stack.home, "session", "graph", "load", sid)).stdout)
    assert fresh["version"] == 1 and len(fresh["nodes"]) == 2
    fresh["nodes"] = fresh["nodes"][:1]
    fresh["edges"] = []
    text = ok(ima2(stack.home, "session", "graph", "save", sid, "--file", "-", stdin=json.dumps(fresh)))
    assert "version 2" in text.stdout and server_session(stack, sid)["graphVersion"] == 2
    bad = ima2(stack.home, "session", "graph", "save", sid, "--file", "-", "--json", stdin='{"nodes": 1}')
    assert_error(bad, 2, "USAGE")


def test_style_sheet_put_get_toggle(stack: RunningStack, tmp_path: Path) -> None:
    sid = ok(ima2(stack.home, "session", "create", "styled")).stdout.strip()
    sheet = tmp_path / "sheet.json"
    sheet.write_text(json.dumps({"palette": "muted teal", "medium": "watercolor"}))
    ok(ima2(stack.home, "session", "style-sheet", "put", sid, "--file", str(sheet), "--enable"))
    stored = api(stack, "GET", f"/api/sessions/{sid}/style-sheet").json()
    assert stored == {"styleSheet": {"palette": "muted teal", "medium": "watercolor"}, "enabled": True}
    got = as_json(ok(ima2(stack.home, "session", "style-sheet", "get", sid, "--json")))
    assert got == stored
    ok(ima2(stack.home, "session", "style-sheet", "disable", sid))
    assert api(stack, "GET", f"/api/sessions/{sid}/style-sheet").json()["enabled"] is False
    assert "enabled: no" in ok(ima2(stack.home, "session", "style-sheet", "get", sid)).stdout
    assert "enabled" in ok(ima2(stack.home, "session", "style-sheet", "enable", sid)).stdout
    assert api(stack, "GET", f"/api/sessions/{sid}/style-sheet").json()["enabled"] is True


def responses_answer(text: str) -> dict[str, Any]:
    """A non-streaming Responses API answer whose message is `text` (what the extractor reads)."""
    return {
        "id": "resp_style",
        "object": "response",
        "status": "completed",
        "model": "gpt-5.4-mini",
        "output": [
            {
                "type": "message",
                "id": "msg_style",
                "role": "assistant",
                "status": "completed",
                "content": [{"type": "output_text", "text": text, "annotations": []}],
            }
        ],
        "usage": {"input_tokens": 5, "output_tokens": 5, "total_tokens": 10},
    }


def test_style_sheet_extract(faults: RunningStack, tmp_path: Path) -> None:
    stack = faults
    sid = ok(ima2(stack.home, "session", "create", "extract")).stdout.strip()
    # the sandbox's own model answers with a style sheet
    own = as_json(ok(ima2(stack.home, "session", "style-sheet", "extract", sid, "-p", "noir", "--json")))
    assert own["styleSheet"]["palette"] and "noir" in own["styleSheet"]["subject_details"]
    # a model answering prose is reported with the server's code
    fault(stack, upstream="openai", path="/responses", status=200, body=responses_answer("warm colours"))
    refused = ima2(stack.home, "session", "style-sheet", "extract", sid, "-p", "noir", "--json")
    assert_error(refused, 5, "STYLE_SHEET_PARSE", 422)
    answer = {"palette": ["ink", "rain grey"], "mood": "moody noir", "medium": "film still"}
    fault(stack, upstream="openai", path="/responses", status=200, body=responses_answer(json.dumps(answer)))
    ref = tmp_path / "look.png"
    Image.new("RGB", (8, 8), (20, 20, 20)).save(ref)
    args = ("session", "style-sheet", "extract", sid, "-p", "moody noir, rain", "--ref", str(ref), "--json")
    body = as_json(ok(ima2(stack.home, *args)))
    assert body["styleSheet"]["mood"] == "moody noir" and body["styleSheet"]["palette"] == [
        "ink",
        "rain grey",
    ]
    assert api(stack, "GET", f"/api/sessions/{sid}/style-sheet").json()["styleSheet"] == body["styleSheet"]


def test_graph_load_reads_the_graph_route_and_its_etag(stack: RunningStack, tmp_path: Path) -> None:
    """`graph load` asks GET /api/sessions/:id/graph and takes the version from its ETag."""
    with TinyServer(etag='"7"') as server:
        out = tmp_path / "g.json"
        result = ok(
            ima2(
                stack.home,
                "session",
                "graph",
                "load",
                "s_x",
                "-o",
                str(out),
                "--server",
                server.url,
                "--json",
            )
        )
        assert as_json(result) == {"ok": True, "path": str(out), "sessionId": "s_x", "version": 7}
        assert json.loads(out.read_text()) == {"sessionId": "s_x", "version": 7, "nodes": [], "edges": []}
        paths = [seen["path"] for seen in server.seen if seen["path"] != "/api/health"]
        assert paths == ["/api/sessions/s_x/graph"]
    # against the real server: the ETag names the saved version
    sid = ok(ima2(stack.home, "session", "create", "etag")).stdout.strip()
    graph = api(stack, "GET", f"/api/sessions/{sid}/graph")
    assert graph.headers["etag"] == '"0"'
    loaded = json.loads(ok(ima2(stack.home, "session", "graph", "load", sid)).stdout)
    assert loaded["version"] == 0 and loaded["sessionId"] == sid
    assert_error(
        ima2(stack.home, "session", "graph", "load", "s_missing", "--json"), 5, "SESSION_NOT_FOUND", 404
    )
