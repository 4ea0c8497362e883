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
