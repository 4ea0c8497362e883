"""Reading the answer bodies of the OpenAI-shaped upstreams (OpenAI, xAI): small, shared parsers."""

from __future__ import annotations

import json
from typing import Any

from ima2_common.errors import Ima2Error


def responses_text(body: Any) -> str:
    """The joined text of the `message` items of a Responses API answer ('' when there is none)."""
    texts: list[str] = []
    for item in (body or {}).get("output") or []:
        if not isinstance(item, dict) or item.get("type") != "message":
            continue
        for part in item.get("content") or []:
            if isinstance(part, dict) and isinstance(part.get("text"), str):
                texts.append(part["text"])
    if not texts and isinstance((body or {}).get("output_text"), str):
        texts.append(body["output_text"])
    return "\n".join(t for t in texts if t.strip()).strip()


def planned_prompt(body: Any, function_name: str) -> str:
    """The `prompt` argument of the planner's forced `function_name` call in a chat completion."""
    choices = (body or {}).get("choices") or []
    message = (choices[0] or {}).get("message") if choices and isinstance(choices[0], dict) else None
    calls = (message or {}).get("tool_calls") or []
    function = next(
        (
            c.get("function")
            for c in calls
            if isinstance(c, dict) and (c.get("function") or {}).get("name") == function_name
        ),
        None,
    )
    if not isinstance(function, dict):
        raise Ima2Error("GROK_PLANNER_EMPTY_TOOL_CALL", f"The planner did not call {function_name}.")
    arguments = function.get("arguments")
    try:
        parsed = json.loads(arguments) if isinstance(arguments, str) else arguments
    except json.JSONDecodeError:
        raise Ima2Error("GROK_PLANNER_INVALID_TOOL_ARGS") from None
    prompt = parsed.get("prompt") if isinstance(parsed, dict) else None
    if not isinstance(prompt, str) or not prompt.strip():
        raise Ima2Error("GROK_PLANNER_INVALID_TOOL_ARGS")
    return prompt.strip()
