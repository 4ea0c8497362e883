"""POST /api/node/generate: JSON, per-request SSE (dual-emitted on /api/events) and async; parent
images, externalSrc, context and search modes; the stored node file and its metadata."""

from __future__ import annotations

import re
from typing import Any

import httpx

from tests.image_support import (
    EventWatch,
    b64,
    decode_image,
    history_rows,
    png_bytes,
    rid,
    sse_post,
    stored,
    upstream_calls,
)
from tests.stackctl import RunningStack

NODE_KEYS = {
    "nodeId",
    "parentNodeId",
    "requestId",
    "image",
    "filename",
    "url",
    "elapsed",
    "usage",
    "webSearchCalls",
    "webSearchEnabled",
    "provider",
    "model",
    "size",
    "moderation",
    "refsCount",
    "contextMode",
    "searchMode",
    "warnings",
    "revisedPrompt",
    "promptMode",
}
NODE_ID = re.compile(r"^n_[0-9a-f]{10}$")


async def node(client: httpx.AsyncClient, **fields: Any) -> httpx.Response:
    body = {"prompt": "a lighthouse", "provider": "api", "quality": "low", **fields}
    return await client.post("/api/node/generate", json=body)


def input_images(call: dict[str, Any]) -> list[str]:
    content = call["json"]["input"][-1]["content"]
    if isinstance(content, str):
        return []
    return [part["image_url"] for part in content if part["type"] == "input_image"]


async def test_root_node_json(
    client: httpx.AsyncClient, sandbox: httpx.AsyncClient, stack: RunningStack
) -> None:
    await sandbox.delete("/_sandbox/requests")
    request_id = rid()
    response = await node(
        client, requestId=request_id, sessionId="s_node_test", clientNodeId="c_1", size="1536x1024"
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) >= NODE_KEYS
    assert NODE_ID.match(body["nodeId"]) and body["filename"] == f"{body['nodeId']}.png"
    assert body["parentNodeId"] is None and body["refsCount"] == 0
    assert body["contextMode"] == "parent-plus-refs" and body["searchMode"] == "auto"
    assert body["url"] == f"/generated/{body['filename']}" and body["requestId"] == request_id
    assert decode_image(body["image"]).size == (1536, 1024)
    kept = stored(stack, body["filename"])
    for meta in (kept.sidecar, kept.xmp):
        assert meta["kind"] == "node" and meta["nodeId"] == body["nodeId"]
        assert meta["sessionId"] == "s_node_test" and meta["clientNodeId"] == "c_1"
        assert meta["requestId"] == request_id
    rows = await history_rows(client, sessionId="s_node_test")
    assert body["filename"] in {row["filename"] for row in rows}
    row = next(row for row in rows if row["filename"] == body["filename"])
    assert row["nodeId"] == body["nodeId"] and row["clientNodeId"] == "c_1"
    [call] = await upstream_calls(sandbox, "api", "/responses")
    assert input_images(call) == []
    assert {"type": "web_search"} in call["json"]["tools"]


async def test_child_node_sends_the_parent_first_then_references(
    client: httpx.AsyncClient, sandbox: httpx.AsyncClient, stack: RunningStack
) -> None:
    parent = (await node(client, size="1024x1024")).json()
    await sandbox.delete("/_sandbox/requests")
    refs = [b64(png_bytes(4, 4)), b64(png_bytes(5, 5))]
    response = await node(client, parentNodeId=parent["nodeId"], references=refs, prompt="add a boat")
    assert response.status_code == 200, response.text
    child = response.json()
    assert child["parentNodeId"] == parent["nodeId"] and child["refsCount"] == 2
    assert child["nodeId"] != parent["nodeId"]
    kept = stored(stack, child["filename"])
    assert kept.sidecar["parentNodeId"] == parent["nodeId"] and kept.xmp["parentNodeId"] == parent["nodeId"]
    [call] = await upstream_calls(sandbox, "api", "/responses")
    sent = input_images(call)
    assert len(sent) == 3
    parent_url = f"data:image/png;base64,{b64(stored(stack, parent['filename']).data)}"
    assert sent[0] == f"<b64:{len(parent_url)} chars>"  # the stored parent file, first
    assert sent[1:] == [f"data:image/png;base64,{ref}" for ref in refs]
    text = call["json"]["input"][-1]["content"][-1]
    assert text["type"] == "input_text" and "add a boat" in text["text"]


async def test_parent_only_drops_the_references(
    client: httpx.AsyncClient, sandbox: httpx.AsyncClient
) -> None:
    parent = (await node(client)).json()
    await sandbox.delete("/_sandbox/requests")
    response = await node(
        client, parentNodeId=parent["nodeId"], references=[b64(png_bytes())], contextMode="parent-only"
    )
    assert response.status_code == 200, response.text
    assert response.json()["refsCount"] == 0 and response.json()["contextMode"] == "parent-only"
    [call] = await upstream_calls(sandbox, "api", "/responses")
    assert len(input_images(call)) == 1


async def test_external_src_uses_a_history_file(
    client: httpx.AsyncClient, sandbox: httpx.AsyncClient, stack: RunningStack
) -> None:
    classic = await client.post("/api/generate", json={"prompt": "source", "provider": "api"})
    filename = classic.json()["filename"]
    for external in (f"/generated/{filename}", f"{stack.url}/generated/{filename}"):
        await sandbox.delete("/_sandbox/requests")
        response = await node(client, externalSrc=external, searchMode="off")
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["parentNodeId"] is None and body["webSearchEnabled"] is False
        assert body["searchMode"] == "off" and body["webSearchCalls"] == 0
        [call] = await upstream_calls(sandbox, "api", "/responses")
        source_url = f"data:image/png;base64,{b64(stored(stack, filename).data)}"
        assert input_images(call) == [f"<b64:{len(source_url)} chars>"]
        assert {"type": "web_search"} not in call["json"]["tools"]
    missing = await node(client, externalSrc="/generated/1_deadbeef_0.png")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "ASSET_NOT_FOUND"


async def test_sse_on_the_post_is_dual_emitted(client: httpx.AsyncClient, stack: RunningStack) -> None:
    request_id = rid()
    async with EventWatch(client) as watch:
        result = await sse_post(
            client, "/api/node/generate", {"prompt": "sse node", "provider": "api", "requestId": request_id}
        )
        bus = await watch.job(request_id)
    assert result.status == 200 and result.headers["content-type"].startswith("text/event-stream")
    names = [f.event for f in result.frames if f.event]
    assert names[0] == "phase" and names[-1] == "done" and "partial" in names, names
    assert result.frames[0].data["phase"] == "streaming"
    partial = result.events("partial")[0].data
    assert partial["image"].startswith("data:image/png;base64,") and isinstance(partial["index"], int)
    done = result.last.data
    assert set(done) >= NODE_KEYS and done["requestId"] == request_id == done["jobId"]
    assert stored(stack, done["filename"]).sidecar["nodeId"] == done["nodeId"]
    # the same events, with the same ids, went to /api/events
    post_ids = [(f.id, f.event) for f in result.frames if f.event]
    assert all(isinstance(i, int) for i, _ in post_ids)
    assert post_ids == [(f.id, f.event) for f in bus]
    assert bus[-1].data["filename"] == done["filename"]


async def test_async_node_answers_202_and_streams_on_events(client: httpx.AsyncClient) -> None:
    request_id = rid()
    async with EventWatch(client) as watch:
        accepted = await node(client, requestId=request_id, **{"async": True})
        assert accepted.status_code == 202 and accepted.json() == {"requestId": request_id}
        mine = await watch.job(request_id)
    assert mine[0].event == "phase" and mine[-1].event == "done"
    assert NODE_ID.match(mine[-1].data["nodeId"])


async def test_sse_upstream_failure_is_an_error_event(
    client: httpx.AsyncClient, sandbox: httpx.AsyncClient
) -> None:
    await sandbox.post("/_sandbox/faults", json={"upstream": "openai", "path": "/responses", "status": 429})
    result = await sse_post(client, "/api/node/generate", {"prompt": "p", "provider": "api"})
    assert result.last.event == "error"
    assert result.last.data["code"] == "RATE_LIMITED" and result.last.data["status"] == 429
    await sandbox.post("/_sandbox/faults", json={"upstream": "openai", "path": "/responses", "status": 429})
    parent = "n_0123456789"
    blocking = await node(client, parentNodeId=parent)
    assert blocking.status_code == 404  # the parent is resolved before anything goes upstream
    await sandbox.delete("/_sandbox/faults")
    await sandbox.post("/_sandbox/faults", json={"upstream": "openai", "path": "/responses", "status": 429})
    failed = await node(client)
    assert failed.status_code == 429
    body = failed.json()
    assert body["error"]["code"] == "RATE_LIMITED" and body["status"] == 429 and body["parentNodeId"] is None
    assert {"upstreamCode", "upstreamType", "upstreamParam"} <= set(body)
