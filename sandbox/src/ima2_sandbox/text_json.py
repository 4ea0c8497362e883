"""JSON answers of the text models (`text.format` json_object / json_schema), as a real model gives.

The model follows its instructions: it answers with the keys the instructions (or the schema) ask
for, filled deterministically from the request so the same request gives the same answer.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

COLOURS = ("teal", "amber", "crimson", "ivory", "slate blue", "sage green", "burnt orange", "charcoal")
MOODS = ("calm", "playful", "moody", "luminous", "nostalgic", "dramatic", "serene", "whimsical")
MEDIA = ("digital painting", "35mm photograph", "watercolour on paper", "3D render", "ink illustration")


def _pick(options: tuple[str, ...], seed: bytes, count: int) -> list[str]:
    digest = hashlib.sha256(seed).digest()
    picked: list[str] = []
    for byte in digest:
        option = options[byte % len(options)]
        if option not in picked:
            picked.append(option)
        if len(picked) == count:
            break
    return picked


STYLE_FIELDS: dict[str, Callable[[str, bytes], Any]] = {
    "palette": lambda subject, seed: _pick(COLOURS, seed, 4),
    "composition": lambda subject, seed: (
        f"Centered subject ({subject[:60]}) with a soft, uncluttered background."
    ),
    "mood": lambda subject, seed: ", ".join(_pick(MOODS, seed + b"m", 3)),
    "medium": lambda subject, seed: _pick(MEDIA, seed + b"d", 1)[0],
    "subject_details": lambda subject, seed: f"{subject[:100]}, shown clearly and consistently.",
    "negative": lambda subject, seed: ["blurry details", "extra limbs"],
}


def wants_json(body: dict[str, Any]) -> bool:
    fmt = (body.get("text") or {}).get("format") if isinstance(body.get("text"), dict) else None
    return isinstance(fmt, dict) and fmt.get("type") in ("json_object", "json_schema")


def _schema_keys(body: dict[str, Any]) -> list[str]:
    fmt = body["text"]["format"]
    properties = (
        ((fmt.get("schema") or {}).get("properties") or {}) if fmt.get("type") == "json_schema" else {}
    )
    return list(properties)


def json_answer(body: dict[str, Any], instructions: str, subject: str) -> dict[str, Any]:
    seed = subject.encode()
    keys = _schema_keys(body) or [key for key in STYLE_FIELDS if key in instructions]
    if not keys:
        return {"answer": f"{subject[:200]}"}
    return {key: STYLE_FIELDS[key](subject, seed) if key in STYLE_FIELDS else subject[:120] for key in keys}
