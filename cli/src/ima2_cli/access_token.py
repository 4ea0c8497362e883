"""The access token that a non-loopback gateway requires: from IMA2_ACCESS_TOKEN, or generated once.

A generated token is kept in IMA2_HOME/access-token (mode 0600) and reused by later starts, so
browsers' session cookies and configured CLIs keep working; it is printed only when generated.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path

from ima2_common.files import write_atomic
from ima2_common.settings import Settings

LOCAL_BIND_HOSTS = ("127.0.0.1", "::1", "localhost")
WILDCARD_HOSTS = ("0.0.0.0", "::", "")
MIN_TOKEN_CHARS = 16
MAX_TOKEN_BYTES = 4096


class AccessTokenError(ValueError):
    pass


@dataclass(frozen=True)
class AccessToken:
    value: str
    origin: str  # env | file | generated
    path: Path


def bare_host(host: str) -> str:
    return host.strip().lower().removeprefix("[").removesuffix("]")


def is_local_bind(host: str) -> bool:
    """127.0.0.1, ::1 and localhost only: any other address (127.0.0.2 included) is exposed."""
    return bare_host(host) in LOCAL_BIND_HOSTS


def check(token: str, where: str) -> str:
    if len(token) < MIN_TOKEN_CHARS or len(token.encode()) > MAX_TOKEN_BYTES:
        raise AccessTokenError(
            f"{where}: the access token must be {MIN_TOKEN_CHARS} to {MAX_TOKEN_BYTES} characters"
        )
    if any(not (0x21 <= ord(ch) <= 0x7E) for ch in token):
        raise AccessTokenError(f"{where}: the access token must be printable ASCII without spaces")
    return token


def read_token_file(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8").strip()
    except (FileNotFoundError, UnicodeDecodeError):
        return ""


def resolve(settings: Settings) -> AccessToken:
    path = settings.access_token_file
    if settings.access_token:
        return AccessToken(check(settings.access_token, "IMA2_ACCESS_TOKEN"), "env", path)
    saved = read_token_file(path)
    if saved:
        return AccessToken(check(saved, str(path)), "file", path)
    token = secrets.token_urlsafe(32)
    write_atomic(path, (token + "\n").encode(), mode=0o600)
    return AccessToken(token, "generated", path)
