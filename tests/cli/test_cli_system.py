"""Exit codes, error shapes, the status commands, doctor, help examples and shell completion."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import typer

from ima2_cli.main import app
from tests.cli.support import api, as_json, assert_error, fault, ima2, ok, wait_for
from tests.stackctl import RunningStack

# --- exit codes -----------------------------------------------------------------------------------


def test_exit_0_1_2(stack: RunningStack, tmp_path: Path) -> None:
    assert ok(ima2(stack.home, "ping", "--json")).returncode == 0
    assert_error(ima2(tmp_path, "config", "get", "server", "--json"), 1, "NOT_SET")  # nothing set
    ok(ima2(tmp_path, "config", "set", "server", "http://127.0.0.1:5"))
    assert as_json(ok(ima2(tmp_path, "config", "get", "server", "--json")))["value"] == "http://127.0.0.1:5"
    for argv in (["ls", "--bogus"], ["no-such-command"], ["gen", "-n", "99", "x"], ["session", "rename"]):
        result = ima2(stack.home, *argv)
        assert result.returncode == 2, (argv, result.stderr)
        assert "Usage:" in result.stderr and "Traceback" not in result.stderr
    usage = ima2(stack.home, "gen", "-n", "99", "x", "--json")
    assert usage.returncode == 2 and "Usage:" in usage.stderr
    assert as_json(usage) == {"ok": False, "error": as_json(usage)["error"], "code": "USAGE", "status": None}
    assert "less than or equal to 8" in as_json(usage)["error"]


def test_config_sets_the_servers_switches_in_config_json(tmp_path: Path) -> None:
    server_file = tmp_path / "config.json"
    server_file.write_text(json.dumps({"xaiApiKey": "xai-kept", "features": {"other": 1}}))
    assert_error(ima2(tmp_path, "config", "get", "features.cardNews", "--json"), 1, "NOT_SET")
    ok(ima2(tmp_path, "config", "set", "features.cardNews", "on"))
    assert as_json(ok(ima2(tmp_path, "config", "get", "features.cardNews", "--json")))["value"] is True
    assert ok(ima2(tmp_path, "config", "get", "features.cardNews")).stdout.strip() == "true"
    saved = json.loads(server_file.read_text())
    assert saved == {"xaiApiKey": "xai-kept", "features": {"other": 1, "cardNews": True}}
    assert server_file.stat().st_mode & 0o777 == 0o600
    assert ok(ima2(tmp_path, "config", "path", "features.cardNews")).stdout.strip() == str(server_file)
    assert_error(ima2(tmp_path, "config", "set", "features.cardNews", "maybe", "--json"), 2, "USAGE")
    assert_error(ima2(tmp_path, "config", "set", "server.port", "high", "--json"), 2, "USAGE")
    ok(ima2(tmp_path, "config", "set", "server.port", "3400"))
    assert json.loads(server_file.read_text())["server"] == {"port": 3400}
    ok(ima2(tmp_path, "config", "unset", "server.port"))
    ok(ima2(tmp_path, "config", "unset", "features.cardNews"))
    assert json.loads(server_file.read_text()) == {
        "xaiApiKey": "xai-kept",
        "features": {"other": 1},
        "server": {},
    }
    assert not (tmp_path / "cli.json").exists()  # the CLI's own file is another one


def test_exit_4_auth(faults: RunningStack) -> None:
    fault(faults, upstream="oauth", status=401, count=0)
    body = assert_error(ima2(faults.home, "gen", "x", "--json"), 4, "AUTH_CHATGPT_EXPIRED", 401)
    assert "sign in" in body["guidance"]
    text = ima2(faults.home, "gen", "x")
    assert text.returncode == 4 and "hint: sign in to the provider again" in text.stderr


def test_exit_5_other_4xx(stack: RunningStack) -> None:
    assert_error(ima2(stack.home, "history", "rm", "nope.png", "--json"), 5, "ASSET_NOT_FOUND", 404)
    assert_error(ima2(stack.home, "gen", "x", "-q", "ultra", "--json"), 5, "INVALID_QUALITY", 400)


def test_exit_6_upstream_failure(faults: RunningStack) -> None:
    fault(faults, upstream="oauth", status=500, count=0)
    assert_error(ima2(faults.home, "gen", "x", "--json"), 6, "UPSTREAM_5XX", 502)


def test_exit_7_safety_refusal(faults: RunningStack) -> None:
    fault(faults, upstream="oauth", mode="safety", count=0)
    body = assert_error(ima2(faults.home, "gen", "x", "--json"), 7, "SAFETY_REFUSAL", 422)
    assert "rephrase" in body["guidance"]


def test_exit_8_client_timeout_cancels_the_job(faults: RunningStack) -> None:
    fault(faults, upstream="oauth", mode="hang", count=0)
    body = assert_error(ima2(faults.home, "gen", "slow", "--timeout", "3", "--json"), 8, "CLIENT_TIMEOUT")
    request_id = body["requestId"]
    assert "canceled on the server" in body["error"]

    def ended() -> dict[str, Any] | None:
        jobs = api(faults, "GET", "/api/inflight", params={"includeTerminal": "1"}).json()
        return next((j for j in jobs["terminalJobs"] if j["requestId"] == request_id), None)

    assert wait_for(ended)["status"] == "canceled"


def test_exit_8_server_timeout(faults: RunningStack) -> None:
    fault(faults, upstream="oauth", mode="hang", count=0)  # the stack times the OAuth call out at 10 s
    assert_error(ima2(faults.home, "gen", "slow", "--json"), 8, "OAUTH_IMAGE_TIMEOUT", 504)


# --- status commands --------------------------------------------------------------------------------


def test_providers_billing_capabilities(stack: RunningStack) -> None:
    providers = as_json(ok(ima2(stack.home, "providers", "--json")))
    assert (
        providers["providers"]["oauth"]["status"] == "ready"
        and providers["keys"]["openai"]["source"] == "config"  # the sandbox's keys are saved keys
    )
    table = ok(ima2(stack.home, "providers")).stdout
    assert "oauth" in table and "ready" in table and "config" in table
    billing = as_json(ok(ima2(stack.home, "billing", "--json")))
    assert billing["billing"]["apiKeySource"] == "config" and set(billing["quota"]) >= {"codex", "grok"}
    assert "API key: config" in ok(ima2(stack.home, "billing")).stdout
    caps = as_json(ok(ima2(stack.home, "capabilities", "--json")))
    assert "oauth" in caps["providers"] and caps == api(stack, "GET", "/api/capabilities").json()
    assert "gpt-5.4" in ok(ima2(stack.home, "capabilities")).stdout


def test_oauth_and_grok_status(stack: RunningStack) -> None:
    oauth = as_json(ok(ima2(stack.home, "oauth", "status", "--json")))
    assert oauth["status"] == "ready" and oauth["models"]
    assert ok(ima2(stack.home, "oauth", "status")).stdout.startswith("oauth: ready")
    grok = as_json(ok(ima2(stack.home, "grok", "status", "--json")))
    assert grok["status"] == "ready" and any(m.startswith("grok-imagine") for m in grok["models"])
    assert ok(ima2(stack.home, "grok", "status")).stdout.startswith("grok: ready")


def test_storage_status_and_open(stack: RunningStack) -> None:
    status = as_json(ok(ima2(stack.home, "storage", "status", "--json")))
    assert status["ok"] is True and status["data"]["doctorCommand"] == "ima2 doctor"
    assert "files, state" in ok(ima2(stack.home, "storage", "status")).stdout
    if os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"):
        pytest.skip("a desktop session could open the folder for real")
    # the sandbox stack runs headless: the server says so, with its code, exit 6
    assert_error(ima2(stack.home, "storage", "open", "--json"), 6, "OPEN_GENERATED_DIR_FAILED", 500)


def test_status_ping_open(stack: RunningStack) -> None:
    body = as_json(ok(ima2(stack.home, "status", "--json")))
    assert body["server"] == f"http://localhost:{stack.info['port']}" and body["health"]["ok"] is True
    text = ok(ima2(stack.home, "status")).stdout
    assert "(sandbox)" in text and "library" in text and "providers ready:" in text
    assert as_json(ok(ima2(stack.home, "open", "--print", "--json")))["url"] == f"{body['server']}/"
    assert ok(ima2(stack.home, "open", "--print", "--quiet")).stdout.strip() == f"{body['server']}/"


def test_doctor(stack: RunningStack, tmp_path: Path) -> None:
    body = as_json(ok(ima2(stack.home, "doctor", "--json")))
    checks = {c["name"]: c for c in body["checks"]}
    assert list(checks) == [
        "install",
        "data dir",
        "server.json",
        "port",
        "nats",
        "ffmpeg",
        "server",
        "keys",
        "storage",
    ]
    assert body["ok"] is True and checks["server"]["status"] == "ok" and checks["nats"]["status"] == "ok"
    assert checks["keys"]["status"] == "ok" and "openai: config" in checks["keys"]["detail"]
    assert checks["ffmpeg"]["status"] == ("ok" if shutil.which("ffmpeg") else "warn")
    assert all(set(c) == {"name", "status", "detail", "fix"} for c in body["checks"])
    # no server: the server check fails with its fix, and the exit code says so
    (tmp_path / "server.json").write_text('{"pid": 999999999, "url": "http://127.0.0.1:9"}')
    down = ima2(tmp_path, "doctor", "--json", "--server", "http://127.0.0.1:9")
    assert down.returncode == 1
    bad = {c["name"]: c for c in as_json(down)["checks"]}
    assert bad["server"]["status"] == "fail" and "ima2 up" in bad["server"]["fix"]
    assert bad["server.json"]["status"] == "warn" and "remove" in bad["server.json"]["fix"]


# --- help and completion ----------------------------------------------------------------------------


def walk(command: Any, path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], Any]]:
    found = [(path, command)]
    if hasattr(command, "list_commands"):
        context = typer.Context(command)
        for name in command.list_commands(context):
            sub = command.get_command(context, name)
            assert sub is not None
            found += walk(sub, (*path, name))
    return found


def test_every_command_has_help_with_an_example() -> None:
    commands = walk(typer.main.get_command(app))
    assert len(commands) > 60
    for path, command in commands:
        epilog = command.epilog or ""
        assert epilog.startswith("Example: ") and "ima2 " in epilog, path
        assert command.help, path
    shown = subprocess.run(
        [sys.executable, "-m", "ima2_cli", "session", "graph", "save", "--help"],
        capture_output=True,
        text=True,
    )
    assert (
        shown.returncode == 0
        and "If-Match" in shown.stdout
        and "Example: ima2 session graph save" in shown.stdout
    )


@pytest.mark.parametrize(
    ("shell", "marker"),
    [
        ("bash", "complete -o default -F _ima2_completion ima2"),
        ("zsh", "compdef _ima2_completion ima2"),
        ("fish", "complete --command ima2"),
    ],
)
def test_completion_scripts(shell: str, marker: str, tmp_path: Path) -> None:
    script = ok(ima2(tmp_path, "completion", shell)).stdout
    assert marker in script and "_IMA2_COMPLETE" in script


def test_bash_completion_completes_commands(tmp_path: Path) -> None:
    bash = shutil.which("bash")
    if bash is None:
        pytest.skip("no bash")
    bin_dir = Path(sys.executable).parent
    assert (bin_dir / "ima2").exists()
    script = ok(ima2(tmp_path, "completion", "bash")).stdout
    (tmp_path / "ima2.bash").write_text(script)
    probe = (
        f"source {tmp_path / 'ima2.bash'}; "
        'COMP_WORDS=(ima2 session gr); COMP_CWORD=2; _ima2_completion ima2; echo "${COMPREPLY[@]}"'
    )
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ.get('PATH', '')}", "IMA2_HOME": str(tmp_path)}
    result = subprocess.run([bash, "-c", probe], capture_output=True, text=True, env=env, timeout=60)
    assert result.stdout.split() == ["graph"], result.stderr
