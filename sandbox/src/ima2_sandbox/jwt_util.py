"""Just enough JWT: HS256 tokens signed with a fixed sandbox secret, and unverified decoding."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any

SANDBOX_SECRET = b"ima2-sandbox-not-a-secret"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def encode(claims: dict[str, Any], header: dict[str, Any] | None = None) -> str:
    head = {"alg": "HS256", "typ": "JWT", **(header or {})}
    signing_input = f"{b64url(json.dumps(head).encode())}.{b64url(json.dumps(claims).encode())}"
    signature = hmac.new(SANDBOX_SECRET, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64url(signature)}"


def split(token: str) -> tuple[dict[str, Any], dict[str, Any], bytes] | None:
    """(header, claims, signature) without verifying anything, or None when it is not a JWT."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        header = json.loads(b64url_decode(parts[0]))
        claims = json.loads(b64url_decode(parts[1]))
        signature = b64url_decode(parts[2])
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(header, dict) or not isinstance(claims, dict):
        return None
    return header, claims, signature


def claims_of(token: str) -> dict[str, Any] | None:
    parsed = split(token)
    return parsed[1] if parsed else None


def expired(claims: dict[str, Any]) -> bool:
    exp = claims.get("exp")
    return isinstance(exp, int | float) and exp < time.time()
