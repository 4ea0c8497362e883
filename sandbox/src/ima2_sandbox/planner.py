"""Deterministic function-call arguments for the planner calls (xAI chat/responses, Codex image_gen)."""

from __future__ import annotations

import re
from typing import Any

PROMPT_MARKER = re.compile(r"user prompt:\s*", re.IGNORECASE)
PLAN_SUFFIX = ", detailed composition, soft cinematic lighting"


def derive_prompt(user_text: str) -> str:
    """The text after "User prompt:" (or the whole text), tidied, plus a fixed style suffix."""
    parts = PROMPT_MARKER.split(user_text, maxsplit=1)
    core = " ".join((parts[-1] if len(parts) > 1 else user_text).split())
    return (core or "an empty scene") + PLAN_SUFFIX


def _mentioned(values: list[Any], text: str) -> Any:
    found = [v for v in values if isinstance(v, str) and v and v in text]
    return max(found, key=len) if found else None


def _mode(image_count: int) -> str:
    if image_count == 0:
        return "text-to-video"
    return "image-to-video" if image_count == 1 else "reference-to-video"


def fake_arguments(
    parameters: dict[str, Any] | None, user_text: str, image_count: int = 0, count: int = 1
) -> dict[str, Any]:
    """Fill a function's JSON schema from the request: prompt(s) from the user text, enums by mention."""
    schema = parameters if isinstance(parameters, dict) else {}
    given_properties, given_required = schema.get("properties"), schema.get("required")
    properties = given_properties if isinstance(given_properties, dict) else {}
    required = given_required if isinstance(given_required, list) else []
    prompt = derive_prompt(user_text)
    args: dict[str, Any] = {}
    for name, spec in properties.items():
        spec = spec if isinstance(spec, dict) else {}
        enum = spec.get("enum") if isinstance(spec.get("enum"), list) else None
        if name == "prompt":
            args[name] = prompt
        elif name == "prompts":
            args[name] = [
                prompt if count == 1 else f"{prompt} (part {i + 1} of {count})" for i in range(count)
            ]
        elif name == "mode" and enum and _mode(image_count) in enum:
            args[name] = _mode(image_count)
        elif enum:
            value = _mentioned(enum, user_text)
            if value is not None or name in required:
                args[name] = value if value is not None else enum[0]
        elif spec.get("type") in ("integer", "number"):
            match = re.search(rf"{re.escape(name)}\D{{0,12}}(\d+)", user_text, re.IGNORECASE)
            if match or name in required:
                args[name] = int(match.group(1)) if match else int(spec.get("minimum", 5) or 5)
        elif name in required:
            args[name] = "" if spec.get("type", "string") == "string" else None
    if not properties:
        args["prompt"] = prompt
    return args
