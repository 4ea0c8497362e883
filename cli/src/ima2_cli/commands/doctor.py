"""`ima2 doctor`: each check is `{name, status: ok|warn|fail, detail, fix}`; nothing secret is shown
(keys are reported by where they come from, never by value)."""

from __future__ import annotations

import json
import os
import platform
import shutil
import socket
import sys
from typing import Any

from ima2_cli import client
from ima2_cli.app import Runtime
from ima2_cli.client import CliError
from ima2_common.nats_server import find_nats_server
from ima2_common.settings import Settings

KEY_ENV = ("OPENAI_API_KEY", "XAI_API_KEY", "GEMINI_API_KEY", "VERTEX_SERVICE_ACCOUNT_JSON")


def check(name: str, status: str, detail: str, fix: str = "") -> dict[str, Any]:
    return {"name": name, "status": status, "detail": detail, "fix": fix}


def _install() -> dict[str, Any]:
    version = sys.version_info
    detail = f"ima2 {Settings().version}, Python {platform.python_version()} ({sys.executable})"
    if version < (3, 11):
        return check("install", "fail", detail, "ima2 needs Python 3.11 or newer")
    return check("install", "ok", detail)


def _data_dir(rt: Runtime) -> dict[str, Any]:
    home = rt.settings.home_dir
    if not home.exists():
        return check("data dir", "warn", f"{home} does not exist yet", "`ima2 up` creates it on first start")
    if not os.access(home, os.W_OK):
        return check(
            "data dir", "fail", f"{home} is not writable", f"fix the permissions of {home}, or set IMA2_HOME"
        )
    generated = rt.settings.generated_path
    count = sum(1 for p in generated.iterdir() if p.is_file()) if generated.is_dir() else 0
    return check("data dir", "ok", f"{home} (generated: {generated}, {count} files)")


def _server_file(rt: Runtime) -> tuple[dict[str, Any], dict[str, Any]]:
    path = rt.settings.server_file
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return check("server.json", "ok", f"{path}: no server advertised (not running)"), {}
    except (ValueError, UnicodeDecodeError):
        return check("server.json", "fail", f"{path} is not valid JSON", f"remove {path}"), {}
    info = info if isinstance(info, dict) else {}
    pid = info.get("pid")
    alive = isinstance(pid, int) and _pid_alive(pid)
    if not alive:
        return (
            check("server.json", "warn", f"{path} names pid {pid}, which is not running", f"remove {path}"),
            info,
        )
    return check("server.json", "ok", f"pid {pid}, {info.get('url')}"), info


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _port(rt: Runtime, info: dict[str, Any]) -> dict[str, Any]:
    port = rt.settings.port
    if info.get("port"):
        return check("port", "ok", f"the server listens on {info['port']} (configured {port})")
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return check(
                "port",
                "warn",
                f"port {port} is taken by another program",
                "`ima2 up` will use the next free port; or set IMA2_PORT",
            )
    return check("port", "ok", f"port {port} is free")


def _nats() -> dict[str, Any]:
    try:
        return check("nats", "ok", find_nats_server())
    except FileNotFoundError:
        return check("nats", "fail", "nats-server not found", "reinstall (uv sync) or set NATS_SERVER_BIN")


def _ffmpeg() -> dict[str, Any]:
    found = shutil.which("ffmpeg")
    if found:
        return check("ffmpeg", "ok", found)
    return check("ffmpeg", "warn", "ffmpeg not found (video frames and analysis need it)", "install ffmpeg")


def _server(rt: Runtime) -> tuple[dict[str, Any], client.ApiClient | None]:
    try:
        api = rt.api()
        health = api.get("/api/health")
    except CliError as err:
        return check("server", "fail", err.message, err.guidance), None
    if not health.get("ok"):
        down = [n for n, s in (health.get("services") or {}).items() if s.get("status") != "up"]
        return (
            check(
                "server",
                "fail",
                f"{api.server} is degraded ({', '.join(down) or 'nats'} down)",
                "see IMA2_HOME/logs",
            ),
            api,
        )
    return check("server", "ok", f"{api.server} version {health.get('version')}"), api


def _keys(api: client.ApiClient | None) -> dict[str, Any]:
    if api is not None:
        try:
            keys = api.get("/api/providers").get("keys") or {}
        except CliError:
            keys = {}
        if keys:
            configured = [n for n, k in keys.items() if k.get("source") not in (None, "none")]
            detail = ", ".join(f"{n}: {k.get('source')}" for n, k in keys.items())
            if configured:
                return check("keys", "ok", detail)
            return check(
                "keys",
                "warn",
                detail,
                "add a key in the studio (Settings > API Keys) or log in to a provider",
            )
    present = [name for name in KEY_ENV if os.environ.get(name)]
    if present:
        return check("keys", "ok", "set in this environment: " + ", ".join(present))
    return check(
        "keys",
        "warn",
        "no provider key in this environment",
        "set OPENAI_API_KEY, XAI_API_KEY or GEMINI_API_KEY",
    )


def _storage(api: client.ApiClient | None) -> dict[str, Any]:
    if api is None:
        return check("storage", "warn", "not checked (no server)", "start the server with `ima2 up`")
    try:
        data = api.get("/api/storage/status").get("data") or {}
    except CliError as err:
        return check("storage", "fail", err.message, err.guidance)
    state = data.get("state")
    detail = f"{data.get('generatedDirLabel')}: {data.get('generatedCount')} files, state {state}"
    if state == "recoverable":
        return check(
            "storage", "warn", detail, f"old images can be recovered: see {data.get('recoveryDocsPath')}"
        )
    if state == "unknown":
        return check("storage", "warn", detail, "the server could not inspect its folders; see its logs")
    return check("storage", "ok", detail)


def run_checks(rt: Runtime) -> list[dict[str, Any]]:
    server_file, info = _server_file(rt)
    server, api = _server(rt)
    return [
        _install(),
        _data_dir(rt),
        server_file,
        _port(rt, info),
        _nats(),
        _ffmpeg(),
        server,
        _keys(api),
        _storage(api),
    ]
