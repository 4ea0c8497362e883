"""The API client side of `ima2`: server discovery, the access token, requests and exit codes.

Server: `--server`, then IMA2_SERVER, then the CLI config (`server`), then server.json
(`backend.url`, `url`, `port`), then http://localhost:3333. Access token (sent as
`Authorization: Bearer`): IMA2_ACCESS_TOKEN, then the CLI config (`accessToken`), then the token
`ima2 up` generated in IMA2_HOME/access-token. The CLI config is IMA2_HOME/cli.json (mode 0600).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from ima2_cli.access_token import read_token_file
from ima2_common import limits
from ima2_common.files import write_json_atomic
from ima2_common.settings import Settings

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_UNREACHABLE, EXIT_AUTH, EXIT_CLIENT, EXIT_SERVER = 0, 1, 2, 3, 4, 5, 6
CONFIG_KEYS = ("server", "accessToken")
SECRET_CONFIG_KEYS = ("accessToken",)
DEFAULT_TIMEOUT = 30.0


class CliError(Exception):
    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def load_config(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise CliError(f"{path} is not valid JSON; fix or remove it", EXIT_USAGE) from None
    return data if isinstance(data, dict) else {}


def save_config(path: Path, config: dict[str, Any]) -> None:
    write_json_atomic(path, config, mode=0o600)


def mask(value: str) -> str:
    return "***" if len(value) <= 10 else f"{value[:4]}..{value[-2:]}"


def discover_server(flag: str | None, settings: Settings, config: dict[str, Any]) -> str:
    for candidate in (flag, os.environ.get("IMA2_SERVER"), config.get("server")):
        if isinstance(candidate, str) and candidate.strip():
            return candidate.strip().rstrip("/")
    try:
        info = json.loads(settings.server_file.read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError, UnicodeDecodeError):
        info = {}
    if isinstance(info, dict):
        url = (info.get("backend") or {}).get("url") or info.get("url")
        if isinstance(url, str) and url:
            return url.rstrip("/")
        if isinstance(info.get("port"), int):
            return f"http://localhost:{info['port']}"
    return f"http://localhost:{limits.DEFAULT_PORT}"


def access_token(settings: Settings, config: dict[str, Any]) -> str:
    if settings.access_token:
        return settings.access_token
    saved = config.get("accessToken")
    if isinstance(saved, str) and saved.strip():
        return saved.strip()
    return read_token_file(settings.access_token_file)


def _error_message(response: httpx.Response) -> tuple[str, str]:
    try:
        body = response.json()
    except ValueError:
        return f"HTTP {response.status_code}", ""
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        return str(error.get("message") or f"HTTP {response.status_code}"), str(error.get("code") or "")
    if isinstance(error, str):
        return error, str(body.get("code") or "")
    return f"HTTP {response.status_code}", ""


@dataclass
class ApiClient:
    server: str
    token: str = ""
    timeout: float = DEFAULT_TIMEOUT

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        headers = {"X-ima2-client": f"cli/{Settings.model_fields['version'].default}"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        try:
            response = httpx.request(
                method, f"{self.server}{path}", headers=headers, timeout=self.timeout, **kwargs
            )
        except httpx.HTTPError as exc:
            raise CliError(f"cannot reach {self.server} ({type(exc).__name__})", EXIT_UNREACHABLE) from None
        if response.status_code < 400:
            try:
                return response.json()
            except ValueError:
                return response.text
        message, code = _error_message(response)
        label = f"{code}: {message}" if code else message
        if response.status_code in (401, 403):
            hint = (
                " (set IMA2_ACCESS_TOKEN or `ima2 config set accessToken -`)"
                if response.status_code == 401
                else ""
            )
            raise CliError(f"{label}{hint}", EXIT_AUTH)
        raise CliError(label, EXIT_SERVER if response.status_code >= 500 else EXIT_CLIENT)
