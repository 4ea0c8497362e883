"""Start and stop a real ima2 stack (`ima2 up`) for tests, on free ports with its own IMA2_HOME."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from ima2_common.net import free_port

READY_TIMEOUT = 40.0


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().split(") ", 1)[1][0] != "Z"
    except OSError:
        return False


@dataclass
class RunningStack:
    home: Path
    port: int
    proc: subprocess.Popen[str]
    env: dict[str, str]
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.info['port']}"

    @property
    def sandbox_url(self) -> str:
        return str(self.info["stack"]["sandboxUrl"])

    @property
    def nats_url(self) -> str:
        return str(self.info["stack"]["natsUrl"])

    def child_pids(self) -> dict[str, int]:
        return {k: v for k, v in self.info["stack"]["pids"].items() if v}

    def logs(self) -> dict[str, str]:
        return {p.name: p.read_text(errors="replace") for p in (self.home / "logs").iterdir() if p.is_file()}

    def stop(self, sig: int = signal.SIGINT, timeout: float = 20.0) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode


def start_stack(
    home: Path,
    *,
    sandbox: bool = True,
    port: int | None = None,
    extra_env: dict[str, str] | None = None,
    extra_args: list[str] | None = None,
    ready_timeout: float = READY_TIMEOUT,
) -> RunningStack:
    port = port or free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("IMA2_")}
    for key in ("OPENAI_API_KEY", "XAI_API_KEY", "GEMINI_API_KEY", "VERTEX_SERVICE_ACCOUNT_JSON"):
        env.pop(key, None)
    env.update({"IMA2_HOME": str(home), "PYTHONUNBUFFERED": "1", **(extra_env or {})})
    argv = [sys.executable, "-m", "ima2_cli", "up", "--port", str(port)]
    if sandbox:
        argv.append("--sandbox")
    argv += extra_args or []
    home.mkdir(parents=True, exist_ok=True)
    out = open(home / "launcher.out", "w")  # noqa: SIM115 - closed with the process
    proc = subprocess.Popen(argv, env=env, stdout=out, stderr=subprocess.STDOUT, text=True)
    stack = RunningStack(home=home, port=port, proc=proc, env=env)
    deadline = time.monotonic() + ready_timeout
    server_file = home / "server.json"
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"ima2 up exited {proc.returncode}: {(home / 'launcher.out').read_text()}")
        if server_file.exists():
            try:
                stack.info = json.loads(server_file.read_text())
                if httpx.get(f"{stack.url}/api/health", timeout=2).json().get("ok"):
                    return stack
            except (ValueError, httpx.HTTPError):
                pass
        time.sleep(0.05)
    stack.stop(signal.SIGKILL)
    raise RuntimeError(f"stack not healthy in {ready_timeout}s: {(home / 'launcher.out').read_text()}")
