"""xAI text endpoints: `/responses` (the web_search research step, §1.3) and `/chat/completions`
(the planner with a forced function tool, §1.4)."""

from __future__ import annotations

import json
import re
import time
import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from ima2_sandbox import agent_planner, images, planner, text_json
from ima2_sandbox.control import Call
from ima2_sandbox.errors import xai_error
from ima2_sandbox.sse import frame, sse_response, typed_events
from ima2_sandbox.upstreams import responses
from ima2_sandbox.upstreams.xai_common import CHAT_MODELS, Guard

XAI_TOOL_TYPES = (
    "web_search",
    "x_search",
    "file_search",
    "code_interpreter",
    "mcp",
    "function",
    "collections_search",
)
REJECTED_SEARCH_ARGS = ("search_context_size", "user_location")
MAX_DOMAINS = 5
SAFETY_MESSAGE = "Content violates usage guidelines. Team: sandbox, API key ID: sandbox."


def _unknown_model(model: Any) -> Response:
    return xai_error(404, f"The model {model} does not exist or your team does not have access to it.")


def _check_search_tool(tool: dict[str, Any]) -> Response | None:
    for name in REJECTED_SEARCH_ARGS:
        if name in tool:
            return xai_error(400, f"Argument not supported: {name}")
    given_filters = tool.get("filters")
    filters = given_filters if isinstance(given_filters, dict) else {}
    allowed = tool.get("allowed_domains") or filters.get("allowed_domains") or []
    excluded = tool.get("excluded_domains") or filters.get("excluded_domains") or []
    if allowed and excluded:
        return xai_error(400, "Only one of allowed_domains and excluded_domains can be set.")
    for kind, domains in (("allowed", allowed), ("excluded", excluded)):
        if len(domains) > MAX_DOMAINS:
            return xai_error(
                400, f"A maximum of {MAX_DOMAINS} domains can be {kind}, but {len(domains)} were provided."
            )
    return None


def _research_items(req: responses.ResponsesRequest, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """xAI flavour: a reasoning item after the search, and a cited research brief as the message."""
    if req.web_search is None:
        return items
    query = items[0]["action"]["query"]
    slug = re.sub(r"[^a-z0-9]+", "-", query.lower()).strip("-")[:40] or "sandbox"
    brief = (
        f"Research brief (sandbox): {query}. Visual facts: accurate proportions, period-correct "
        "materials, natural lighting, a clear focal subject."
    )
    citation = {
        "type": "url_citation",
        "url": f"https://example.com/sandbox/{slug}",
        "title": f"Sandbox source for {query[:40]}",
        "start_index": 0,
        "end_index": 14,
    }
    reasoning = {
        "type": "reasoning",
        "id": responses.new_id("rs"),
        "status": "completed",
        "summary": [{"type": "summary_text", "text": "Searched the web and summarised the results."}],
    }
    rest = [
        responses.message_item(brief, [citation]) if item["type"] == "message" else item for item in items[1:]
    ]
    return [items[0], reasoning, *rest]


def responses_answer(call: Call) -> Response:
    try:
        req = responses.parse(call.json, strict_params=False)
    except responses.Problem as problem:
        return xai_error(problem.status, problem.message)
    if req.model not in CHAT_MODELS:
        return _unknown_model(req.model)
    for i, tool in enumerate(req.tools):
        if tool["type"] not in XAI_TOOL_TYPES:
            return xai_error(400, f"Argument not supported: tools[{i}].type={tool['type']}")
        if tool["type"] == "web_search":
            rejected = _check_search_tool(tool)
            if rejected is not None:
                return rejected
    if call.mode == "safety":
        return xai_error(400, SAFETY_MESSAGE)
    items = _research_items(req, responses.build_output(req))
    if call.mode == "empty":
        items = [item for item in items if item["type"] != "message"]
        items.append(responses.message_item(""))
    usage = responses.usage(req, items)
    searches = sum(1 for item in items if item["type"] == "web_search_call")
    usage.update({"num_sources_used": 3 * searches, "num_server_side_tools_used": searches})
    response_id = str(uuid.uuid4())
    if req.stream:
        events = responses.stream_events(req, response_id, items, usage)
        return sse_response(typed_events(events), call.event_delay, 2 if call.drops_stream else None)
    return JSONResponse(responses.response_object(req, response_id, "completed", items, usage))


# --- chat completions ---------------------------------------------------------------------------


def _user_text_and_images(messages: list[dict[str, Any]]) -> tuple[str, int] | Response:
    text, count = "", 0
    for message in messages:
        if message.get("role") != "user":
            continue
        content = message.get("content")
        if isinstance(content, str):
            text = content
            continue
        parts = [p for p in content or [] if isinstance(p, dict)]
        text = "\n".join(str(p.get("text", "")) for p in parts if p.get("type") == "text")
        for part in parts:
            if part.get("type") != "image_url":
                continue
            url = (part.get("image_url") or {}).get("url", "")
            if not url.startswith("http") and images.decode_data_url(url) is None:
                return xai_error(400, "Unable to process image: the image_url is not a valid data URL.")
            count += 1
    return text, count


def _chosen_function(body: dict[str, Any]) -> tuple[dict[str, Any] | None, Response | None]:
    functions = [t.get("function") for t in body.get("tools") or [] if isinstance(t, dict)]
    tools = [t for t in functions if isinstance(t, dict) and t.get("name")]
    choice = body.get("tool_choice", "auto" if tools else "none")
    if isinstance(choice, dict):
        name = (choice.get("function") or {}).get("name")
        found = next((t for t in tools if t["name"] == name), None)
        if found is None:
            return None, xai_error(400, f"Invalid tool_choice: function {name} is not in tools.")
        return found, None
    if choice not in ("none", "auto", "required"):
        return None, xai_error(400, f"Invalid tool_choice: {choice}")
    return (tools[0] if tools and choice != "none" else None), None


def _chat_stream(completion: dict[str, Any]) -> list[bytes]:
    choice = completion["choices"][0]
    message = choice["message"]
    base = {k: completion[k] for k in ("id", "created", "model")} | {"object": "chat.completion.chunk"}
    delta: dict[str, Any] = {"role": "assistant", "content": message["content"]}
    if message.get("tool_calls"):
        delta["tool_calls"] = [{"index": i, **call} for i, call in enumerate(message["tool_calls"])]
    chunks = [
        {**base, "choices": [{"index": 0, "delta": delta, "finish_reason": None}]},
        {
            **base,
            "choices": [{"index": 0, "delta": {}, "finish_reason": choice["finish_reason"]}],
            "usage": completion["usage"],
        },
    ]
    return [*(frame(chunk) for chunk in chunks), frame("[DONE]")]


def chat_answer(call: Call) -> Response:
    body = call.body
    if body is None:
        return xai_error(400, "Failed to parse the request body as JSON.")
    if body.get("model") not in CHAT_MODELS:
        return _unknown_model(body.get("model"))
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages or not all(isinstance(m, dict) for m in messages):
        return xai_error(400, "messages must be a non-empty array of message objects.")
    found = _user_text_and_images(messages)
    if isinstance(found, Response):
        return found
    user_text, image_count = found
    function, problem = _chosen_function(body)
    if problem is not None:
        return problem
    if call.mode == "safety":
        return xai_error(400, SAFETY_MESSAGE)
    message: dict[str, Any] = {"role": "assistant", "content": ""}
    finish = "stop"
    if call.mode == "empty":
        pass
    elif function is not None:
        args = planner.fake_arguments(function.get("parameters"), user_text, image_count)
        message["tool_calls"] = [
            {
                "id": f"call_{uuid.uuid4().hex[:12]}",
                "type": "function",
                "function": {"name": function["name"], "arguments": json.dumps(args)},
            }
        ]
        finish = "tool_calls"
    elif text_json.wants_json(body):
        subject = " ".join(user_text.split()) or "the request"
        message["content"] = json.dumps(text_json.json_answer(body, "", subject))
    else:
        system = "\n".join(
            str(m.get("content"))
            for m in messages
            if m.get("role") == "system" and isinstance(m.get("content"), str)
        )
        if agent_planner.is_planning(system):
            message["content"] = agent_planner.plan_reply(system, user_text)
        else:
            message["content"] = f"Sandbox reply: {' '.join(user_text.split())[:200]}"
    prompt_tokens = 40 + sum(len(json.dumps(m)) for m in messages) // 8 + 258 * image_count
    completion = {
        "id": str(uuid.uuid4()),
        "object": "chat.completion",
        "created": int(time.time()),
        "model": body["model"],
        "choices": [{"index": 0, "finish_reason": finish, "message": message}],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": 120,
            "total_tokens": prompt_tokens + 120,
        },
    }
    if body.get("stream") is True:
        return sse_response(_chat_stream(completion), call.event_delay, 1 if call.drops_stream else None)
    return JSONResponse(completion)


def add_routes(router: APIRouter, guard: Guard) -> None:
    @router.post("/responses")
    async def create_response(request: Request) -> Response:
        call, early = await guard(request)
        return early or responses_answer(call)

    @router.post("/chat/completions")
    async def chat_completions(request: Request) -> Response:
        call, early = await guard(request)
        return early or chat_answer(call)
