"""Unverified JWT claims: enough to read `exp`, the email and the ChatGPT account id of our own tokens."""

from __future__ import annotations

import base64
import json
from typing import Any


def claims(token: str) -> dict[str, Any]:
    parts = token.split(".")
    if len(parts) != 3:
        return {}
    try:
        decoded = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except (ValueError, UnicodeDecodeError):
        return {}
    return decoded if isinstance(decoded, dict) else {}


def expiry_ms(token: str) -> int:
    exp = claims(token).get("exp")
    return int(exp * 1000) if isinstance(exp, int | float) else 0
