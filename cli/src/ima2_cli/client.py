"""The one HTTP client of `ima2`: server discovery, the access token, envelopes, SSE and exit codes.

Server: `--server`, then IMA2_SERVER, then the CLI config (`server`), then server.json
(`backend.url`, `url`, `port`), then http://localhost:3333. An explicitly chosen server (flag,
env or config) is used or reported unreachable; the discovered ones are probed in turn with
`GET /api/health` and a short timeout, and the first that answers is used. Redirects are never
followed and URLs carrying credentials are refused.

Access token (sent as `Authorization: Bearer`): IMA2_ACCESS_TOKEN, then the CLI config
(`accessToken`), then the token `ima2 up` generated in IMA2_HOME/access-token. The CLI config is
IMA2_HOME/cli.json (mode 0600).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import httpx

from ima2_cli.access_token import read_token_file
from ima2_common import limits
from ima2_common.files import write_json_atomic
from ima2_common.settings import Settings

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_UNREACHABLE = 3
EXIT_AUTH = 4
EXIT_CLIENT = 5
EXIT_SERVER = 6
EXIT_SAFETY = 7
EXIT_TIMEOUT = 8
EXIT_INTERRUPTED = 130

CONFIG_KEYS = ("server", "accessToken")
SECRET_CONFIG_KEYS = ("accessToken",)
DEFAULT_TIMEOUT = 30.0
PROBE_TIMEOUT = 0.6  # to connect: a candidate nobody listens on is skipped quickly
PROBE_READ_TIMEOUT = 10.0  # health asks every service, so a busy server may take a moment
AUTH_CODES = frozenset(
    {
        "APIKEY_DISABLED",
        "AUTH_CHATGPT_EXPIRED",
        "OAUTH_UNAVAILABLE",
        "API_KEY_REQUIRED",
        "AUTH_API_KEY_INVALID",
        "ACCESS_TOKEN_REQUIRED",
        "LAN_TOKEN_REQUIRED",
        "GEMINI_API_KEY_MISSING",
        "GROK_API_KEY_MISSING",
    }
)
SAFETY_CODES = frozenset({"SAFETY_REFUSAL", "MODERATION_REFUSED", "GEMINI_API_SAFETY_BLOCKED"})
ACCESS_CODES = frozenset({"ACCESS_TOKEN_REQUIRED", "LAN_TOKEN_REQUIRED", ""})
ACCESS_GUIDANCE = (
    "the server needs its access token: set IMA2_ACCESS_TOKEN or `ima2 config set accessToken -`"
)
PROVIDER_AUTH_GUIDANCE = (
    "sign in to the provider again or add its key (studio Settings); `ima2 providers` shows what is ready"
)
GUIDANCE = {
    EXIT_UNREACHABLE: "start the server with `ima2 up`, or point the CLI at one with --server or IMA2_SERVER",
    EXIT_SAFETY: "the provider refused the prompt; rephrase it",
    EXIT_TIMEOUT: "the job took too long; try again, or raise --timeout",
    EXIT_SERVER: "the server or an upstream failed; `ima2 doctor` checks the installation",
}


class CliError(Exception):
    """An error the CLI reports: message, exit code, and the server's code and status if any."""

    def __init__(
        self,
        message: str,
        exit_code: int,
        code: str = "",
        status: int | None = None,
        guidance: str = "",
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code
        self.code = code
        self.status = status
        self.guidance = guidance or guidance_for(exit_code, code)
        self.extra = extra or {}

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"ok": False, "error": self.message, "code": self.code or None}
        body["status"] = self.status
        if self.guidance:
            body["guidance"] = self.guidance
        body.update(self.extra)
        return body


def guidance_for(exit_code: int, code: str) -> str:
    if exit_code == EXIT_AUTH:
        return ACCESS_GUIDANCE if code in ACCESS_CODES else PROVIDER_AUTH_GUIDANCE
    return GUIDANCE.get(exit_code, "")


def exit_code_for(status: int, code: str) -> int:
    if code in SAFETY_CODES or code.endswith("MODERATION_BLOCKED"):
        return EXIT_SAFETY
    if code.endswith("_TIMEOUT") or status in (408, 504):
        return EXIT_TIMEOUT
    if status in (401, 403) or code in AUTH_CODES:
        return EXIT_AUTH
    if status >= 500:
        return EXIT_SERVER
    if status >= 400:
        return EXIT_CLIENT
    return EXIT_ERROR


def error_from_payload(payload: Any, status: int) -> CliError:
    """Any of the gateway's error families: flat `{error, code}`, nested `{error:{code,message}}`,
    keys `{ok:false, error, code}`, and SSE `error` frames `{error, code, status, guidance?}`."""
    message, code, guidance = f"HTTP {status}", "", ""
    extra: dict[str, Any] = {}
    if isinstance(payload, dict):
        error = payload.get("error")
        if isinstance(error, dict):
            message = str(error.get("message") or message)
            code = str(error.get("code") or "")
            guidance = str(error.get("guidance") or "")
        elif isinstance(error, str) and error:
            message = error
        code = code or str(payload.get("code") or "")
        guidance = guidance or str(payload.get("guidance") or "")
        if isinstance(payload.get("status"), int):
            status = payload["status"]
        for key in ("requestId", "currentVersion"):
            if payload.get(key) is not None:
                extra[key] = payload[key]
    return CliError(message, exit_code_for(status, code), code, status, guidance, extra)


# --- configuration --------------------------------------------------------------------------------


def load_config(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise CliError(
            f"{path} is not valid JSON; fix or remove it", EXIT_USAGE, "INVALID_CLI_CONFIG"
        ) from None
    return data if isinstance(data, dict) else {}


def save_config(path: Path, config: dict[str, Any]) -> None:
    write_json_atomic(path, config, mode=0o600)


def mask(value: str) -> str:
    return "***" if len(value) <= 10 else f"{value[:4]}..{value[-2:]}"


def access_token(settings: Settings, config: dict[str, Any]) -> str:
    if settings.access_token:
        return settings.access_token
    saved = config.get("accessToken")
    if isinstance(saved, str) and saved.strip():
        return saved.strip()
    return read_token_file(settings.access_token_file)


def browser_id(settings: Settings) -> str:
    """`cli-<sha1 prefix>` of the config dir: the CLI's own favourites and annotations."""
    return "cli-" + hashlib.sha1(str(settings.home_dir).encode()).hexdigest()[:16]


# --- discovery ------------------------------------------------------------------------------------


def check_url(url: str, where: str) -> str:
    url = url.strip().rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise CliError(f"{where}: {url!r} is not an http(s) URL", EXIT_USAGE, "INVALID_SERVER_URL")
    if parts.username is not None or parts.password is not None:
        raise CliError(
            f"{where}: credentials in the server URL are refused; use IMA2_ACCESS_TOKEN instead",
            EXIT_USAGE,
            "SERVER_URL_CREDENTIALS",
        )
    if parts.query or parts.fragment:
        raise CliError(
            f"{where}: the server URL must not have a query or fragment", EXIT_USAGE, "INVALID_SERVER_URL"
        )
    return url


@dataclass(frozen=True)
class Candidate:
    url: str
    source: str  # flag | env | config | server.json | default
    explicit: bool


def candidates(flag: str | None, settings: Settings, config: dict[str, Any]) -> list[Candidate]:
    for value, source in ((flag, "--server"), (os.environ.get("IMA2_SERVER"), "IMA2_SERVER")):
        if isinstance(value, str) and value.strip():
            return [Candidate(check_url(value, source), source, True)]
    saved = config.get("server")
    if isinstance(saved, str) and saved.strip():
        return [Candidate(check_url(saved, "cli.json server"), "config", True)]
    found: list[Candidate] = []
    try:
        info = json.loads(settings.server_file.read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError, UnicodeDecodeError):
        info = {}
    if isinstance(info, dict):
        backend = info.get("backend") if isinstance(info.get("backend"), dict) else {}
        for value in (backend.get("url"), info.get("url")):
            if isinstance(value, str) and value:
                found.append(Candidate(check_url(value, "server.json"), "server.json", False))
        if isinstance(info.get("port"), int):
            found.append(Candidate(f"http://localhost:{info['port']}", "server.json", False))
    found.append(Candidate(f"http://localhost:{limits.DEFAULT_PORT}", "default", False))
    unique: list[Candidate] = []
    for item in found:
        if item.url not in {c.url for c in unique}:
            unique.append(item)
    return unique


def discover_server(flag: str | None, settings: Settings, config: dict[str, Any]) -> str:
    """The first candidate, without probing (what `ima2 config` and the unit tests look at)."""
    return candidates(flag, settings, config)[0].url


def probe(url: str, headers: dict[str, str], timeout: float = PROBE_TIMEOUT) -> str:
    """`ok` (answered, any status but a redirect), `redirect`, or `unreachable`. Only the connect
    is short: a server that accepted the connection is given time to answer."""
    try:
        response = httpx.get(
            f"{url}/api/health",
            headers=headers,
            timeout=httpx.Timeout(PROBE_READ_TIMEOUT, connect=timeout),
            follow_redirects=False,
        )
    except httpx.HTTPError:
        return "unreachable"
    return "redirect" if response.is_redirect else "ok"


# --- the client -----------------------------------------------------------------------------------


@dataclass
class SseEvent:
    event: str
    data: Any
    id: str | None = None


@dataclass
class ApiClient:
    server: str
    token: str = ""
    timeout: float = DEFAULT_TIMEOUT
    browser: str = ""
    version: str = field(default_factory=lambda: str(Settings.model_fields["version"].default))

    def headers(self, extra: dict[str, str] | None = None, *, browser: bool = False) -> dict[str, str]:
        headers = {"X-ima2-client": f"cli/{self.version}"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        if browser and self.browser:
            headers["X-Ima2-Browser-Id"] = self.browser
        headers.update(extra or {})
        return headers

    def url(self, path: str) -> str:
        return f"{self.server}{path}"

    def _unreachable(self, exc: Exception) -> CliError:
        if isinstance(exc, httpx.TimeoutException) and not isinstance(exc, httpx.ConnectTimeout):
            return CliError(f"{self.server} did not answer in time", EXIT_TIMEOUT, "CLIENT_TIMEOUT")
        if isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout):
            return CliError(f"cannot reach {self.server}", EXIT_UNREACHABLE, "SERVER_UNREACHABLE")
        return CliError(
            f"network error talking to {self.server} ({type(exc).__name__})", EXIT_SERVER, "NETWORK_FAILED"
        )

    def check(self, response: httpx.Response) -> httpx.Response:
        if response.is_redirect:
            where = response.headers.get("location", "?")
            raise CliError(
                f"{self.server} answered with a redirect to {where}; redirects are not followed",
                EXIT_UNREACHABLE,
                "REDIRECT_REFUSED",
                response.status_code,
            )
        if response.status_code >= 400:
            try:
                payload = response.json()
            except ValueError:
                payload = None
            raise error_from_payload(payload, response.status_code)
        return response

    def send(
        self,
        method: str,
        path: str,
        *,
        browser: bool = False,
        headers: dict[str, str] | None = None,
        timeout: float | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        try:
            response = httpx.request(
                method,
                self.url(path),
                headers=self.headers(headers, browser=browser),
                timeout=timeout or self.timeout,
                follow_redirects=False,
                **kwargs,
            )
        except httpx.HTTPError as exc:
            raise self._unreachable(exc) from None
        return self.check(response)

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.send(method, path, **kwargs)
        if not response.content:
            return {}
        try:
            return response.json()
        except ValueError:
            return response.text

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.request("GET", path, **kwargs)

    def download(self, path: str, dest: Path) -> Path:
        response = self.send("GET", path, timeout=120)
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes(response.content)
        return dest

    def sse(self, path: str, body: dict[str, Any], timeout: float | None = None) -> Iterator[SseEvent]:
        """POST with `Accept: text/event-stream` and yield the events; a JSON answer (an error
        before the stream, or a route that answered without SSE) is raised or yielded as `done`."""
        read = timeout or self.timeout
        try:
            with httpx.stream(
                "POST",
                self.url(path),
                json=body,
                headers=self.headers({"Accept": "text/event-stream"}),
                timeout=httpx.Timeout(read, connect=10.0),
                follow_redirects=False,
            ) as response:
                if response.status_code >= 300:
                    response.read()
                    self.check(response)
                if "text/event-stream" not in response.headers.get("content-type", ""):
                    response.read()
                    yield SseEvent("done", response.json())
                    return
                yield from parse_sse(response.iter_lines())
        except httpx.HTTPError as exc:
            raise self._unreachable(exc) from None


def parse_sse(lines: Iterator[str]) -> Iterator[SseEvent]:
    event, data, event_id = "message", [], None
    for line in lines:
        if line == "":
            if data:
                raw = "\n".join(data)
                try:
                    payload: Any = json.loads(raw)
                except ValueError:
                    payload = raw
                yield SseEvent(event, payload, event_id)
            event, data, event_id = "message", [], None
        elif line.startswith(":"):
            continue
        else:
            name, _, value = line.partition(":")
            value = value.removeprefix(" ")
            if name == "event":
                event = value
            elif name == "data":
                data.append(value)
            elif name == "id":
                event_id = value
    if data:
        yield SseEvent(event, json.loads("\n".join(data)), event_id)


def segment(value: str) -> str:
    """One path segment, percent-encoded (file names, ids)."""
    return quote(value, safe="")
