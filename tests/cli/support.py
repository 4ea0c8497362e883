"""Running `ima2` as a subprocess against the sandbox stack, and reading the server's state back."""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import pty
import re
import select
import struct
import subprocess
import sys
import termios
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import httpx

from tests.stackctl import RunningStack

T = TypeVar("T")
CLI = [sys.executable, "-m", "ima2_cli"]
COLOR_SGR = re.compile(r"\x1b\[(?:[0-9]+;)*(?:3[0-7]|9[0-7]|38;[0-9;]+)m")  # a colour, not bold/dim


def cli_env(home: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("IMA2_") and k != "NO_COLOR"}
    env.update({"IMA2_HOME": str(home), "PYTHONUNBUFFERED": "1", **(extra or {})})
    return env


def ima2(
    home: Path,
    *args: str,
    env: dict[str, str] | None = None,
    stdin: str = "",
    cwd: Path | None = None,
    timeout: float = 120,
) -> subprocess.CompletedProcess[str]:
    """`ima2 ARGS` with IMA2_HOME=home (the stack's home: the CLI finds it through server.json)."""
    return subprocess.run(
        [*CLI, *args],
        env=cli_env(home, env),
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=cwd,
    )


def ok(result: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert result.returncode == 0, (
        f"exit {result.returncode}\nstdout: {result.stdout}\nstderr: {result.stderr}"
    )
    return result


def as_json(result: subprocess.CompletedProcess[str]) -> Any:
    """The one JSON document a `--json` run printed."""
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    assert len(lines) == 1, f"expected one JSON line, got: {result.stdout!r} (stderr {result.stderr!r})"
    return json.loads(lines[0])


def assert_error(
    result: subprocess.CompletedProcess[str], exit_code: int, code: str, status: int | None = None
) -> dict[str, Any]:
    """A `--json` failure: exit code, `{ok:false, error, code, status}` on stdout, code on stderr."""
    assert result.returncode == exit_code, f"exit {result.returncode}: {result.stdout} {result.stderr}"
    body: dict[str, Any] = as_json(result)
    assert body["ok"] is False and body["code"] == code and isinstance(body["error"], str) and body["error"]
    assert "status" in body and (status is None or body["status"] == status)
    assert f"ima2: {code}: " in result.stderr
    assert "Traceback" not in result.stderr
    return body


def browser_id(home: Path) -> str:
    return "cli-" + hashlib.sha1(str(home.resolve()).encode()).hexdigest()[:16]


def api(stack: RunningStack, method: str, path: str, **kwargs: Any) -> httpx.Response:
    return httpx.request(method, f"{stack.url}{path}", timeout=30, **kwargs)


def history(
    stack: RunningStack, headers: dict[str, str] | None = None, **params: Any
) -> list[dict[str, Any]]:
    response = api(stack, "GET", "/api/history", params={"limit": 500, **params}, headers=headers)
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def wait_for(predicate: Callable[[], T | None], timeout: float = 30.0, interval: float = 0.05) -> T:
    """Poll a condition on real state (the server, a file) until it holds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        time.sleep(interval)


def fault(stack: RunningStack, **spec: Any) -> None:
    response = httpx.post(f"{stack.sandbox_url}/_sandbox/faults", json=spec, timeout=10)
    assert response.status_code == 201, response.text


def clear_faults(stack: RunningStack) -> None:
    httpx.delete(f"{stack.sandbox_url}/_sandbox/faults", timeout=10)


class TinyServer:
    """A stand-in HTTP server on loopback that records what the CLI sends; `redirect=True` answers
    every request with a 302 (a server the CLI must not follow); `drop=True` answers the health
    probe, then closes every other connection without a response; `etag` is sent as the ETag header; `payload` replaces the JSON every request is answered with."""

    def __init__(
        self,
        redirect: bool = False,
        drop: bool = False,
        etag: str | None = None,
        payload: dict[str, Any] | None = None,
    ) -> None:
        import http.server
        import threading

        seen: list[dict[str, Any]] = []
        self.seen = seen

        class Handler(http.server.BaseHTTPRequestHandler):
            def _answer(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else b""
                seen.append(
                    {"method": self.command, "path": self.path, "headers": dict(self.headers), "body": body}
                )
                if drop and self.path != "/api/health":
                    self.close_connection = True  # no answer at all: the connection just closes
                    return
                if redirect:
                    self.send_response(302)
                    self.send_header("Location", "http://example.invalid/api/health")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                answer = (
                    payload if payload is not None else {"ok": True, "isFavorite": True, "version": "tiny"}
                )
                body_bytes = json.dumps(answer).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                if etag is not None:
                    self.send_header("ETag", etag)
                self.send_header("Content-Length", str(len(body_bytes)))
                self.end_headers()
                self.wfile.write(body_bytes)

            do_GET = do_POST = do_PUT = do_DELETE = _answer

            def log_message(self, *args: Any) -> None:
                return None

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> TinyServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def run_in_pty(argv: list[str], env: dict[str, str], timeout: float = 90) -> tuple[int, str]:
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=env, close_fds=True)
    os.close(slave)
    chunks: list[bytes] = []
    timer = threading.Timer(timeout, proc.kill)
    timer.start()
    try:
        while True:
            ready, _, _ = select.select([master], [], [], timeout)
            if not ready:
                break
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not data:
                break
            chunks.append(data)
    finally:
        timer.cancel()
        os.close(master)
    return proc.wait(), b"".join(chunks).decode("utf-8", "replace")


def terminal_env(stack: RunningStack, **extra: str) -> dict[str, str]:
    env = cli_env(stack.home, {"TERM": "xterm-256color", **extra})
    env.pop("COLUMNS", None)
    return env
