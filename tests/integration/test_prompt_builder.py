"""The prompt builder through the gateway against the sandbox: config (saved in the shared config
bucket, locked by environment variables), backend choice (auto order, explicit backends, the
no-backend answer), what reaches each upstream, every documented error code, and message texts and
keys kept out of logs and answers."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest

from ima2_auth.credentials import SANDBOX_SECRETS
from ima2_common import catalog
from tests.stackctl import RunningStack, start_stack

CHAT = "/api/prompt-builder/chat"
CONFIG = "/api/prompt-builder/config"


def nested(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert body["error"]["code"] == code and body["error"]["message"], body
    return body


def user(text: str) -> list[dict[str, str]]:
    return [{"role": "user", "content": text}]


async def requests_of(sandbox: httpx.AsyncClient, upstream: str) -> list[dict[str, Any]]:
    calls = (await sandbox.get("/_sandbox/requests")).json()["requests"]
    return [c for c in calls if c["upstream"] == upstream and c["method"] == "POST"]


@pytest.fixture(autouse=True)
async def clean(client: httpx.AsyncClient, sandbox: httpx.AsyncClient) -> AsyncIterator[None]:
    await sandbox.delete("/_sandbox/requests")
    yield
    await sandbox.put("/_sandbox/settings", json={"progrokLoggedIn": True})
    for provider in ("openai", "xai"):
        await client.put(f"/api/keys/{provider}", json={"apiKey": SANDBOX_SECRETS[provider]})
    await client.put(CONFIG, json={"backend": "auto", "model": "auto"})


async def test_config_defaults_options_and_save(client: httpx.AsyncClient) -> None:
    config = (await client.get(CONFIG)).json()
    assert config["backend"] == "auto" and config["model"] == "auto"
    assert config["locked"] == {"backend": False, "model": False}
    assert config["options"]["backends"] == list(catalog.PROMPT_BUILDER_BACKENDS)
    assert config["options"]["autoOrder"] == ["oauth", "grok", "api", "grok-api"]
    saved = (await client.put(CONFIG, json={"backend": "grok-api"})).json()
    assert (saved["backend"], saved["model"]) == ("grok-api", "grok-4.3")  # the backend's default model
    saved = (await client.put(CONFIG, json={"model": "grok-4"})).json()
    assert (saved["backend"], saved["model"]) == ("grok-api", "grok-4")
    assert (await client.get(CONFIG)).json()["model"] == "grok-4"
    nested(await client.put(CONFIG, json={"backend": "gemini"}), 400, "PROMPT_BUILDER_BAD_BACKEND")
    nested(await client.put(CONFIG, json={"backend": 3}), 400, "PROMPT_BUILDER_BAD_BACKEND")
    nested(await client.put(CONFIG, json={"model": "gpt-5.4"}), 400, "PROMPT_BUILDER_BAD_MODEL")
    assert (await client.get(CONFIG)).json()["model"] == "grok-4"  # refused changes change nothing


async def test_auto_uses_oauth_first(client: httpx.AsyncClient, sandbox: httpx.AsyncClient) -> None:
    response = await client.post(
        CHAT, json={"messages": user("a cosy cabin"), "context": {"size": "1024x1024"}}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["provider"], body["backend"], body["requestedBackend"]) == ("oauth", "oauth", "auto")
    assert body["model"] == catalog.PROMPT_BUILDER_DEFAULT_MODELS["oauth"]
    assert body["message"]["role"] == "assistant" and "a cosy cabin" in body["message"]["content"]
    assert isinstance(body["usage"], dict)
    (sent,) = await requests_of(sandbox, "oauth")
    assert sent["path"].endswith("/responses") and sent["json"]["stream"] is True
    developer = sent["json"]["input"][0]
    assert developer["role"] == "developer" and "size: 1024x1024" in developer["content"]


async def test_auto_falls_back_in_order(client: httpx.AsyncClient, sandbox: httpx.AsyncClient) -> None:
    await sandbox.post(
        "/_sandbox/faults", json={"upstream": "oauth", "path": "/models", "status": 401, "count": 0}
    )
    body = (await client.post(CHAT, json={"messages": user("fallback one")})).json()
    assert body["backend"] == "grok" and body["model"] == "grok-4.3"
    (sent,) = await requests_of(sandbox, "progrok")  # no stored Grok login: the proxy
    assert sent["path"].endswith("/chat/completions") and sent["json"]["messages"][0]["role"] == "system"
    await sandbox.put("/_sandbox/settings", json={"progrokLoggedIn": False})
    body = (await client.post(CHAT, json={"messages": user("fallback two")})).json()
    assert body["backend"] == "api"
    await client.delete("/api/keys/openai")
    body = (await client.post(CHAT, json={"messages": user("fallback three")})).json()
    assert body["backend"] == "grok-api"
    await client.delete("/api/keys/xai")
    nested(await client.post(CHAT, json={"messages": user("none")}), 503, "PROMPT_BUILDER_NO_BACKEND_READY")


async def test_auto_with_a_model_only_tries_its_backends(
    client: httpx.AsyncClient, sandbox: httpx.AsyncClient
) -> None:
    body = (await client.post(CHAT, json={"messages": user("x"), "model": "grok-4"})).json()
    assert (body["backend"], body["model"], body["requestedBackend"]) == ("grok", "grok-4", "auto")
    await sandbox.put("/_sandbox/settings", json={"progrokLoggedIn": False})
    await client.delete("/api/keys/xai")  # oauth and api are ready but do not serve grok-4
    nested(
        await client.post(CHAT, json={"messages": user("x"), "model": "grok-4"}),
        503,
        "PROMPT_BUILDER_NO_BACKEND_READY",
    )
    nested(
        await client.post(CHAT, json={"messages": user("x"), "model": "nope"}),
        400,
        "PROMPT_BUILDER_BAD_MODEL",
    )


async def test_explicit_backends(client: httpx.AsyncClient, sandbox: httpx.AsyncClient) -> None:
    body = (await client.post(CHAT, json={"messages": user("api one"), "backend": "api"})).json()
    assert (body["backend"], body["requestedBackend"], body["model"]) == ("api", "api", "gpt-5.4")
    (sent,) = await requests_of(sandbox, "openai")
    assert sent["headers"]["authorization"].startswith("Bearer sk-san") and sent["json"]["stream"] is False
    body = (
        await client.post(CHAT, json={"messages": user("xai one"), "backend": "grok-api", "model": "grok-4"})
    ).json()
    assert (body["backend"], body["model"]) == ("grok-api", "grok-4")
    (sent,) = await requests_of(sandbox, "xai")
    assert sent["json"]["model"] == "grok-4" and sent["json"]["messages"][-1]["content"] == "xai one"
    nested(
        await client.post(CHAT, json={"messages": user("x"), "backend": "api", "model": "grok-4"}),
        400,
        "PROMPT_BUILDER_BAD_MODEL",
    )
    nested(
        await client.post(CHAT, json={"messages": user("x"), "backend": "x"}),
        400,
        "PROMPT_BUILDER_BAD_BACKEND",
    )


async def test_unavailable_backends(client: httpx.AsyncClient, sandbox: httpx.AsyncClient) -> None:
    await sandbox.post(
        "/_sandbox/faults", json={"upstream": "oauth", "path": "/models", "status": 401, "count": 0}
    )
    nested(
        await client.post(CHAT, json={"messages": user("x"), "backend": "oauth"}),
        503,
        "PROMPT_BUILDER_OAUTH_UNAVAILABLE",
    )
    await sandbox.put("/_sandbox/settings", json={"progrokLoggedIn": False})
    nested(
        await client.post(CHAT, json={"messages": user("x"), "backend": "grok"}),
        503,
        "PROMPT_BUILDER_GROK_UNAVAILABLE",
    )
    await client.delete("/api/keys/openai")
    await client.delete("/api/keys/xai")
    nested(
        await client.post(CHAT, json={"messages": user("x"), "backend": "api"}),
        401,
        "PROMPT_BUILDER_API_KEY_REQUIRED",
    )
    nested(
        await client.post(CHAT, json={"messages": user("x"), "backend": "grok-api"}),
        401,
        "PROMPT_BUILDER_XAI_KEY_REQUIRED",
    )
    assert not await requests_of(sandbox, "openai") and not await requests_of(sandbox, "xai")


async def test_bad_messages(client: httpx.AsyncClient) -> None:
    cases: list[tuple[Any, str]] = [
        ({}, "PROMPT_BUILDER_BAD_MESSAGES"),
        ({"messages": "hi"}, "PROMPT_BUILDER_BAD_MESSAGES"),
        ({"messages": [{"role": "system", "content": "x"}]}, "PROMPT_BUILDER_BAD_MESSAGES"),
        ({"messages": ["x"]}, "PROMPT_BUILDER_BAD_MESSAGES"),
        ({"messages": []}, "PROMPT_BUILDER_EMPTY_MESSAGE"),
        ({"messages": [{"role": "user", "content": "  "}]}, "PROMPT_BUILDER_EMPTY_MESSAGE"),
        (
            {"messages": [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}]},
            "PROMPT_BUILDER_EMPTY_MESSAGE",
        ),
        ({"messages": user("x"), "context": "big"}, "PROMPT_BUILDER_BAD_CONTEXT"),
    ]
    for body, code in cases:
        nested(await client.post(CHAT, json=body), 400, code)


async def test_upstream_failures(client: httpx.AsyncClient, sandbox: httpx.AsyncClient) -> None:
    await sandbox.post(
        "/_sandbox/faults", json={"upstream": "xai", "path": "/chat/completions", "status": 500, "count": 1}
    )
    body = nested(
        await client.post(CHAT, json={"messages": user("x"), "backend": "grok-api"}),
        502,
        "PROMPT_BUILDER_UPSTREAM_FAILED",
    )
    assert "sandbox" not in body["error"]["message"]
    await sandbox.post(
        "/_sandbox/faults", json={"upstream": "xai", "path": "/chat/completions", "mode": "empty", "count": 1}
    )
    nested(
        await client.post(CHAT, json={"messages": user("x"), "backend": "grok-api"}),
        502,
        "PROMPT_BUILDER_EMPTY_RESPONSE",
    )


async def test_texts_and_keys_stay_out_of_logs(client: httpx.AsyncClient, stack: RunningStack) -> None:
    marker = f"secret-idea-{uuid.uuid4().hex}"
    for backend in ("oauth", "grok", "api", "grok-api"):
        response = await client.post(CHAT, json={"messages": user(marker), "backend": backend})
        assert response.status_code == 200, response.text
        assert SANDBOX_SECRETS["openai"] not in response.text and SANDBOX_SECRETS["xai"] not in response.text
    for name, text in stack.logs().items():
        if name.startswith("sandbox"):
            continue
        assert marker not in text, name
        assert SANDBOX_SECRETS["xai"] not in text and SANDBOX_SECRETS["openai"] not in text, name


# --- a stack whose prompt builder is locked by environment variables, with a short timeout ------


@pytest.fixture(scope="module")
def locked_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    running = start_stack(
        tmp_path_factory.mktemp("prompt-builder-locked"),
        extra_env={
            "IMA2_PROMPT_BUILDER_BACKEND": "grok-api",
            "IMA2_PROMPT_BUILDER_MODEL": "grok-4",
            "IMA2_PROMPT_BUILDER_TIMEOUT_SECONDS": "1.5",
        },
    )
    yield running
    running.stop()


async def test_env_lock_and_timeout(locked_stack: RunningStack) -> None:
    async with (
        httpx.AsyncClient(base_url=locked_stack.url, timeout=30) as client,
        httpx.AsyncClient(base_url=locked_stack.sandbox_url, timeout=10) as sandbox,
    ):
        config = (await client.get(CONFIG)).json()
        assert (config["backend"], config["model"]) == ("grok-api", "grok-4")
        assert config["locked"] == {"backend": True, "model": True}
        nested(await client.put(CONFIG, json={"backend": "api"}), 409, "PROMPT_BUILDER_CONFIG_ENV_LOCKED")
        nested(await client.put(CONFIG, json={"model": "grok-4.3"}), 409, "PROMPT_BUILDER_CONFIG_ENV_LOCKED")
        assert (await client.put(CONFIG, json={"model": "grok-4"})).status_code == 200  # no change: allowed
        body = (await client.post(CHAT, json={"messages": user("locked")})).json()
        assert (body["backend"], body["model"], body["requestedBackend"]) == (
            "grok-api",
            "grok-4",
            "grok-api",
        )
        await sandbox.post(
            "/_sandbox/faults",
            json={"upstream": "xai", "path": "/chat/completions", "mode": "hang", "count": 0},
        )
        nested(await client.post(CHAT, json={"messages": user("slow")}), 504, "PROMPT_BUILDER_TIMEOUT")
