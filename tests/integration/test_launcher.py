"""`ima2 up`: server.json, port fallback, IMA2_HOME, refusal of a second instance, clean stop."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
from pathlib import Path

import httpx

from ima2_common import limits
from tests.stackctl import RunningStack, pid_alive, start_stack


def test_server_json_has_the_spec_shape(stack: RunningStack) -> None:
    info = stack.info
    assert info["port"] == info["backend"]["actualPort"]
    assert info["url"] == f"http://localhost:{info['port']}" == info["backend"]["url"]
    assert isinstance(info["pid"], int) and isinstance(info["startedAt"], int)
    assert info["version"]
    assert set(info["oauth"]) >= {"configuredPort", "actualPort", "url", "status"}
    assert info["sandbox"] is True


def test_data_lives_under_ima2_home(stack: RunningStack) -> None:
    for entry in ("server.json", "generated", "logs", "nats"):
        assert (stack.home / entry).exists(), entry
    for part in ("gateway", "svc-image", "svc-library", "svc-auth", "svc-video"):
        assert (stack.home / "logs" / f"{part}.log").exists(), part


def test_second_instance_on_the_same_home_is_refused(stack: RunningStack) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "ima2_cli", "up", "--sandbox"],
        env={**stack.env},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 1
    assert "already running" in result.stderr


def test_port_fallback_and_clean_stop_on_sigterm(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        taken = busy.getsockname()[1]
        running = start_stack(tmp_path / "home", port=taken)
        try:
            info = running.info
            assert info["backend"]["configuredPort"] == taken
            assert taken < info["backend"]["actualPort"] < taken + limits.PORT_FALLBACK_TRIES
            assert (
                httpx.get(f"{running.url}/api/health").json()["runtime"]["backend"]["configuredPort"] == taken
            )
        finally:
            children = running.child_pids()
            assert running.stop(signal.SIGTERM) == 0
    # The launcher waits for every child before it exits: none may be alive now.
    assert children and not [name for name, pid in children.items() if pid_alive(pid)]
    assert not (tmp_path / "home" / "server.json").exists()


def test_ctrl_c_leaves_no_process_behind(tmp_path: Path) -> None:
    running = start_stack(tmp_path / "home", sandbox=False)
    children = running.child_pids()
    assert set(children) >= {"gateway", "svc-image", "svc-video", "svc-library", "svc-auth", "nats"}
    assert running.stop(signal.SIGINT) == 0
    assert not [name for name, pid in children.items() if pid_alive(pid)]
    said = (running.home / "launcher.out").read_text()
    assert "ima2: stopping" in said and said.rstrip().endswith("ima2: stopped")  # Ctrl-C is answered


def test_non_loopback_bind_needs_a_valid_access_token(tmp_path: Path) -> None:
    # Off loopback `ima2 up` requires IMA2_ACCESS_TOKEN or generates one (tests/integration/test_access.py).
    result = subprocess.run(
        [sys.executable, "-m", "ima2_cli", "up", "--host", "0.0.0.0", "--port", "0"],
        env={"IMA2_HOME": str(tmp_path), "PATH": "/usr/bin:/bin", "IMA2_ACCESS_TOKEN": "too-short"},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 1
    assert "access token" in result.stderr
