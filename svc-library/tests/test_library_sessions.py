"""Sessions, graphs, style sheets and prompts at the store level, on each backend; graph rules."""

from __future__ import annotations

import asyncio

import pytest
from library_testkit import scalar

from ima2_common.errors import Ima2Error
from ima2_library.db.database import Database
from ima2_library.prompts.prompts_store import PromptStore
from ima2_library.sessions import graph
from ima2_library.sessions.ids import ulid
from ima2_library.sessions.sessions_store import SessionStore


def test_ulid_shape_and_order() -> None:
    first, second = ulid(1_000), ulid(2_000)
    assert len(first) == 26 and first < second
    assert set(first) <= set("0123456789ABCDEFGHJKMNPQRSTVWXYZ")


@pytest.mark.parametrize(
    ("url", "asset"),
    [
        ("/generated/a%20b.png", "a b.png"),
        ("http://localhost:3333/generated/x.png?v=2#f", "x.png"),
        ("plain.png", "plain.png"),
        ("data:image/png;base64,AAAA", None),
        ("/other/x.png", None),
        ("/generated/a%2Fb.png", None),
        (None, None),
    ],
)
def test_asset_of(url: object, asset: str | None) -> None:
    assert graph.asset_of(url) == asset


def test_normalize_follows_the_reference() -> None:
    nodes = [
        {"id": "a", "data": {"serverNodeId": "srv-a"}},
        {"id": 7, "position": {"x": "3", "y": 4.5}},
        {"data": {}},
        "junk",
    ]
    edges = [{"id": "e", "source": "a", "target": "7"}, {"id": "x", "source": "a", "target": "nope"}]
    result = graph.normalize(nodes, edges)
    assert [n.id for n in result.nodes] == ["a", "7"] and [e.id for e in result.edges] == ["e"]
    assert result.nodes[1].x == 3.0 and result.nodes[1].y == 4.5
    assert result.nodes[1].data["parentServerNodeId"] == "srv-a" and result.parent_conflict is None
    conflict = graph.normalize(
        [{"id": "a"}, {"id": "b"}, {"id": "c"}],
        [
            {"id": "1", "source": "a", "target": "c"},
            {"id": "2", "source": "b", "target": "c"},
        ],
    )
    assert conflict.parent_conflict == "c"
    with pytest.raises(Ima2Error) as err:
        graph.normalize([{"id": "a"}] * 2, [])
    assert err.value.code == "INVALID_GRAPH"
    with pytest.raises(Ima2Error) as err:
        graph.normalize([{"id": i} for i in range(501)], [])
    assert err.value.code == "GRAPH_TOO_LARGE"


async def test_graph_saves_race_to_one_winner(database: Database) -> None:
    store = SessionStore(database)
    session = await store.create_session("race")
    graphs = [
        graph.normalize([{"id": f"n{i}", "data": {"imageUrl": f"/generated/f{i}.png"}}], []) for i in range(6)
    ]
    results = await asyncio.gather(
        *(store.save_graph(session.id, 0, g) for g in graphs), return_exceptions=True
    )
    winners = [r for r in results if not isinstance(r, BaseException)]
    losers = [r for r in results if isinstance(r, Ima2Error)]
    assert len(winners) == 1 and len(losers) == 5
    assert {e.code for e in losers} == {"GRAPH_VERSION_CONFLICT"} and {
        e.extra["currentVersion"] for e in losers
    } == {1}
    loaded = await store.get_session(session.id)
    assert loaded.graph_version == 1 and len(loaded.nodes) == 1

    shown = loaded.nodes[0]["data"]["imageUrl"].rsplit("/", 1)[1]
    touched = await store.mark_asset_missing(shown)
    assert (touched.sessions_touched, touched.nodes_touched) == (1, 1)
    again = await store.get_session(session.id)
    assert again.graph_version == 2 and again.nodes[0]["data"]["status"] == "asset-missing"
    assert (await store.mark_asset_missing(shown)).nodes_touched == 0  # the link is gone

    await store.delete_session(session.id)
    with pytest.raises(Ima2Error) as err:
        await store.save_graph(session.id, 2, graphs[0])
    assert err.value.code == "SESSION_NOT_FOUND"
    assert await scalar(database, "SELECT COUNT(*) FROM graph_nodes") == 0


async def test_default_session_is_made_once(database: Database) -> None:
    store = SessionStore(database)
    made = await asyncio.gather(*(store.ensure_default_session() for _ in range(3)))
    assert sum(1 for m in made if m is not None) == 1
    assert [s.title for s in await store.list_sessions()] == ["My first graph"]


async def test_style_sheet_round_trip(database: Database) -> None:
    store = SessionStore(database)
    sid = (await store.create_session("s")).id
    saved = await store.put_style_sheet(sid, {"mood": "calm", "palette": ["a"]}, True)
    assert saved.style_sheet == {"mood": "calm", "palette": ["a"]} and saved.enabled
    assert (await store.set_style_sheet_enabled(sid, False)).enabled is False
    assert (await store.put_style_sheet(sid, None, None)).style_sheet is None


async def test_prompt_folders_are_unique_per_parent(database: Database) -> None:
    prompts = PromptStore(database)
    folder = await prompts.create_folder("Ideas")
    with pytest.raises(Ima2Error) as err:
        await prompts.create_folder("ideas")
    assert err.value.code == "FOLDER_EXISTS"
    nested = await prompts.create_folder("ideas", folder.id)  # same name, other parent
    assert nested.parent_id == folder.id
    made = await prompts.create_prompt("a prompt with 100% of the_words", folder_id=folder.id)
    found, _ = await prompts.list_prompts(search="100%")
    assert [p.id for p in found] == [made.id]
    assert (await prompts.list_prompts(search="1000%"))[0] == []
