"""Agent Mode through the gateway against the sandbox (docs/agent-mode.md): a multi-turn session
(generate, edit the current image, a question, compaction, the manifest), slash commands, the
queue as jobs (events, in-flight, cancel, retry, their 409s), a killed worker's item ending failed
and retryable, and every AGENT_* code."""

from __future__ import annotations

import json
import os
import signal
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest

from ima2_common import agent
from ima2_common.errors import CATALOGUE
from tests.image_support import EventWatch, inflight_ids, rid, upstream_calls, wait_until
from tests.stackctl import RunningStack, start_stack

SESSIONS = "/api/agent/sessions"
HANG = {"upstream": "openai", "path": "/responses", "mode": "hang", "count": 0}
SETTINGS = {"provider": "api"}


def nested(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert body["error"]["code"] == code and body["error"]["message"], body
    assert CATALOGUE[code].status == status
    return body


async def new_session(client: httpx.AsyncClient, **body: Any) -> dict[str, Any]:
    created = await client.post(SESSIONS, json={"generationSettings": SETTINGS, **body})
    assert created.status_code == 201, created.text
    workspace: dict[str, Any] = created.json()
    assert workspace["selectedSessionId"] == workspace["session"]["id"]
    made: dict[str, Any] = workspace["session"]
    return made


@pytest.fixture
async def session(client: httpx.AsyncClient) -> AsyncIterator[dict[str, Any]]:
    made = await new_session(client, title="Test session")
    yield made
    await client.delete(f"{SESSIONS}/{made['id']}")  # shared server state: leave none behind


async def item_status(client: httpx.AsyncClient, session_id: str, item_id: str) -> dict[str, Any]:
    queue = (await client.get(f"{SESSIONS}/{session_id}/queue")).json()["queue"]
    found: dict[str, Any] = next(i for i in queue if i["id"] == item_id)
    return found


async def test_a_multi_turn_session(client: httpx.AsyncClient, session: dict[str, Any]) -> None:
    sid = session["id"]
    url = f"{SESSIONS}/{sid}"
    locks = await client.patch(url, json={"styleLocks": ["watercolour"], "subjectLocks": ["a red fox"]})
    assert locks.status_code == 200 and locks.json()["session"]["styleLocks"] == ["watercolour"]

    # 1. generate: planned by the text model, run as a job, the image becomes current
    first = await client.post(f"{url}/turns", json={"prompt": "A fox in a snowy forest at dawn"})
    assert first.status_code == 200, first.text
    workspace = first.json()
    turns = workspace["turns"]
    assert [t["role"] for t in turns] == ["user", "assistant"]
    made = turns[1]
    assert made["toolCalls"][0]["name"] == agent.TOOL_GENERATE and len(made["images"]) == 1
    generated = made["images"][0]
    assert workspace["session"]["currentImage"]["filename"] == generated["filename"]
    assert (await client.get(generated["url"])).status_code == 200
    history = (await client.get("/api/history", params={"limit": 50})).json()
    assert generated["filename"] in {row["filename"] for row in history["items"]}

    # 2. edit the current image: the planner sees it, the provider gets it as input
    second = (await client.post(f"{url}/turns", json={"prompt": "make it night with a full moon"})).json()
    edited = second["turns"][-1]
    assert edited["toolCalls"][0]["name"] == agent.TOOL_EDIT, edited
    assert second["session"]["currentImage"]["filename"] == edited["images"][0]["filename"]
    assert edited["images"][0]["filename"] != generated["filename"]

    # 3. a question: an answer, no image, the current image unchanged
    third = (await client.post(f"{url}/turns", json={"prompt": "Which palette suits this scene?"})).json()
    answer = third["turns"][-1]
    assert answer["toolCalls"][0]["name"] == agent.TOOL_ANSWER and answer["images"] == []
    assert answer["text"]
    assert third["session"]["currentImage"]["filename"] == edited["images"][0]["filename"]

    # slash commands: /help and /question answer at once, without a queue item
    helped = await client.post(f"{url}/queue", json={"prompt": "/help"})
    assert helped.status_code == 200 and helped.json()["queueItem"] is None
    assert all(c["usage"] in helped.json()["workspace"]["turns"][-1]["text"] for c in agent.COMMANDS)
    asked = await client.post(f"{url}/queue", json={"prompt": "/question how many images so far?"})
    assert asked.status_code == 200 and asked.json()["workspace"]["turns"][-1]["role"] == "assistant"

    # 4. compaction: older turns folded into a summary, the last ones kept
    compacted = (await client.post(f"{url}/compact")).json()
    assert compacted["session"]["compacted"] and compacted["session"]["summary"]
    kept = [t for t in compacted["turns"] if not t["compacted"]]
    assert len(kept) == agent.COMPACT_KEEP_TURNS
    assert len(compacted["turns"]) == 10

    # the manifest and the session list
    manifest = await client.get(f"{url}/manifest")
    assert manifest.status_code == 200 and manifest.headers["content-type"].startswith("application/xml")
    root = ET.fromstring(manifest.text)
    assert root.get("id") == sid and root.find("summary") is not None
    assert root.find("currentImage").get("filename") == edited["images"][0]["filename"]  # type: ignore[union-attr]
    listed = (await client.get(SESSIONS, params={"selectedSessionId": sid})).json()
    assert listed["selectedSessionId"] == sid and sid in [s["id"] for s in listed["sessions"]]
    assert listed["session"]["imageCount"] == 2
    assert (await client.get(f"{url}/errors")).json() == {"errors": []}


async def test_queue_items_are_jobs(client: httpx.AsyncClient, session: dict[str, Any]) -> None:
    sid = session["id"]
    request_id = rid("agent")
    async with EventWatch(client) as watch:
        queued = await client.post(
            f"{SESSIONS}/{sid}/queue", json={"prompt": "/generate a lighthouse", "requestId": request_id}
        )
        assert queued.status_code == 202, queued.text
        item = queued.json()["queueItem"]
        assert item["requestId"] == request_id and item["status"] in ("queued", "running")
        frames = await watch.job(request_id)
    assert frames[-1].event == "done" and frames[-1].data["tool"] == agent.TOOL_GENERATE
    done = await item_status(client, sid, item["id"])
    assert done["status"] == "succeeded" and len(done["resultImages"]) == 1
    everything = (await client.get("/api/agent/queue")).json()["queue"]
    assert item["id"] in [i["id"] for i in everything]
    # a finished item can be neither canceled nor... retried
    nested(await client.post(f"/api/agent/queue/{item['id']}/cancel"), 409, "AGENT_QUEUE_CANCEL_FAILED")
    nested(await client.post(f"/api/agent/queue/{item['id']}/retry"), 409, "AGENT_QUEUE_RETRY_FAILED")
    # the request id is the item's: a second item may not take it
    nested(
        await client.post(f"{SESSIONS}/{sid}/queue", json={"prompt": "again", "requestId": request_id}),
        409,
        "REQUEST_ID_IN_USE",
    )


async def test_cancel_then_retry(
    client: httpx.AsyncClient, sandbox: httpx.AsyncClient, session: dict[str, Any]
) -> None:
    sid = session["id"]
    await sandbox.post("/_sandbox/faults", json=HANG)
    async with EventWatch(client) as watch:
        queued = (
            await client.post(f"{SESSIONS}/{sid}/queue", json={"prompt": "/generate a slow moon"})
        ).json()
        item = queued["queueItem"]
        await wait_until(lambda: _listed(client, item["requestId"]))
        canceled = await client.post(f"/api/agent/queue/{item['id']}/cancel")
        assert canceled.status_code == 200, json.dumps(await item_status(client, sid, item["id"]))
        frames = await watch.job(item["requestId"])
    assert frames[-1].event == "error" and frames[-1].data["code"] == "GENERATION_CANCELED"
    assert (await item_status(client, sid, item["id"]))["status"] == "canceled"
    assert item["requestId"] not in await inflight_ids(client)
    nested(await client.post(f"/api/agent/queue/{item['id']}/cancel"), 409, "AGENT_QUEUE_CANCEL_FAILED")

    await sandbox.delete("/_sandbox/faults")
    async with EventWatch(client) as watch:
        retried = await client.post(f"/api/agent/queue/{item['id']}/retry")
        assert retried.status_code == 200, retried.text
        again = next(i for i in retried.json()["queue"] if i["id"] == item["id"])
        assert again["requestId"] != item["requestId"] and again["status"] in ("queued", "running")
        frames = await watch.job(again["requestId"])
    assert frames[-1].event == "done"
    final = await item_status(client, sid, item["id"])
    assert final["status"] == "succeeded" and final["attempts"] == 2 and final["errorCode"] is None


async def test_a_sessions_items_run_in_order_parallelism_at_once(
    client: httpx.AsyncClient, sandbox: httpx.AsyncClient, session: dict[str, Any]
) -> None:
    sid = session["id"]
    await sandbox.post("/_sandbox/faults", json=HANG)

    async def queue(prompt: str) -> dict[str, Any]:
        queued = await client.post(f"{SESSIONS}/{sid}/queue", json={"prompt": prompt})
        assert queued.status_code == 202, queued.text
        item: dict[str, Any] = queued.json()["queueItem"]
        return item

    first, second = await queue("/generate one moon"), await queue("/generate two moons")
    await wait_until(lambda: _running(client, sid, first["id"]))
    # The second one's job is admitted and shown waiting, but its item does not start.
    await wait_until(lambda: _phase(client, second["requestId"], "queued"))
    assert (await item_status(client, sid, second["id"]))["status"] == "queued"
    assert (await client.post(f"/api/agent/queue/{first['id']}/cancel")).status_code == 200
    await wait_until(lambda: _running(client, sid, second["id"]))

    answered = await client.post(f"{SESSIONS}/{sid}/queue", json={"prompt": "/parallelism 2"})
    assert answered.status_code == 200 and answered.json()["queueItem"] is None
    third = await queue("/generate three moons")
    await wait_until(lambda: _running(client, sid, third["id"]))
    assert (await item_status(client, sid, second["id"]))["status"] == "running"
    for item in (second, third):
        assert (await client.post(f"/api/agent/queue/{item['id']}/cancel")).status_code == 200
    started = [(await item_status(client, sid, i["id"]))["startedAt"] for i in (first, second, third)]
    assert started == sorted(started)


async def _phase(client: httpx.AsyncClient, request_id: str, phase: str) -> bool:
    jobs = (await client.get("/api/inflight", params={"kind": agent.JOB_KIND})).json()["jobs"]
    return any(job["requestId"] == request_id and job["phase"] == phase for job in jobs)


async def _listed(client: httpx.AsyncClient, request_id: str) -> bool:
    jobs = (await client.get("/api/inflight", params={"kind": agent.JOB_KIND})).json()["jobs"]
    return any(job["requestId"] == request_id for job in jobs)


async def test_every_agent_code(client: httpx.AsyncClient, session: dict[str, Any]) -> None:
    sid = session["id"]
    url = f"{SESSIONS}/{sid}"
    turns_before = len((await client.get(url)).json()["turns"])
    nested(await client.post(f"{url}/queue", json={}), 400, "AGENT_PROMPT_REQUIRED")
    nested(await client.post(f"{url}/queue", json={"prompt": "   "}), 400, "AGENT_PROMPT_REQUIRED")
    nested(await client.post(f"{url}/queue", json={"prompt": "/generate"}), 400, "AGENT_PROMPT_REQUIRED")
    nested(await client.post(f"{url}/queue", json={"prompt": "/paint a cat"}), 400, "AGENT_UNKNOWN_COMMAND")
    nested(
        await client.post(f"{url}/queue", json={"prompt": "/variants 9 cats"}), 400, "AGENT_INVALID_SETTINGS"
    )
    nested(
        await client.patch(url, json={"generationSettings": {"variants": 7}}), 400, "AGENT_INVALID_SETTINGS"
    )
    nested(await client.patch(url, json={"styleLocks": "ink"}), 400, "AGENT_INVALID_SETTINGS")
    nested(await client.patch(url, json={"title": "   "}), 400, "AGENT_INVALID_SETTINGS")
    nested(
        await client.post(f"{url}/queue", json={"prompt": "/edit brighter"}), 409, "AGENT_NO_CURRENT_IMAGE"
    )
    nested(await client.get(f"{SESSIONS}/as_missing"), 404, "AGENT_SESSION_NOT_FOUND")
    nested(
        await client.post(f"{SESSIONS}/as_missing/queue", json={"prompt": "hi"}),
        404,
        "AGENT_SESSION_NOT_FOUND",
    )
    nested(await client.delete(f"{SESSIONS}/as_missing"), 404, "AGENT_SESSION_NOT_FOUND")
    nested(await client.get(f"{SESSIONS}/as_missing/manifest"), 404, "AGENT_SESSION_NOT_FOUND")
    nested(
        await client.patch(url, json={"currentImage": {"filename": "not-there.png"}}),
        404,
        "AGENT_IMAGE_NOT_FOUND",
    )
    nested(await client.post("/api/agent/queue/aq_missing/cancel"), 404, "AGENT_QUEUE_ITEM_NOT_FOUND")
    nested(await client.post("/api/agent/queue/aq_missing/retry"), 404, "AGENT_QUEUE_ITEM_NOT_FOUND")
    # bad input changed nothing
    assert len((await client.get(url)).json()["turns"]) == turns_before


async def test_planner_failure_is_agent_planner_failed(
    client: httpx.AsyncClient, sandbox: httpx.AsyncClient, session: dict[str, Any]
) -> None:
    sid = session["id"]
    await sandbox.post(
        "/_sandbox/faults", json={"upstream": "openai", "path": "/responses", "status": 500, "count": 1}
    )
    failed = await client.post(f"{SESSIONS}/{sid}/turns", json={"prompt": "a harbour at noon"})
    nested(failed, 502, "AGENT_PLANNER_FAILED")
    errors = (await client.get(f"{SESSIONS}/{sid}/errors")).json()["errors"]
    assert [e["code"] for e in errors] == ["AGENT_PLANNER_FAILED"]
    assert (await client.get(f"{SESSIONS}/{sid}")).json()["turns"][-1]["status"] == "error"


async def test_grok_searches_and_plans_then_edits_the_current_image(
    client: httpx.AsyncClient, sandbox: httpx.AsyncClient
) -> None:
    made = await new_session(client, generationSettings={"provider": "grok-api"})
    try:
        for prompt, final in (
            ("/generate a red fox", "/images/generations"),
            ("/edit at night", "/images/edits"),
        ):
            await sandbox.delete("/_sandbox/requests")
            async with EventWatch(client) as watch:
                queued = await client.post(f"{SESSIONS}/{made['id']}/queue", json={"prompt": prompt})
                assert queued.status_code == 202, queued.text
                frames = await watch.job(queued.json()["queueItem"]["requestId"])
            assert frames[-1].event == "done", frames[-1].data
            paths = [c["path"] for c in await upstream_calls(sandbox, "grok-api") if c["method"] == "POST"]
            assert [p.rsplit("/v1", 1)[-1] for p in paths] == ["/responses", "/chat/completions", final]
    finally:
        await client.delete(f"{SESSIONS}/{made['id']}")


@pytest.fixture
def worker_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    running = start_stack(
        tmp_path_factory.mktemp("agent-worker"),
        extra_env={"IMA2_JOB_LEASE_SECONDS": "2", "IMA2_RESTART_DELAY_SECONDS": "1"},
    )
    yield running
    running.stop()


async def test_a_killed_workers_item_ends_failed_and_retryable(worker_stack: RunningStack) -> None:
    stack = worker_stack
    async with (
        httpx.AsyncClient(base_url=stack.url, timeout=60) as client,
        httpx.AsyncClient(base_url=stack.sandbox_url, timeout=10) as sandbox,
    ):
        made = await new_session(client)
        await sandbox.post("/_sandbox/faults", json=HANG)
        async with EventWatch(client) as watch:
            queued = (
                await client.post(f"{SESSIONS}/{made['id']}/queue", json={"prompt": "/generate a kite"})
            ).json()
            item = queued["queueItem"]
            await wait_until(lambda: _running(client, made["id"], item["id"]))
            os.kill(stack.child_pids()["svc-image"], signal.SIGKILL)
            frames = await watch.job(item["requestId"], timeout=45)
        assert frames[-1].event == "error" and frames[-1].data["code"] == "JOB_TRACKING_TIMEOUT"
        ended = await item_status(client, made["id"], item["id"])
        assert ended["status"] == "failed" and ended["errorCode"] == "JOB_TRACKING_TIMEOUT"

        await sandbox.delete("/_sandbox/faults")
        async with EventWatch(client) as watch:
            retried = await _retry_when_up(client, item["id"])
            again = next(i for i in retried["queue"] if i["id"] == item["id"])
            frames = await watch.job(again["requestId"], timeout=45)
        assert frames[-1].event == "done"
        assert (await item_status(client, made["id"], item["id"]))["status"] == "succeeded"


async def _running(client: httpx.AsyncClient, session_id: str, item_id: str) -> bool:
    return bool((await item_status(client, session_id, item_id))["status"] == "running")


async def _retry_when_up(client: httpx.AsyncClient, item_id: str) -> dict[str, Any]:
    """Retry once svc-image is back (the launcher restarts it): 503 until then."""

    async def attempt() -> dict[str, Any] | None:
        response = await client.post(f"/api/agent/queue/{item_id}/retry")
        if response.status_code == 503:
            return None
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    result: dict[str, Any] = await wait_until(attempt, timeout=30)
    return result


async def test_deleting_a_session_keeps_the_others(
    client: httpx.AsyncClient, session: dict[str, Any]
) -> None:
    """Sessions are independent: deleting one removes its turns and items only."""
    other = await new_session(client, title="Other")
    try:
        await client.post(f"{SESSIONS}/{other['id']}/queue", json={"prompt": "/help"})
        deleted = await client.delete(f"{SESSIONS}/{other['id']}")
        assert deleted.status_code == 200 and other["id"] not in [s["id"] for s in deleted.json()["sessions"]]
        assert (await client.get(f"{SESSIONS}/{session['id']}")).status_code == 200
    finally:
        await client.delete(f"{SESSIONS}/{other['id']}")
