"""prompt build (POST /api/prompt-builder/chat) and prompt build-config get/set: the answer printed,
what reached the sandbox's model upstreams, the saved config, and the exit codes."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.cli.support import api, as_json, assert_error, fault, ima2, ok
from tests.stackctl import RunningStack


def posts_to(stack: RunningStack, upstream: str) -> list[dict[str, Any]]:
    calls = httpx.get(f"{stack.sandbox_url}/_sandbox/requests", params={"upstream": upstream}, timeout=10)
    return [c for c in calls.json()["requests"] if c["method"] == "POST"]


@pytest.fixture
def builder(faults: RunningStack) -> Iterator[RunningStack]:
    httpx.delete(f"{faults.sandbox_url}/_sandbox/requests", timeout=10)
    yield faults
    api(faults, "PUT", "/api/prompt-builder/config", json={"backend": "auto", "model": "auto"})


def test_build_from_args_and_stdin(builder: RunningStack, tmp_path: Path) -> None:
    marker = uuid.uuid4().hex[:8]
    result = ok(
        ima2(
            builder.home,
            "prompt",
            "build",
            "a",
            "cosy",
            f"cabin-{marker}",
            "--context",
            '{"size":"1024x1024"}',
        )
    )
    assert f"a cosy cabin-{marker}" in result.stdout  # the sandbox model echoes the request
    (sent,) = posts_to(builder, "oauth")
    assert f"a cosy cabin-{marker}" in json.dumps(sent["json"]) and "size: 1024x1024" in json.dumps(
        sent["json"]
    )

    answer = as_json(
        ok(
            ima2(
                builder.home,
                "prompt",
                "build",
                "--stdin",
                "--backend",
                "grok-api",
                "--model",
                "grok-4",
                "--json",
                stdin=f"neon koi-{marker}\n",
            )
        )
    )
    assert (answer["backend"], answer["model"], answer["requestedBackend"]) == (
        "grok-api",
        "grok-4",
        "grok-api",
    )
    assert answer["message"]["role"] == "assistant" and f"neon koi-{marker}" in answer["message"]["content"]
    (xai,) = posts_to(builder, "xai")
    assert xai["json"]["model"] == "grok-4" and f"neon koi-{marker}" in json.dumps(xai["json"])

    history = tmp_path / "history.json"
    history.write_text(
        json.dumps(
            [
                {"role": "user", "content": f"first-{marker}"},
                {"role": "assistant", "content": f"reply-{marker}"},
            ]
        )
    )
    ok(
        ima2(
            builder.home, "prompt", "build", "--history", str(history), f"second-{marker}", "--backend", "api"
        )
    )
    (openai,) = posts_to(builder, "openai")
    sent_text = json.dumps(openai["json"])
    assert all(f"{w}-{marker}" in sent_text for w in ("first", "reply", "second"))


def test_build_errors(builder: RunningStack, tmp_path: Path) -> None:
    assert_error(ima2(builder.home, "prompt", "build", "--json"), 2, "USAGE")
    assert_error(ima2(builder.home, "prompt", "build", "x", "--context", "[1]", "--json"), 2, "USAGE")
    bad = tmp_path / "bad.json"
    bad.write_text('[{"role": "system", "content": "x"}]')
    assert_error(ima2(builder.home, "prompt", "build", "--history", str(bad), "hi", "--json"), 2, "USAGE")
    assert_error(
        ima2(builder.home, "prompt", "build", "hi", "--backend", "gemini", "--json"),
        5,
        "PROMPT_BUILDER_BAD_BACKEND",
        400,
    )
    fault(builder, upstream="oauth", path="/models", status=401, count=0)
    result = ima2(builder.home, "prompt", "build", "hi", "--backend", "oauth", "--json")
    assert_error(result, 6, "PROMPT_BUILDER_OAUTH_UNAVAILABLE", 503)
    assert posts_to(builder, "oauth") == []  # nothing was sent to the model


def test_build_config_get_and_set(builder: RunningStack) -> None:
    shown = as_json(ok(ima2(builder.home, "prompt", "build-config", "get", "--json")))
    assert shown["backend"] == "auto" and "grok-api" in shown["options"]["backends"]
    saved = ok(ima2(builder.home, "prompt", "build-config", "set", "--backend", "grok-api"))
    assert "backend: grok-api" in saved.stdout
    server = api(builder, "GET", "/api/prompt-builder/config").json()
    assert (server["backend"], server["model"]) == ("grok-api", "grok-4.3")
    ok(ima2(builder.home, "prompt", "build-config", "set", "--model", "grok-4"))
    assert api(builder, "GET", "/api/prompt-builder/config").json()["model"] == "grok-4"
    answer = as_json(ok(ima2(builder.home, "prompt", "build", "a saved default", "--json")))
    assert (answer["backend"], answer["model"]) == ("grok-api", "grok-4")  # the saved config is used
    assert_error(ima2(builder.home, "prompt", "build-config", "set", "--json"), 2, "USAGE")
    assert_error(
        ima2(builder.home, "prompt", "build-config", "set", "--model", "gpt-5.4", "--json"),
        5,
        "PROMPT_BUILDER_BAD_MODEL",
        400,
    )
    assert api(builder, "GET", "/api/prompt-builder/config").json()["model"] == "grok-4"
