"""The video planner: the mandatory web search, then a chat completion forcing `generate_video`.

The user's choices (model, mode, duration, resolution, aspect ratio) always win over the
planner's arguments; only its prompt is used.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from ima2_common import catalog
from ima2_common.errors import Ima2Error
from ima2_common.upstream_bodies import planned_prompt, responses_text
from ima2_video import lineage
from ima2_video.upstream import XaiVideoUpstream

SEARCH_SYSTEM = (
    "You are ima2's visual research assistant. You must use web_search before answering. Research the "
    "subject of the user's video request and return a concise brief of the visual facts a director "
    "needs: appearance, motion, materials, colours, setting, period details and any exact text. "
    "No preamble, no links list."
)
PLANNER_SYSTEM = (
    "You plan one video clip for xAI's video model. Call the generate_video function exactly once. "
    "Write its prompt in English as a production-ready description that covers, in order: the core "
    "subject; action and motion across the whole clip; camera and composition; environment and style; "
    "dialogue and audio (sound, music or no music, dialogue or no dialogue); the ending frame, held "
    "stable so the next clip can continue from it; and constraints. Use the selected duration as the "
    "full runtime and pace the action to fill it, expanding short requests into an opening "
    "composition, a connected motion or emotion change and a stable ending. In scenes with several "
    "characters, identify each speaker by appearance (clothing, physique, position, props), never by "
    "name, and attribute every dialogue line. Keep dialogue lines in their original language. "
    "Do not reply with prose."
)
MODE_NOTES = {
    "text-to-video": "No input image: compose the opening frame from the description.",
    "image-to-video": "The attached image is the first frame: start exactly from it and keep its subject, "
    "framing and lighting continuous.",
    "reference-to-video": "The attached images are references (<IMAGE_1>, <IMAGE_2>, ...): keep their "
    "subjects and style consistent throughout the clip.",
}
CONTINUE_NOTE = "The attached image is the last frame of the previous clip: continue from it without a cut."
ENGLISH_RULE = "Write the generate_video prompt in English only, except for dialogue lines."
PLANNER_TOOL = {
    "type": "function",
    "function": {
        "name": "generate_video",
        "description": "Generate one video clip with xAI's video model from the planned prompt.",
        "parameters": {
            "type": "object",
            "properties": {
                "prompt": {"type": "string", "description": "The final English video prompt."},
                "model": {"type": "string", "enum": list(catalog.VIDEO_MODELS)},
                "mode": {"type": "string", "enum": list(catalog.VIDEO_MODES)},
                "duration": {"type": "integer", "minimum": 1, "maximum": 15},
                "aspect_ratio": {"type": "string", "enum": list(catalog.VIDEO_ASPECT_RATIOS)},
                "resolution": {"type": "string", "enum": ["480p", "720p", "1080p"]},
            },
            "required": ["prompt"],
        },
    },
}


@dataclass
class PlanRequest:
    prompt: str
    model: str
    mode: str
    duration: int
    resolution: str
    aspect_ratio: str
    images: list[str] = field(default_factory=list)  # data URLs, in the order they go upstream
    continuity: dict[str, Any] | None = None
    continuing: bool = False


class VideoPlanner:
    def __init__(self, upstream: XaiVideoUpstream, planner_model: str) -> None:
        self.upstream = upstream
        self.model = planner_model

    async def search(self, prompt: str) -> str:
        payload = {
            "model": self.model,
            "stream": False,
            "input": [{"role": "system", "content": SEARCH_SYSTEM}, {"role": "user", "content": prompt}],
            "tools": [{"type": "web_search"}],
            "tool_choice": "required",
        }
        brief = responses_text(await self.upstream.text("search", "/responses", payload))
        if not brief:
            raise Ima2Error("GROK_SEARCH_EMPTY_RESPONSE")
        return brief

    async def plan(self, request: PlanRequest, brief: str) -> str:
        params = {"duration": request.duration, "resolution": request.resolution}
        if request.aspect_ratio != "auto":
            params["aspect_ratio"] = request.aspect_ratio
        lines = [
            f"Selected video model: {request.model}",
            f"Mode: {request.mode}",
            f"Duration: {request.duration} seconds (the full clip runtime)",
            f"Resolution: {request.resolution}; aspect ratio: {request.aspect_ratio}",
            f"xAI parameters: {json.dumps(params)}",
            CONTINUE_NOTE if request.continuing else MODE_NOTES[request.mode],
        ]
        if text := lineage.for_planner(request.continuity):
            lines.append(text)
        lines += [
            f"Pace the action so that it fills all {request.duration} seconds and ends on a stable frame.",
            "Search brief:",
            brief or "unavailable",
            ENGLISH_RULE,
            "User prompt:",
            request.prompt,
        ]
        content: list[dict[str, Any]] = [{"type": "text", "text": "\n".join(lines)}]
        content += [
            {"type": "image_url", "image_url": {"url": url, "detail": "high"}} for url in request.images
        ]
        payload = {
            "model": self.model,
            "stream": False,
            "parallel_tool_calls": False,
            "messages": [
                {"role": "system", "content": PLANNER_SYSTEM},
                {"role": "user", "content": content},
            ],
            "tools": [PLANNER_TOOL],
            "tool_choice": {"type": "function", "function": {"name": "generate_video"}},
        }
        return planned_prompt(
            await self.upstream.text("planner", "/chat/completions", payload), "generate_video"
        )
