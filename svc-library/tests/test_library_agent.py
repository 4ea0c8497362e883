"""Agent Mode storage on both backends: sessions, turns, compaction, queue transitions, codes."""

from __future__ import annotations

import asyncio

import pytest

from ima2_common import agent
from ima2_common.errors import Ima2Error
from ima2_library.agent.agent_store import AgentStore
from ima2_library.db.database import Database


async def test_sessions_turns_and_compaction(database: Database) -> None:
    store = AgentStore(database)
    made = await store.create_session({"title": "  A   fox  ", "generationSettings": {"variants": 2}})
    assert made["title"] == "A fox" and made["generationSettings"]["variants"] == 2
    for text in ("one", "two", "three"):
        await store.append_turn(made["id"], {"role": agent.USER, "text": text})
    await store.append_turn(
        made["id"], {"role": agent.ASSISTANT, "text": "img", "images": [{"filename": "a.png"}]}
    )
    session, turns = await store.compact(made["id"], "the story so far", 1)
    assert session["summary"] == "the story so far" and session["imageCount"] == 1
    assert [t["compacted"] for t in turns] == [True, True, True, False]
    with pytest.raises(Ima2Error) as bad:
        await store.update_session(made["id"], {"currentImage": {"filename": "missing.png"}})
    assert bad.value.code == "AGENT_IMAGE_NOT_FOUND"
    await store.delete_session(made["id"])
    with pytest.raises(Ima2Error) as gone:
        await store.get_session(made["id"])
    assert gone.value.code == "AGENT_SESSION_NOT_FOUND"


async def test_queue_transitions_are_compare_and_set(database: Database) -> None:
    store = AgentStore(database)
    made = await store.create_session({})
    item = await store.create_queue_item({"sessionId": made["id"], "requestId": "r-1", "prompt": "p"})
    with pytest.raises(Ima2Error) as taken:
        await store.create_queue_item({"sessionId": made["id"], "requestId": "r-1", "prompt": "p"})
    assert taken.value.code == "REQUEST_ID_IN_USE"
    running, changed = await store.transition(item["id"], (agent.QUEUED,), {"status": agent.RUNNING})
    assert changed and running["status"] == agent.RUNNING
    late, changed = await store.transition(item["id"], (agent.QUEUED,), {"status": agent.FAILED})
    assert not changed and late["status"] == agent.RUNNING
    done, changed = await store.transition(
        item["id"], agent.OPEN_STATUSES, {"status": agent.SUCCEEDED, "resultImages": [{"filename": "x.png"}]}
    )
    assert changed and done["resultImages"] == [{"filename": "x.png"}]
    assert [i["id"] for i in await store.list_queue(made["id"], [agent.SUCCEEDED], 10)] == [item["id"]]


async def test_a_sessions_items_start_in_turn(database: Database) -> None:
    store = AgentStore(database)
    made = await store.create_session({"generationSettings": {"parallelism": 2}})
    items = [
        await store.create_queue_item({"sessionId": made["id"], "requestId": f"turn-{n}", "prompt": "p"})
        for n in range(4)
    ]
    ids = [item["id"] for item in items]
    running = {"status": agent.RUNNING}
    answers = await asyncio.gather(*(store.start_in_turn(item_id, running) for item_id in reversed(ids)))
    started = {item["id"] for item, ok, _ in answers if ok}
    assert started == set(ids[:2])
    waiting, ok, ahead = await store.start_in_turn(ids[2], running)
    assert not ok and waiting["status"] == agent.QUEUED and [i["id"] for i in ahead] == ids[:2]
    await store.transition(ids[0], agent.OPEN_STATUSES, {"status": agent.SUCCEEDED})
    assert (await store.start_in_turn(ids[2], running))[1]
    assert [i["id"] for i in (await store.start_in_turn(ids[3], running))[2]] == ids[1:3]
    await store.transition(ids[3], agent.OPEN_STATUSES, {"status": agent.CANCELED})
    assert await store.start_in_turn(ids[3], running) == (await store.get_queue_item(ids[3]), False, [])
