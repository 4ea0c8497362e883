"""POST /api/generate beyond the basics: n > 1 keeps the partial successes; storyboard; a session
and client node recorded in the file, its sidecar and history."""

from __future__ import annotations

import httpx

from tests.image_support import history_rows, rid, stored, upstream_calls
from tests.stackctl import RunningStack

BAD_REQUEST = {
    "error": {
        "message": "Invalid value",
        "type": "invalid_request_error",
        "param": "tools",
        "code": "invalid_value",
    }
}


async def test_n_keeps_partial_successes(
    client: httpx.AsyncClient, sandbox: httpx.AsyncClient, stack: RunningStack
) -> None:
    # one of the three parallel attempts is refused with a non-retryable 400
    await sandbox.post(
        "/_sandbox/faults",
        json={"upstream": "openai", "path": "/responses", "status": 400, "body": BAD_REQUEST},
    )
    request_id = rid()
    response = await client.post(
        "/api/generate", json={"prompt": "three", "provider": "api", "n": 3, "requestId": request_id}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["count"] == 2 and len(body["images"]) == 2
    assert "1 of 3 images failed" in body["warnings"]
    names = {image["filename"] for image in body["images"]}
    assert {row["filename"] for row in await history_rows(client, requestId=request_id)} == names
    for name in names:
        assert stored(stack, name).sidecar["requestId"] == request_id


async def test_all_attempts_failing_is_the_upstream_error(
    client: httpx.AsyncClient, sandbox: httpx.AsyncClient
) -> None:
    await sandbox.post(
        "/_sandbox/faults",
        json={"upstream": "openai", "path": "/responses", "status": 400, "body": BAD_REQUEST, "count": 0},
    )
    response = await client.post("/api/generate", json={"prompt": "none", "provider": "api", "n": 2})
    assert response.status_code == 400 and response.json()["code"] == "INVALID_REQUEST"


async def test_storyboard_and_session_fields(
    client: httpx.AsyncClient, sandbox: httpx.AsyncClient, stack: RunningStack
) -> None:
    await sandbox.delete("/_sandbox/requests")
    response = await client.post(
        "/api/generate",
        json={
            "prompt": "shot one",
            "provider": "oauth",
            "storyboard": True,
            "sessionId": "s_story",
            "clientNodeId": "c_story",
        },
    )
    assert response.status_code == 200, response.text
    body = response.json()
    kept = stored(stack, body["filename"])
    assert kept.sidecar["storyboard"] is True and kept.sidecar["prompt"] == "shot one"
    for meta in (kept.sidecar, kept.xmp):
        assert meta["sessionId"] == "s_story" and meta["clientNodeId"] == "c_story"
    [call] = await upstream_calls(sandbox, "oauth", "/responses")
    user = call["json"]["input"][-1]["content"]
    text = user if isinstance(user, str) else " ".join(p.get("text", "") for p in user)
    assert "Storyboard keyframe" in text and "shot one" in text
    row = next(
        r for r in await history_rows(client, sessionId="s_story") if r["filename"] == body["filename"]
    )
    assert row["clientNodeId"] == "c_story"
