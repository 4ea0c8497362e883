"""The OAuth credential files, in the shapes the vendors' own CLIs use (mode 0600, atomic writes).

Codex: the Codex CLI's `auth.json` (`{auth_mode, OPENAI_API_KEY, tokens:{id_token, access_token,
refresh_token, account_id}, last_refresh}`). Grok: progrok's `auth.json` (`{accessToken,
refreshToken, expiresAt, tokenEndpoint, idToken, email, accountId}`). Both are re-read on every
use, so a login made by the vendor CLI (or a removed file) is seen at once.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from ima2_auth import jwt
from ima2_common.files import write_json_atomic

OPENAI_AUTH_CLAIM = "https://api.openai.com/auth"
OPENAI_PROFILE_CLAIM = "https://api.openai.com/profile"


@dataclass(frozen=True)
class OAuthToken:
    access_token: str
    refresh_token: str = ""
    expires_at_ms: int = 0  # 0 when unknown
    id_token: str = ""
    account_id: str = ""
    email: str = ""
    token_endpoint: str = ""

    def expired(self, now_ms: int | None = None) -> bool:
        now_ms = now_ms if now_ms is not None else int(time.time() * 1000)
        return bool(self.expires_at_ms) and self.expires_at_ms <= now_ms


class TokenFile(Protocol):
    path: Path

    def read(self) -> OAuthToken | None: ...

    def write(self, token: OAuthToken) -> None: ...


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError, UnicodeDecodeError, IsADirectoryError):
        return None
    return data if isinstance(data, dict) else None


def chatgpt_account_id(*tokens: str) -> str:
    """Top-level claim, then the auth claim, then the first organization (reference §3.3 b)."""
    for token in tokens:
        claims = jwt.claims(token)
        top = claims.get("chatgpt_account_id")
        if isinstance(top, str):
            return top
        auth = claims.get(OPENAI_AUTH_CLAIM)
        nested = auth.get("chatgpt_account_id") if isinstance(auth, dict) else None
        if isinstance(nested, str):
            return nested
        orgs = claims.get("organizations")
        if isinstance(orgs, list) and orgs and isinstance(orgs[0], dict) and orgs[0].get("id"):
            return str(orgs[0]["id"])
    return ""


def token_email(*tokens: str) -> str:
    for token in tokens:
        claims = jwt.claims(token)
        email = claims.get("email")
        if isinstance(email, str):
            return email
        profile = claims.get(OPENAI_PROFILE_CLAIM)
        profile_email = profile.get("email") if isinstance(profile, dict) else None
        if isinstance(profile_email, str):
            return profile_email
    return ""


class CodexAuthFile:
    def __init__(self, path: Path) -> None:
        self.path = path.expanduser()

    def read(self) -> OAuthToken | None:
        data = _read_json(self.path)
        tokens = (data or {}).get("tokens")
        if not isinstance(tokens, dict) or not isinstance(tokens.get("access_token"), str):
            return None
        access = tokens["access_token"]
        given_id_token, given_account = tokens.get("id_token"), tokens.get("account_id")
        id_token = given_id_token if isinstance(given_id_token, str) else ""
        account = given_account if isinstance(given_account, str) else ""
        return OAuthToken(
            access_token=access,
            refresh_token=str(tokens.get("refresh_token") or ""),
            expires_at_ms=jwt.expiry_ms(access),
            id_token=id_token,
            account_id=account or chatgpt_account_id(id_token, access),
            email=token_email(id_token, access),
        )

    def write(self, token: OAuthToken) -> None:
        data = _read_json(self.path) or {}
        data.update(
            {
                "auth_mode": "chatgpt",
                "OPENAI_API_KEY": data.get("OPENAI_API_KEY"),
                "tokens": {
                    "id_token": token.id_token,
                    "access_token": token.access_token,
                    "refresh_token": token.refresh_token,
                    "account_id": token.account_id or chatgpt_account_id(token.id_token, token.access_token),
                },
                "last_refresh": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
            }
        )
        write_json_atomic(self.path, data, mode=0o600)


class ProgrokAuthFile:
    def __init__(self, path: Path) -> None:
        self.path = path.expanduser()

    def read(self) -> OAuthToken | None:
        data = _read_json(self.path)
        if not data or not isinstance(data.get("accessToken"), str) or not data["accessToken"]:
            return None
        expires = data.get("expiresAt")
        return OAuthToken(
            access_token=data["accessToken"],
            refresh_token=str(data.get("refreshToken") or ""),
            expires_at_ms=int(expires) if isinstance(expires, int | float) else 0,
            id_token=str(data.get("idToken") or ""),
            account_id=str(data.get("accountId") or ""),
            email=str(data.get("email") or ""),
            token_endpoint=str(data.get("tokenEndpoint") or ""),
        )

    def write(self, token: OAuthToken) -> None:
        write_json_atomic(
            self.path,
            {
                "accessToken": token.access_token,
                "refreshToken": token.refresh_token or None,
                "expiresAt": token.expires_at_ms or None,
                "tokenEndpoint": token.token_endpoint or None,
                "idToken": token.id_token or None,
                "email": token.email or None,
                "accountId": token.account_id or None,
            },
            mode=0o600,
        )


def merged(old: OAuthToken, new: OAuthToken) -> OAuthToken:
    """A refresh answer may leave out the refresh or id token: keep the ones we had."""
    return replace(
        new,
        refresh_token=new.refresh_token or old.refresh_token,
        id_token=new.id_token or old.id_token,
        account_id=new.account_id or old.account_id,
        email=new.email or old.email,
        token_endpoint=new.token_endpoint or old.token_endpoint,
    )
