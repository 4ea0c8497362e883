"""Sessions, graphs and style sheets through the gateway, on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from typing import Any

import httpx

from tests.integration.library_stacks import Api, api_fixture, nested_error, pg_stack_fixture  # noqa: F401

ULID_RE = re.compile(r"^s_[0-9A-HJKMNP-TV-Z]{26}$")


async def new_session(api: Api, title: str = "graph test") -> dict[str, Any]:
    response = await api.http.post("/api/sessions", json={"title": title})
    assert response.status_code == 201, response.text
    session: dict[str, Any] = response.json()["session"]
    return session


async def save(
    api: Api, sid: str, version: Any, nodes: list[Any], edges: list[Any], **headers: str
) -> httpx.Response:
    extra = {"If-Match": f'"{version}"'} if version is not None else {}
    return await api.http.put(
        f"/api/sessions/{sid}/graph", json={"nodes": nodes, "edges": edges}, headers={**extra, **headers}
    )


def chain(n: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    nodes = [
        {"id": f"n{i}", "x": i * 10.5, "y": -i, "data": {"serverNodeId": f"srv{i}", "prompt": f"p{i}"}}
        for i in range(n)
    ]
    edges = [{"id": f"e{i}", "source": f"n{i}", "target": f"n{i + 1}", "data": {}} for i in range(n - 1)]
    return nodes, edges


async def test_session_crud(api: Api) -> None:
    created = await new_session(api, "x" * 250)
    assert ULID_RE.match(created["id"]) and created["title"] == "x" * 200 and created["graphVersion"] == 0
    assert created["createdAt"] == created["updatedAt"] > 0
    default = (await api.http.post("/api/sessions", json={})).json()["session"]
    assert default["title"] == "Untitled"

    listed = (await api.http.get("/api/sessions")).json()["sessions"]
    assert {"id", "title", "createdAt", "updatedAt", "graphVersion"} <= set(listed[0])
    assert listed[0]["id"] == default["id"]  # newest updated first
    assert [s["updatedAt"] for s in listed] == sorted((s["updatedAt"] for s in listed), reverse=True)

    sid = created["id"]
    assert (await api.http.patch(f"/api/sessions/{sid}", json={"title": "renamed"})).json() == {"ok": True}
    loaded = (await api.http.get(f"/api/sessions/{sid}")).json()["session"]
    assert loaded["title"] == "renamed" and loaded["nodes"] == [] and loaded["edges"] == []
    nested_error(await api.http.patch(f"/api/sessions/{sid}", json={"title": "  "}), 400, "INVALID_TITLE")
    nested_error(await api.http.patch(f"/api/sessions/{sid}", json={}), 400, "INVALID_TITLE")
    nested_error(await api.http.post("/api/sessions", json={"title": 5}), 400, "INVALID_TITLE")
    assert (await api.http.get(f"/api/sessions/{sid}")).json()["session"]["title"] == "renamed"

    assert (await api.http.delete(f"/api/sessions/{sid}")).json() == {"ok": True}
    nested_error(await api.http.get(f"/api/sessions/{sid}"), 404, "SESSION_NOT_FOUND")
    nested_error(await api.http.delete(f"/api/sessions/{sid}"), 404, "SESSION_NOT_FOUND")
    nested_error(await api.http.patch(f"/api/sessions/{sid}", json={"title": "t"}), 404, "SESSION_NOT_FOUND")
    nodes, edges = chain(2)
    nested_error(await save(api, sid, 0, nodes, edges), 404, "SESSION_NOT_FOUND")
    assert sid not in {s["id"] for s in (await api.http.get("/api/sessions")).json()["sessions"]}


async def test_graph_round_trip_and_versions(api: Api) -> None:
    sid = (await new_session(api))["id"]
    nodes, edges = chain(3)
    nodes.append({"position": {"x": 1, "y": 2}, "data": {}})  # no id: skipped, as in the reference
    edges.append({"id": "dangling", "source": "n0", "target": "ghost"})  # unknown end: dropped
    response = await save(
        api,
        sid,
        0,
        nodes,
        edges,
        **{"X-Ima2-Graph-Save-Id": "save-1", "X-Ima2-Graph-Save-Reason": "test", "X-Ima2-Tab-Id": "tab-a"},
    )
    assert response.json() == {"ok": True, "nodes": 3, "edges": 2, "graphVersion": 1}
    session = (await api.http.get(f"/api/sessions/{sid}")).json()["session"]
    assert session["graphVersion"] == 1 and [n["id"] for n in session["nodes"]] == ["n0", "n1", "n2"]
    assert session["nodes"][1]["x"] == 10.5 and session["nodes"][1]["y"] == -1
    assert session["nodes"][0]["data"]["parentServerNodeId"] is None
    assert session["nodes"][2]["data"]["parentServerNodeId"] == "srv1"
    assert [e["id"] for e in session["edges"]] == ["e0", "e1"]
    # a weak or unquoted ETag-style version works too; the whole graph is replaced
    response = await api.http.put(
        f"/api/sessions/{sid}/graph", json={"nodes": nodes[:1], "edges": []}, headers={"If-Match": 'W/"1"'}
    )
    assert response.json()["graphVersion"] == 2
    assert len((await api.http.get(f"/api/sessions/{sid}")).json()["session"]["nodes"]) == 1
    listed = next(s for s in (await api.http.get("/api/sessions")).json()["sessions"] if s["id"] == sid)
    assert listed["graphVersion"] == 2 and listed["nodeCount"] == 1
    log = (api.stack.home / "logs" / "gateway.log").read_text()
    saves = [json.loads(line) for line in log.splitlines() if '"graph_save"' in line]
    assert any(
        e.get("saveId") == "save-1" and e.get("tabId") == "tab-a" and e.get("saveReason") == "test"
        for e in saves
    )


async def test_graph_errors_change_nothing(api: Api) -> None:
    sid = (await new_session(api))["id"]
    nodes, edges = chain(2)
    assert (await save(api, sid, 0, nodes, edges)).status_code == 200
    nested_error(
        await api.http.put(f"/api/sessions/{sid}/graph", json={"nodes": []}, headers={"If-Match": "1"}),
        400,
        "INVALID_GRAPH",
    )
    nested_error(
        await api.http.put(f"/api/sessions/{sid}/graph", content=b"[1]", headers={"If-Match": "1"}),
        400,
        "INVALID_BODY",
    )
    nested_error(await save(api, sid, None, nodes, edges), 428, "GRAPH_VERSION_REQUIRED")
    nested_error(await save(api, sid, "abc", nodes, edges), 400, "INVALID_GRAPH_VERSION")
    big_nodes = [{"id": f"b{i}"} for i in range(501)]
    nested_error(await save(api, sid, 1, big_nodes, []), 413, "GRAPH_TOO_LARGE")
    big_edges = [{"id": f"e{i}", "source": "n0", "target": "n1"} for i in range(1001)]
    nested_error(await save(api, sid, 1, nodes, big_edges), 413, "GRAPH_TOO_LARGE")
    huge = [{"id": "h", "data": {"blob": "x" * 100_001}}]
    nested_error(await save(api, sid, 1, huge, []), 413, "GRAPH_TOO_LARGE")
    dup = [{"id": "d"}, {"id": "d"}]
    nested_error(await save(api, sid, 1, dup, []), 400, "INVALID_GRAPH")
    two_parents = [{"id": "a"}, {"id": "b"}, {"id": "c"}]
    two_edges = [{"id": "1", "source": "a", "target": "c"}, {"id": "2", "source": "b", "target": "c"}]
    nested_error(await save(api, sid, 1, two_parents, two_edges), 409, "GRAPH_PARENT_CONFLICT")
    body = nested_error(await save(api, sid, 0, nodes, edges), 409, "GRAPH_VERSION_CONFLICT")
    assert body["currentVersion"] == 1
    session = (await api.http.get(f"/api/sessions/{sid}")).json()["session"]
    assert session["graphVersion"] == 1 and [n["id"] for n in session["nodes"]] == ["n0", "n1"]


async def test_concurrent_saves_have_exactly_one_winner(api: Api) -> None:
    sid = (await new_session(api))["id"]
    attempts = [chain(i + 2) for i in range(8)]
    responses = await asyncio.gather(
        *(save(api, sid, 0, n, e, **{"X-Ima2-Tab-Id": f"t{i}"}) for i, (n, e) in enumerate(attempts))
    )
    winners = [r for r in responses if r.status_code == 200]
    losers = [r for r in responses if r.status_code != 200]
    assert len(winners) == 1 and len(losers) == 7
    for loser in losers:
        assert nested_error(loser, 409, "GRAPH_VERSION_CONFLICT")["currentVersion"] == 1
    session = (await api.http.get(f"/api/sessions/{sid}")).json()["session"]
    assert session["graphVersion"] == 1 and len(session["nodes"]) == winners[0].json()["nodes"]


async def test_style_sheet_get_put_toggle(api: Api) -> None:
    sid = (await new_session(api))["id"]
    url = f"/api/sessions/{sid}/style-sheet"
    assert (await api.http.get(url)).json() == {"styleSheet": None, "enabled": False}
    sheet = {"palette": ["deep navy", "gold leaf"], "medium": "oil painting", "mood": "calm", "negative": []}
    assert (await api.http.put(url, json={"styleSheet": sheet, "enabled": True})).json() == {"ok": True}
    assert (await api.http.get(url)).json() == {"styleSheet": sheet, "enabled": True}
    assert (await api.http.patch(f"{url}/enabled", json={"enabled": False})).json() == {
        "ok": True,
        "enabled": False,
    }
    assert (await api.http.get(url)).json() == {"styleSheet": sheet, "enabled": False}
    nested_error(await api.http.put(url, json={"styleSheet": "flat"}), 400, "INVALID_SHEET")
    nested_error(await api.http.put(url, json={"styleSheet": [1]}), 400, "INVALID_SHEET")
    nested_error(
        await api.http.put(url, json={"styleSheet": sheet, "enabled": "yes"}), 400, "INVALID_ENABLED"
    )
    nested_error(await api.http.patch(f"{url}/enabled", json={}), 400, "INVALID_ENABLED")
    nested_error(
        await api.http.put(url, json={"styleSheet": {"medium": "m" * 70_000}}), 413, "STYLE_SHEET_TOO_LARGE"
    )
    nested_error(await api.http.put(url, content=b"x" * 300_000), 413, "STYLE_SHEET_TOO_LARGE")
    assert (await api.http.get(url)).json() == {"styleSheet": sheet, "enabled": False}
    nested_error(await api.http.put(url, json={"enabled": True}), 400, "INVALID_SHEET")
    assert (await api.http.put(url, json={"styleSheet": None})).json() == {"ok": True}
    assert (await api.http.get(url)).json() == {"styleSheet": None, "enabled": False}
    missing = f"/api/sessions/s_{uuid.uuid4().hex}/style-sheet"
    nested_error(await api.http.get(missing), 404, "SESSION_NOT_FOUND")
    nested_error(await api.http.put(missing, json={"styleSheet": sheet}), 404, "SESSION_NOT_FOUND")
    nested_error(await api.http.patch(f"{missing}/enabled", json={"enabled": True}), 404, "SESSION_NOT_FOUND")


def responses_answer(text: str) -> dict[str, Any]:
    """A Responses API (non-streaming) answer whose message carries `text`."""
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
        "usage": {"input_tokens": 50, "output_tokens": 40, "total_tokens": 90},
    }


async def test_style_sheet_extraction(api: Api) -> None:
    sid = (await new_session(api))["id"]
    url = f"/api/sessions/{sid}/style-sheet"
    async with httpx.AsyncClient(base_url=api.sandbox_url, timeout=10) as sandbox:
        await sandbox.delete("/_sandbox/faults")
        await sandbox.delete("/_sandbox/requests")
        try:
            # The sandbox's text model answers with the JSON object it was asked for.
            own = await api.http.post(f"{url}/extract", json={"prompt": "a fox in watercolor"})
            assert own.status_code == 200, own.text
            own_sheet = own.json()["styleSheet"]
            assert (
                3 <= len(own_sheet["palette"]) <= 6 and "a fox in watercolor" in own_sheet["subject_details"]
            )
            assert all(own_sheet[key] for key in ("composition", "mood", "medium"))
            calls = (await sandbox.get("/_sandbox/requests", params={"upstream": "openai"})).json()[
                "requests"
            ]
            call = next(c for c in calls if c["path"].endswith("/responses"))
            assert call["headers"]["authorization"].startswith("Bearer sk-san")
            assert (
                call["json"]["text"] == {"format": {"type": "json_object"}}
                and call["json"]["stream"] is False
            )
            assert call["json"]["input"][1]["content"] == "a fox in watercolor"

            answer = {
                "palette": ["rust orange", " moss green ", 3, "", "ivory", "ink", "sky", "sand", "extra"],
                "composition": "centered three-quarter view",
                "mood": "playful, warm",
                "medium": "watercolor on cold-press paper",
                "subject_details": "a red fox with a white-tipped tail",
                "negative": ["text", "frames"],
                "ignored": True,
            }
            await sandbox.post(
                "/_sandbox/faults",
                json={
                    "upstream": "openai",
                    "path": "/responses",
                    "status": 200,
                    "body": responses_answer(json.dumps(answer)),
                    "count": 1,
                },
            )
            ref = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGP4z8DwHwAFAAH/iZk9HQAAAABJRU5ErkJggg=="
            response = await api.http.post(
                f"{url}/extract", json={"prompt": "a fox", "referenceDataUrl": ref}
            )
            assert response.status_code == 200, response.text
            sheet = response.json()["styleSheet"]
            assert sheet == {
                "palette": ["rust orange", "moss green", "ivory", "ink", "sky", "sand"],
                "composition": "centered three-quarter view",
                "mood": "playful, warm",
                "medium": "watercolor on cold-press paper",
                "subject_details": "a red fox with a white-tipped tail",
                "negative": ["text", "frames"],
            }
            assert (await api.http.get(url)).json() == {"styleSheet": sheet, "enabled": False}

            for text, code in (
                ("{}", "STYLE_SHEET_SHAPE"),
                ("", "STYLE_SHEET_EMPTY"),
                ("Here is a style guide: warm colours.", "STYLE_SHEET_PARSE"),
            ):
                await sandbox.post(
                    "/_sandbox/faults",
                    json={
                        "upstream": "openai",
                        "path": "/responses",
                        "status": 200,
                        "body": responses_answer(text),
                        "count": 1,
                    },
                )
                nested_error(await api.http.post(f"{url}/extract", json={"prompt": "a fox"}), 422, code)
            await sandbox.post(
                "/_sandbox/faults",
                json={"upstream": "openai", "path": "/responses", "status": 429, "count": 1},
            )
            nested_error(await api.http.post(f"{url}/extract", json={"prompt": "a fox"}), 429, "RATE_LIMITED")
            assert (await api.http.get(url)).json()["styleSheet"] == sheet  # failures change nothing
        finally:
            await sandbox.delete("/_sandbox/faults")
    nested_error(await api.http.post(f"{url}/extract", json={"prompt": "  "}), 400, "STYLE_SHEET_BAD_INPUT")
    nested_error(
        await api.http.post(
            f"{url}/extract", json={"prompt": "p", "referenceDataUrl": "data:image/png;base64,!!"}
        ),
        400,
        "REF_NOT_BASE64",
    )
    missing = f"/api/sessions/s_{uuid.uuid4().hex}/style-sheet/extract"
    nested_error(await api.http.post(missing, json={"prompt": "a fox"}), 404, "SESSION_NOT_FOUND")
