"""Server discovery order (--server, IMA2_SERVER, cli.json, server.json, localhost:3333), probing,
refused redirects and credentials in URLs, and the headers the CLI sends."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest

from ima2_common.net import free_port
from tests.cli.support import TinyServer, as_json, assert_error, browser_id, ima2, ok
from tests.stackctl import RunningStack


def dead_url() -> str:
    return f"http://127.0.0.1:{free_port()}"


def write_server_json(home: Path, **info: object) -> None:
    home.mkdir(parents=True, exist_ok=True)
    (home / "server.json").write_text(json.dumps(info))


def write_cli_config(home: Path, server: str) -> None:
    home.mkdir(parents=True, exist_ok=True)
    (home / "cli.json").write_text(json.dumps({"server": server}))


def test_flag_beats_env_config_and_server_json(stack: RunningStack, tmp_path: Path) -> None:
    write_server_json(tmp_path, url=dead_url(), port=free_port())
    write_cli_config(tmp_path, dead_url())
    result = ok(ima2(tmp_path, "ping", "--server", stack.url, env={"IMA2_SERVER": dead_url()}))
    assert result.stdout.startswith(f"ok {stack.url} ")


def test_env_beats_config_and_is_not_fallen_through(stack: RunningStack, tmp_path: Path) -> None:
    write_cli_config(tmp_path, dead_url())
    ok(ima2(tmp_path, "ping", env={"IMA2_SERVER": stack.url}))
    # an explicit choice that does not answer is reported, not silently replaced by server.json
    write_server_json(tmp_path, url=stack.url)
    dead = dead_url()
    failed = ima2(tmp_path, "ping", "--json", env={"IMA2_SERVER": dead})
    body = assert_error(failed, 3, "SERVER_UNREACHABLE")
    assert dead in body["error"] and "IMA2_SERVER" in body["error"] and body["status"] is None


def test_config_beats_server_json(stack: RunningStack, tmp_path: Path) -> None:
    write_server_json(tmp_path, url=dead_url())
    write_cli_config(tmp_path, stack.url)
    assert ok(ima2(tmp_path, "ping")).stdout.startswith(f"ok {stack.url} ")


def test_server_json_candidates_are_probed_in_order(stack: RunningStack, tmp_path: Path) -> None:
    write_server_json(tmp_path, backend={"url": dead_url()}, url=stack.url)
    assert ok(ima2(tmp_path, "ping")).stdout.startswith(f"ok {stack.url} ")
    write_server_json(tmp_path, port=stack.info["port"])
    assert ok(ima2(tmp_path, "ping")).stdout.startswith(f"ok http://localhost:{stack.info['port']} ")


def test_the_default_is_localhost_3333(tmp_path: Path) -> None:
    with socket.socket() as probe:
        if probe.connect_ex(("127.0.0.1", 3333)) == 0:
            pytest.skip("something listens on port 3333 here")
    write_server_json(tmp_path, url=(dead := dead_url()))
    body = assert_error(ima2(tmp_path, "ping", "--json"), 3, "SERVER_UNREACHABLE")
    assert body["error"].index(dead) < body["error"].index("http://localhost:3333 (default")
    text = ima2(tmp_path, "ping")
    assert (
        text.returncode == 3 and text.stdout == "" and "hint: start the server with `ima2 up`" in text.stderr
    )


def test_a_redirecting_server_is_refused_without_a_traceback(tmp_path: Path) -> None:
    with TinyServer(redirect=True) as tiny:
        body = assert_error(ima2(tmp_path, "ping", "--server", tiny.url, "--json"), 3, "REDIRECT_REFUSED")
        assert "redirect" in body["error"]
        assert [r["path"] for r in tiny.seen] == ["/api/health"]  # probed once, never followed


def test_credentials_in_the_url_are_refused_and_never_sent(tmp_path: Path) -> None:
    with TinyServer() as tiny:
        url = tiny.url.replace("http://", "http://admin:hunter2secret@")
        result = ima2(tmp_path, "ping", "--server", url, "--json")
        assert_error(result, 2, "SERVER_URL_CREDENTIALS")
        assert "hunter2secret" not in result.stdout + result.stderr
        env_result = ima2(tmp_path, "ls", env={"IMA2_SERVER": url})
        assert env_result.returncode == 2 and "credentials" in env_result.stderr
        assert tiny.seen == []
        assert ima2(tmp_path, "config", "set", "server", url).returncode == 2


def test_headers_browser_id_and_token(tmp_path: Path) -> None:
    home = tmp_path / "cli-home"
    with TinyServer() as tiny:
        ok(ima2(home, "history", "favorite", "a.png", "--server", tiny.url))
        post = next(r for r in tiny.seen if r["method"] == "POST")
        headers = {k.lower(): v for k, v in post["headers"].items()}
        assert headers["x-ima2-browser-id"] == browser_id(home)
        assert headers["x-ima2-client"].startswith("cli/") and "authorization" not in headers
        token = "t" * 24
        ok(ima2(home, "ping", "--server", tiny.url, env={"IMA2_ACCESS_TOKEN": token}))
        last = {k.lower(): v for k, v in tiny.seen[-1]["headers"].items()}
        assert last["authorization"] == f"Bearer {token}"


def test_json_everywhere_when_unreachable(tmp_path: Path) -> None:
    dead = dead_url()
    for argv in (["ping"], ["ls"], ["session", "ls"], ["gen", "x"], ["inflight", "ls"], ["status"]):
        body = as_json(ima2(tmp_path, *argv, "--server", dead, "--json"))
        assert body == {
            "ok": False,
            "error": body["error"],
            "code": "SERVER_UNREACHABLE",
            "status": None,
            "guidance": body["guidance"],
        }


def test_a_dropped_connection_is_a_network_error(tmp_path: Path) -> None:
    with TinyServer(drop=True) as tiny:
        body = assert_error(ima2(tmp_path, "ls", "--server", tiny.url, "--json"), 6, "NETWORK_FAILED")
        assert tiny.url in body["error"]
