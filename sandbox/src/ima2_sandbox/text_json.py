"""JSON answers of the text models (`text.format` json_object / json_schema), as a real model gives.

The model follows its instructions: it answers with the keys the instructions (or the schema) ask
for, filled deterministically from the request so the same request gives the same answer.
"""

from __future__ import annotations

import hashlib
import re
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


def _format(body: dict[str, Any]) -> dict[str, Any] | None:
    """The JSON answer format: Responses `text.format`, or chat completions' `response_format`."""
    text = body.get("text")
    fmt = text.get("format") if isinstance(text, dict) else body.get("response_format")
    if not isinstance(fmt, dict) or fmt.get("type") not in ("json_object", "json_schema"):
        return None
    return fmt


def wants_json(body: dict[str, Any]) -> bool:
    return _format(body) is not None


def _schema(body: dict[str, Any]) -> dict[str, Any]:
    fmt = _format(body) or {}
    if fmt.get("type") != "json_schema":
        return {}
    schema = fmt.get("schema") or (fmt.get("json_schema") or {}).get("schema") or {}
    return schema if isinstance(schema, dict) else {}


def _nested(schema: dict[str, Any]) -> bool:
    props = schema.get("properties") or {}
    return any(isinstance(p, dict) and p.get("type") in ("array", "object") for p in props.values())


def _phrase(key: str, subject: str, index: int) -> str:
    """A string a model would write for a field of that name, about the subject."""
    short = subject[:60]
    lowered = key.lower()
    if lowered in ("title", "topic"):
        return short
    if "headline" in lowered:
        return f"{short[:32]} · {index + 1}"
    if "visual" in lowered or "prompt" in lowered:
        return f"clean flat illustration about {short}, scene {index + 1}, soft light"
    if "body" in lowered or "text" in lowered:
        return f"Point {index + 1} about {short}, said in one short sentence."
    return f"{key} {index + 1}: {short}"


def fill_schema(schema: dict[str, Any], key: str, subject: str, index: int = 0) -> Any:
    """A value of `schema`, as a model following it would answer (enums in order, counts honoured)."""
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "string")
    if isinstance(schema.get("enum"), list) and schema["enum"]:
        return schema["enum"][index % len(schema["enum"])]
    if kind == "object":
        props = schema.get("properties") or {}
        return {
            name: fill_schema(sub, name, subject, index)
            for name, sub in props.items()
            if isinstance(sub, dict)
        }
    if kind == "array":
        found = schema.get("items")
        items: dict[str, Any] = found if isinstance(found, dict) else {"type": "string"}
        count = int(schema.get("minItems") or (0 if items.get("type") == "object" else 1))
        return [fill_schema(items, key, subject, i) for i in range(count)]
    if kind == "integer":
        return index + 1
    if kind == "number":
        return float(index + 1)
    if kind == "boolean":
        return False
    if kind == "null":
        return None
    return _phrase(key, subject, index)


def json_answer(body: dict[str, Any], instructions: str, subject: str) -> dict[str, Any]:
    seed = subject.encode()
    schema = _schema(body)
    if _nested(schema):
        # "Topic: X\nAudience: ..." briefs: the model writes about X
        focus = re.match(r"^(?:topic|subject)\s*:\s*(.+?)(?:\s+[A-Z][a-z]+\s*:|$)", subject, re.I)
        answer = fill_schema(schema, "answer", focus.group(1) if focus else subject)
        return answer if isinstance(answer, dict) else {"answer": answer}
    keys = list(schema.get("properties") or {}) or [key for key in STYLE_FIELDS if key in instructions]
    if not keys:
        return {"answer": f"{subject[:200]}"}
    return {key: STYLE_FIELDS[key](subject, seed) if key in STYLE_FIELDS else subject[:120] for key in keys}
