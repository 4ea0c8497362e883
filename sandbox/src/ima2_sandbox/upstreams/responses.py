"""Responses API output shared by OpenAI, the OAuth proxy, the Codex backend and xAI.

`build_output` makes the completed output items, `stream_events` / `failure_events` give the SSE
sequence of §2.3 and `respond` answers as JSON (§2.4) or SSE, honouring safety/empty/slow/drop faults.
Request validation lives in `responses_request.py`.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

from fastapi.responses import JSONResponse, Response

from ima2_sandbox import agent_planner, images, planner, text_json
from ima2_sandbox.control import Call
from ima2_sandbox.errors import openai_moderation_body
from ima2_sandbox.sse import sse_response, typed_events
from ima2_sandbox.upstreams.responses_request import (
    MAX_IMAGES,
    MULTI_RE,
    NUMBER_WORDS,
    Problem,
    ResponsesRequest,
    parse,
)

__all__ = ["Problem", "ResponsesRequest", "build_output", "parse", "respond", "stream_events"]


# --- output items ------------------------------------------------------------------------------


def new_id(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:24]}"


def action(req: ResponsesRequest) -> tuple[str, dict[str, Any] | None]:
    """("image"|"function"|"text", the function tool)."""
    choice = req.tool_choice
    if isinstance(choice, dict):
        kind = choice.get("type")
        if kind == "image_generation":
            return "image", None
        if kind == "function":
            name = choice.get("name") or (choice.get("function") or {}).get("name")
            return "function", next(f for f in req.functions if f.get("name") == name)
        return "text", None
    if choice == "none":
        return "text", None
    if req.image_tool is not None:
        return "image", None
    if req.functions:
        return "function", req.functions[0]
    return "text", None


def requested_count(req: ResponsesRequest) -> int:
    """N when tool_choice is "required" and the developer text asks for "up to N separate" images."""
    if req.tool_choice != "required":
        return 1
    match = MULTI_RE.search(req.developer)
    if not match:
        return 1
    word = match.group(1).lower()
    count = NUMBER_WORDS.get(word) or int(word)
    return max(1, min(count, MAX_IMAGES))


def _search_query(req: ResponsesRequest) -> str:
    return " ".join(req.user_text.split())[:80] or "sandbox search"


def web_search_item(req: ResponsesRequest) -> dict[str, Any]:
    return {
        "type": "web_search_call",
        "id": new_id("ws"),
        "status": "completed",
        "action": {"type": "search", "query": _search_query(req)},
    }


def image_item(req: ResponsesRequest, index: int, count: int, noise: bool = False) -> dict[str, Any]:
    tool = req.image_tool or {}
    size = tool.get("size") or "auto"
    width, height = images.parse_size(size) or (1024, 1024)
    fmt = tool.get("output_format") or "png"
    text = images.subject_of(req.user_text)
    revised = text if count == 1 else f"{text} (variation {index + 1} of {count})"
    background = tool.get("background") or "auto"
    if noise:
        data = images.render_noise(width, height, fmt)
    else:
        data = images.render(revised, width, height, fmt, background == "transparent")
    quality = tool.get("quality") or "auto"
    return {
        "type": "image_generation_call",
        "id": new_id("ig"),
        "status": "completed",
        "result": images.b64(data),
        "revised_prompt": revised,
        "background": "opaque" if background == "auto" else background,
        "output_format": fmt,
        "quality": "medium" if quality == "auto" else quality,
        "size": f"{width}x{height}",
    }


def message_item(text: str, annotations: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {
        "type": "message",
        "id": new_id("msg"),
        "role": "assistant",
        "status": "completed",
        "content": [{"type": "output_text", "text": text, "annotations": annotations or [], "logprobs": []}],
    }


def function_item(req: ResponsesRequest, tool: dict[str, Any]) -> dict[str, Any]:
    args = planner.fake_arguments(
        tool.get("parameters"),
        req.user_text,
        len(req.input_images),
        requested_count(req) if req.tool_choice == "required" else 1,
    )
    return {
        "type": "function_call",
        "id": new_id("fc"),
        "call_id": new_id("call"),
        "name": tool["name"],
        "arguments": json.dumps(args),
        "status": "completed",
    }


def text_answer(req: ResponsesRequest) -> str:
    if agent_planner.is_planning(req.developer):
        return agent_planner.plan_reply(req.developer, req.user_text)
    if text_json.wants_json(req.body):
        subject = " ".join(req.user_text.split()) or "the reference image"
        return json.dumps(text_json.json_answer(req.body, req.developer, subject))
    if req.input_images:
        return (
            f"Sandbox analysis of {len(req.input_images)} image(s): the frames share one subject and "
            f"palette; motion is smooth. Request: {_search_query(req)}"
        )
    return f"Sandbox reply: {_search_query(req)}"


def build_output(req: ResponsesRequest, empty: bool = False, noise: bool = False) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    if req.web_search is not None:
        items.append(web_search_item(req))
    kind, tool = action(req)
    if empty:
        items.append(message_item("I could not create an image for this request."))
    elif kind == "image":
        count = requested_count(req)
        items.extend(image_item(req, i, count, noise) for i in range(count))
        items.append(message_item("Here is your image." if count == 1 else f"Here are {count} images."))
    elif kind == "function" and tool is not None:
        items.append(function_item(req, tool))
    else:
        items.append(message_item(text_answer(req)))
    return items


def usage(req: ResponsesRequest, items: list[dict[str, Any]]) -> dict[str, Any]:
    image_count = sum(1 for item in items if item["type"] == "image_generation_call")
    input_tokens = 20 + len(req.all_text) // 4 + 258 * len(req.input_images)
    output_tokens = 16 + 1056 * image_count
    return {
        "input_tokens": input_tokens,
        "input_tokens_details": {"cached_tokens": 0},
        "output_tokens": output_tokens,
        "output_tokens_details": {"reasoning_tokens": 64},
        "total_tokens": input_tokens + output_tokens,
    }


def response_object(
    req: ResponsesRequest,
    response_id: str,
    status: str,
    output: list[dict[str, Any]],
    usage_block: dict[str, Any] | None,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": response_id,
        "object": "response",
        "created_at": int(time.time()),
        "status": status,
        "error": None,
        "incomplete_details": None,
        "model": req.model,
        "output": output,
        "parallel_tool_calls": True,
        "tool_choice": req.tool_choice or "auto",
        "tools": req.tools,
        "usage": usage_block,
    }
    searches = sum(1 for item in output if item["type"] == "web_search_call")
    if searches and usage_block is not None:
        body["tool_usage"] = {"web_search": {"num_requests": searches}}
    return body


# --- streaming ---------------------------------------------------------------------------------


def _in_progress(item: dict[str, Any]) -> dict[str, Any]:
    kind = item["type"]
    if kind == "web_search_call":
        return {"type": kind, "id": item["id"], "status": "in_progress"}
    if kind == "image_generation_call":
        return {"type": kind, "id": item["id"], "status": "in_progress"}
    if kind == "function_call":
        return {**item, "arguments": "", "status": "in_progress"}
    if kind == "message":
        return {**item, "content": [], "status": "in_progress"}
    return item


def _item_events(req: ResponsesRequest, index: int, item: dict[str, Any]) -> list[dict[str, Any]]:
    kind, item_id = item["type"], item["id"]
    ref = {"output_index": index, "item_id": item_id}
    events: list[dict[str, Any]] = [
        {"type": "response.output_item.added", "output_index": index, "item": _in_progress(item)}
    ]
    if kind == "web_search_call":
        events += [
            {"type": f"response.web_search_call.{step}", **ref}
            for step in ("in_progress", "searching", "completed")
        ]
    elif kind == "image_generation_call":
        events += [
            {"type": "response.image_generation_call.in_progress", **ref},
            {"type": "response.image_generation_call.generating", **ref},
        ]
        total = int((req.image_tool or {}).get("partial_images") or 0)
        width, height = images.parse_size(item["size"]) or (1024, 1024)
        for p in range(total):
            partial = images.render_partial(item["revised_prompt"], width, height, p, total)
            events.append(
                {
                    "type": "response.image_generation_call.partial_image",
                    **ref,
                    "partial_image_index": p,
                    "partial_image_b64": images.b64(partial),
                    "size": item["size"],
                    "output_format": "png",
                }
            )
        events.append({"type": "response.image_generation_call.completed", **ref})
    elif kind == "function_call":
        events += [
            {"type": "response.function_call_arguments.delta", **ref, "delta": item["arguments"]},
            {"type": "response.function_call_arguments.done", **ref, "arguments": item["arguments"]},
        ]
    elif kind == "message":
        part = item["content"][0]
        text_ref = {**ref, "content_index": 0}
        events += [
            {"type": "response.content_part.added", **text_ref, "part": {**part, "text": ""}},
            {"type": "response.output_text.delta", **text_ref, "delta": part["text"]},
            {"type": "response.output_text.done", **text_ref, "text": part["text"]},
            {"type": "response.content_part.done", **text_ref, "part": part},
        ]
    events.append({"type": "response.output_item.done", "output_index": index, "item": item})
    return events


def opening_events(req: ResponsesRequest, response_id: str) -> list[dict[str, Any]]:
    pending = response_object(req, response_id, "in_progress", [], None)
    return [
        {"type": "response.created", "response": pending},
        {"type": "response.in_progress", "response": pending},
    ]


def stream_events(
    req: ResponsesRequest, response_id: str, items: list[dict[str, Any]], usage_block: dict[str, Any]
) -> list[dict[str, Any]]:
    events = opening_events(req, response_id)
    for index, item in enumerate(items):
        events += _item_events(req, index, item)
    done = response_object(req, response_id, "completed", items, usage_block)
    events.append({"type": "response.completed", "response": done})
    return events


def failure_events(
    req: ResponsesRequest, response_id: str, error: dict[str, Any], nested_error_event: bool = False
) -> list[dict[str, Any]]:
    """created, in_progress, [error], response.failed: the in-stream safety refusal."""
    events = opening_events(req, response_id)
    if nested_error_event:
        events.append({"type": "error", "error": error})
    failed = response_object(req, response_id, "failed", [], None)
    failed["error"] = error
    events.append({"type": "response.failed", "response": failed})
    return events


MODERATION_ERROR = {
    "code": "moderation_blocked",
    "message": "Your request was rejected by the safety system. If you believe this is an error, contact "
    "us at help.openai.com.",
    "type": "image_generation_user_error",
}


# --- answering ---------------------------------------------------------------------------------


def respond(
    call: Call,
    req: ResponsesRequest,
    *,
    stream: bool,
    nested_error_event: bool = False,
    headers: dict[str, str] | None = None,
) -> Response:
    """Answer a parsed Responses request as JSON or SSE, honouring safety/empty/slow/drop faults."""
    response_id = new_id("resp")
    drop_after = 2 if call.drops_stream else None
    if call.mode == "safety":
        if not stream:
            return JSONResponse(openai_moderation_body(), status_code=400, headers=headers)
        events = failure_events(req, response_id, MODERATION_ERROR, nested_error_event)
        return sse_response(typed_events(events), call.event_delay, drop_after, headers)
    items = build_output(req, empty=call.mode == "empty", noise=bool(call.state.setting("imageNoise")))
    usage_block = usage(req, items)
    if stream:
        events = stream_events(req, response_id, items, usage_block)
        return sse_response(typed_events(events), call.event_delay, drop_after, headers)
    return JSONResponse(response_object(req, response_id, "completed", items, usage_block), headers=headers)
