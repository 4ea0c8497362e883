"""Answers of the text models to ima2's Agent planner: one plausible tool call as JSON.

The planner's instructions start with a fixed sentence and say whether the session has a
current image; the emulated model picks the tool a real one would: a question is answered, a
request to change the current image edits it, anything else generates. Deterministic.
"""

from __future__ import annotations

import json
import re

PLANNER_MARK = "You are the ima2 Agent planner."
NO_IMAGE = "Current image: none"
QUESTION_START = re.compile(
    r"^(what|why|how|who|which|when|where|is|are|can|could|should|do|does|tell me)\b", re.IGNORECASE
)
EDIT_WORDS = re.compile(
    r"\b(edit|change|make it|make the|add|remove|replace|recolou?r|turn it|now|instead|brighter|darker|"
    r"more|less|keep)\b",
    re.IGNORECASE,
)


def is_planning(instructions: str) -> bool:
    return PLANNER_MARK in instructions


def plan_reply(instructions: str, message: str) -> str:
    text = " ".join(message.split())
    has_image = NO_IMAGE not in instructions
    if text.endswith("?") or QUESTION_START.match(text):
        answer = f"Sandbox answer: {text[:160]} — a bold, simple composition works best here."
        return json.dumps({"tool": "answer", "prompt": "", "text": answer})
    if has_image and EDIT_WORDS.search(text):
        return json.dumps(
            {
                "tool": "edit_image",
                "prompt": f"{text}, keep everything else",
                "text": "Editing the current image.",
            }
        )
    return json.dumps(
        {
            "tool": "generate_image",
            "prompt": f"{text}, detailed, soft light",
            "text": "Generating a new image.",
        }
    )
