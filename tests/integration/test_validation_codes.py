"""Typed bodies answer the documented code for the failing field, in the route's envelope, and
nothing reaches an upstream or the library."""

from __future__ import annotations

import httpx
import pytest

from tests.image_support import calls_under_test

SECRET_PROMPT = "a-prompt-that-must-not-echo"


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "code"),
    [
        # several faults: the first field in the reference's order decides
        ("POST", "/api/generate", {"prompt": "", "quality": "ultra", "n": 0}, 400, "PROMPT_REQUIRED"),
        ("POST", "/api/generate", {"prompt": "p", "n": 0, "quality": "ultra"}, 400, "INVALID_QUALITY"),
        ("POST", "/api/generate", {"prompt": "p", "n": True}, 400, "INVALID_COUNT"),
        ("POST", "/api/generate", {"prompt": "p", "n": 2.0}, 400, "INVALID_COUNT"),
        ("POST", "/api/generate", {"prompt": "p", "reasoningEffort": "max"}, 400, "INVALID_REASONING_EFFORT"),
        ("POST", "/api/generate", {"prompt": "p", "async": "yes"}, 400, "INVALID_REQUEST"),
        ("POST", "/api/generate", {"prompt": "p", "mode": "creative"}, 400, "INVALID_REQUEST"),
        ("POST", "/api/generate", {"prompt": "p", "sessionId": 5}, 400, "INVALID_REQUEST"),
        ("POST", "/api/edit", {"prompt": "p", "image": "   "}, 400, "IMAGE_REQUIRED"),
        ("POST", "/api/edit", {"prompt": "p", "image": "bm90IGFuIGltYWdl"}, 400, "INVALID_IMAGE"),
        ("PUT", "/api/keys/openai", {"apiKey": ["sk-x"]}, 400, "MISSING_KEY"),
        ("PUT", "/api/keys/gemini-auth-mode", {"mode": True}, 400, "INVALID_MODE"),
        ("POST", "/api/auth/switch", {"provider": "grok", "flow": 1}, 400, "INVALID_SWITCH_FLOW"),
        ("PATCH", "/api/config/grok-planner", {"model": ""}, 400, "INVALID_PLANNER_MODEL"),
        ("POST", "/api/metadata/read", {"dataUrl": 12}, 400, "IMAGE_METADATA_INVALID"),
    ],
)
async def test_flat_and_keys_routes(
    client: httpx.AsyncClient,
    sandbox: httpx.AsyncClient,
    method: str,
    path: str,
    body: dict[str, object],
    status: int,
    code: str,
) -> None:
    await sandbox.delete("/_sandbox/requests")
    response = await client.request(method, path, json=body)
    assert response.status_code == status, response.text
    answer = response.json()
    assert answer["code"] == code
    if path.startswith(("/api/keys", "/api/metadata")):
        assert answer["ok"] is False and set(answer) == {"ok", "error", "code"}
    else:
        assert answer["requestId"] == response.headers["x-request-id"]
    assert await calls_under_test(sandbox) == []


async def test_a_field_message_names_the_field_not_the_value(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/generate", json={"prompt": SECRET_PROMPT, "storyboard": SECRET_PROMPT})
    answer = response.json()
    assert response.status_code == 400 and answer["code"] == "INVALID_REQUEST"
    assert "storyboard" in answer["error"] and SECRET_PROMPT not in response.text


async def test_empty_strings_mean_the_defaults(client: httpx.AsyncClient, sandbox: httpx.AsyncClient) -> None:
    await sandbox.delete("/_sandbox/requests")
    body = {"prompt": "defaults", "provider": "api", "quality": "", "size": "", "format": "", "model": ""}
    response = await client.post("/api/generate", json=body)
    assert response.status_code == 200, response.text
    answer = response.json()
    assert (answer["quality"], answer["size"], answer["model"]) == ("medium", "1024x1024", "gpt-5.4-mini")
    assert len(await calls_under_test(sandbox)) == 1


@pytest.mark.parametrize(
    ("method", "path", "body", "code"),
    [
        ("POST", "/api/history/favorite", {"filename": 7}, "INVALID_FILENAME"),
        ("POST", "/api/history/x.png/restore", {"trashId": ""}, "TRASH_ID_REQUIRED"),
        ("POST", "/api/sessions", {"title": ["t"]}, "INVALID_TITLE"),
        ("POST", "/api/prompts", {"text": "t", "tags": "a,b"}, "INVALID_PROMPT"),
        ("POST", "/api/prompts", {"text": "   "}, "INVALID_PROMPT"),
        ("POST", "/api/prompts/folders", {"name": "f", "parentId": 3}, "INVALID_PROMPT"),
        ("POST", "/api/prompts/folders", {"name": " "}, "INVALID_FOLDER"),
    ],
)
async def test_nested_routes(
    client: httpx.AsyncClient, method: str, path: str, body: dict[str, object], code: str
) -> None:
    response = await client.request(method, path, json=body, headers={"X-Ima2-Browser-Id": "validation-test"})
    assert response.status_code == 400, response.text
    assert response.json()["error"]["code"] == code


async def test_session_bodies(client: httpx.AsyncClient) -> None:
    session = (await client.post("/api/sessions", json={"title": "validation"})).json()["session"]
    base = f"/api/sessions/{session['id']}"
    cases = [
        ("PUT", "/graph", {"nodes": {}, "edges": []}, {"If-Match": "1"}, "INVALID_GRAPH"),
        ("PUT", "/style-sheet", {"styleSheet": "bold"}, {}, "INVALID_SHEET"),
        ("PUT", "/style-sheet", {"styleSheet": None, "enabled": "true"}, {}, "INVALID_ENABLED"),
        ("PATCH", "/style-sheet/enabled", {"enabled": 1}, {}, "INVALID_ENABLED"),
        ("POST", "/style-sheet/extract", {"prompt": " "}, {}, "STYLE_SHEET_BAD_INPUT"),
        ("POST", "/style-sheet/extract", {"prompt": "p", "referenceDataUrl": 1}, {}, "REF_NOT_STRING"),
    ]
    for method, suffix, body, headers, code in cases:
        response = await client.request(method, base + suffix, json=body, headers=headers)
        assert response.status_code == 400, (suffix, response.text)
        assert response.json()["error"]["code"] == code, suffix
    graph = (await client.get(base)).json()["session"]
    assert graph["graphVersion"] == session["graphVersion"] and graph["nodes"] == []
    assert (await client.get(base + "/style-sheet")).json()["styleSheet"] is None
