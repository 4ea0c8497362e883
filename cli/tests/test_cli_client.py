"""Server discovery and access-token precedence of the CLI (end to end: tests/integration/test_access.py)."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from ima2_cli import access_token, client
from ima2_common.settings import Settings


def test_server_discovery_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = Settings(home=tmp_path)
    monkeypatch.delenv("IMA2_SERVER", raising=False)
    assert client.discover_server(None, settings, {}) == "http://localhost:3333"
    (tmp_path / "server.json").write_text(
        json.dumps({"port": 4000, "backend": {"url": "http://127.0.0.2:4000"}})
    )
    assert client.discover_server(None, settings, {}) == "http://127.0.0.2:4000"
    assert client.discover_server(None, settings, {"server": "http://cfg:1/"}) == "http://cfg:1"
    monkeypatch.setenv("IMA2_SERVER", "http://env:2")
    assert client.discover_server(None, settings, {"server": "http://cfg:1"}) == "http://env:2"
    assert client.discover_server("http://flag:3", settings, {}) == "http://flag:3"


def test_token_order_and_generation(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path)
    assert client.access_token(settings, {}) == ""
    generated = access_token.resolve(settings)
    assert generated.origin == "generated" and len(generated.value) >= 32
    assert stat.S_IMODE(settings.access_token_file.stat().st_mode) == 0o600
    assert access_token.resolve(settings) == access_token.AccessToken(generated.value, "file", generated.path)
    assert client.access_token(settings, {}) == generated.value
    assert (
        client.access_token(settings, {"accessToken": "from-config-0123456789"}) == "from-config-0123456789"
    )
    env = Settings(home=tmp_path, access_token="from-env-0123456789ab")
    assert client.access_token(env, {"accessToken": "from-config-0123456789"}) == "from-env-0123456789ab"
    with pytest.raises(access_token.AccessTokenError):
        access_token.resolve(Settings(home=tmp_path, access_token="short"))


def test_local_binds() -> None:
    assert all(access_token.is_local_bind(h) for h in ("127.0.0.1", "::1", "[::1]", "localhost"))
    assert not any(access_token.is_local_bind(h) for h in ("127.0.0.2", "0.0.0.0", "192.168.1.5", "::"))


@pytest.mark.parametrize(
    ("payload", "status", "message", "code", "exit_code"),
    [
        (
            {"error": "The upstream failed.", "code": "UPSTREAM_5XX"},
            502,
            "The upstream failed.",
            "UPSTREAM_5XX",
            6,
        ),
        (
            {"error": {"code": "SESSION_NOT_FOUND", "message": "no such session"}},
            404,
            "no such session",
            "SESSION_NOT_FOUND",
            5,
        ),
        (
            {"ok": False, "error": "bad key", "code": "INVALID_KEY_FORMAT"},
            400,
            "bad key",
            "INVALID_KEY_FORMAT",
            5,
        ),
        ({"error": "refused", "code": "SAFETY_REFUSAL", "status": 422}, 500, "refused", "SAFETY_REFUSAL", 7),
        ({"error": "slow", "code": "GROK_IMAGE_TIMEOUT"}, 504, "slow", "GROK_IMAGE_TIMEOUT", 8),
        (
            {"error": {"code": "ACCESS_TOKEN_REQUIRED", "message": "token"}},
            401,
            "token",
            "ACCESS_TOKEN_REQUIRED",
            4,
        ),
        ({"error": "expired", "code": "AUTH_CHATGPT_EXPIRED"}, 401, "expired", "AUTH_CHATGPT_EXPIRED", 4),
        ({"error": "no oauth", "code": "OAUTH_UNAVAILABLE"}, 503, "no oauth", "OAUTH_UNAVAILABLE", 4),
        (None, 500, "HTTP 500", "", 6),
        ("plain text", 418, "HTTP 418", "", 5),
    ],
)
def test_error_families_and_exit_codes(
    payload: object, status: int, message: str, code: str, exit_code: int
) -> None:
    err = client.error_from_payload(payload, status)
    assert (err.message, err.code, err.exit_code) == (message, code, exit_code)
    body = err.to_json()
    assert body["ok"] is False and body["error"] == message and body["code"] == (code or None)


def test_guidance_tells_access_tokens_from_provider_logins() -> None:
    assert (
        "IMA2_ACCESS_TOKEN"
        in client.error_from_payload({"error": {"code": "ACCESS_TOKEN_REQUIRED"}}, 401).guidance
    )
    assert (
        "provider" in client.error_from_payload({"error": "x", "code": "AUTH_CHATGPT_EXPIRED"}, 401).guidance
    )
    server = client.error_from_payload(
        {"error": "x", "code": "GRAPH_VERSION_CONFLICT", "currentVersion": 3}, 409
    )
    assert server.extra == {"currentVersion": 3} and server.to_json()["currentVersion"] == 3


def test_server_urls_are_checked() -> None:
    assert client.check_url(" http://127.0.0.1:3333/ ", "x") == "http://127.0.0.1:3333"
    for bad, code in (
        ("ftp://host", "INVALID_SERVER_URL"),
        ("http://user:pw@host:1", "SERVER_URL_CREDENTIALS"),
        ("http://user@host:1", "SERVER_URL_CREDENTIALS"),
        ("http://host:1/?token=x", "INVALID_SERVER_URL"),
        ("localhost:3333", "INVALID_SERVER_URL"),
    ):
        with pytest.raises(client.CliError) as caught:
            client.check_url(bad, "x")
        assert caught.value.code == code and caught.value.exit_code == client.EXIT_USAGE


def test_sse_frames_are_parsed() -> None:
    lines = [
        ": ping",
        "",
        "id: 4",
        "event: phase",
        'data: {"phase": "streaming"}',
        "",
        "event: done",
        'data: {"a":',
        "data: 1}",
        "",
    ]
    events = list(client.parse_sse(iter(lines)))
    assert [(e.event, e.data, e.id) for e in events] == [
        ("phase", {"phase": "streaming"}, "4"),
        ("done", {"a": 1}, None),
    ]


def test_browser_id_is_derived_from_the_config_dir(tmp_path: Path) -> None:
    one = client.browser_id(Settings(home=tmp_path / "a"))
    assert one.startswith("cli-") and len(one) == 20
    assert (
        one
        == client.browser_id(Settings(home=tmp_path / "a"))
        != client.browser_id(Settings(home=tmp_path / "b"))
    )
