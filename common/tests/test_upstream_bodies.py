"""Parsing the OpenAI-shaped answer bodies the Grok image and video planners read."""

from __future__ import annotations

import json
from typing import Any

import pytest

from ima2_common.errors import Ima2Error
from ima2_common.upstream_bodies import planned_prompt, responses_text


def _chat(arguments: Any, name: str = "generate_video") -> dict[str, Any]:
    call = {"function": {"name": name, "arguments": arguments}}
    return {"choices": [{"message": {"tool_calls": [call]}}]}


def test_planned_prompt() -> None:
    assert planned_prompt(_chat(json.dumps({"prompt": " go "})), "generate_video") == "go"
    for body, code in (
        ({"choices": []}, "GROK_PLANNER_EMPTY_TOOL_CALL"),
        (_chat("{}", name="generate_image"), "GROK_PLANNER_EMPTY_TOOL_CALL"),
        (_chat("not json"), "GROK_PLANNER_INVALID_TOOL_ARGS"),
        (_chat(json.dumps({"prompt": ""})), "GROK_PLANNER_INVALID_TOOL_ARGS"),
    ):
        with pytest.raises(Ima2Error) as raised:
            planned_prompt(body, "generate_video")
        assert raised.value.code == code
    brief = {
        "output": [
            {"type": "web_search_call"},
            {"type": "message", "content": [{"text": "a"}, {"text": "b"}]},
        ]
    }
    assert responses_text(brief) == "a\nb"
