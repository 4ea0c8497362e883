"""Validation of a Responses API request body (§2.2), shared by OpenAI, the OAuth proxy, Codex and xAI.

`parse` turns a body into a `ResponsesRequest` or raises `Problem` (message, param, code), which
each upstream renders in its own error envelope.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ima2_sandbox import images

IMAGE_SIZES = ("1024x1024", "1024x1536", "1536x1024", "auto")
IMAGE_TOOL_ENUMS = {
    "quality": ("low", "medium", "high", "auto"),
    "output_format": ("png", "jpeg", "webp"),
    "moderation": ("auto", "low"),
    "background": ("transparent", "opaque", "auto"),
    "input_fidelity": ("high", "low"),
    "action": ("generate", "edit", "auto"),
}
NUMBER_WORDS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
}
MULTI_RE = re.compile(r"up to (\d+|" + "|".join(NUMBER_WORDS) + r") separate", re.IGNORECASE)
MAX_IMAGES = 10
OPENAI_PARAMS = {
    "model",
    "input",
    "instructions",
    "tools",
    "tool_choice",
    "stream",
    "reasoning",
    "store",
    "temperature",
    "top_p",
    "max_output_tokens",
    "metadata",
    "parallel_tool_calls",
    "previous_response_id",
    "text",
    "truncation",
    "user",
    "include",
    "background",
    "service_tier",
    "prompt_cache_key",
    "safety_identifier",
    "stream_options",
    "max_tool_calls",
    "top_logprobs",
    "conversation",
    "prompt",
    "client_metadata",
}


class Problem(Exception):
    def __init__(
        self, message: str, param: str | None = None, code: str | None = "invalid_value", status: int = 400
    ) -> None:
        super().__init__(message)
        self.message = message
        self.param = param
        self.code = code
        self.status = status


@dataclass
class ResponsesRequest:
    body: dict[str, Any]
    model: str
    developer: str
    user_text: str
    all_text: str
    input_images: list[bytes]
    tools: list[dict[str, Any]]
    tool_choice: Any
    stream: bool
    image_tool: dict[str, Any] | None = None
    web_search: dict[str, Any] | None = None
    functions: list[dict[str, Any]] = field(default_factory=list)


def _text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(
            str(part.get("text", ""))
            for part in content
            if isinstance(part, dict) and part.get("type") in ("input_text", "output_text", "text")
        )
    return ""


def _check_image_url(url: Any, where: str) -> bytes | None:
    if not isinstance(url, str) or not url:
        raise Problem(f"Missing required parameter: '{where}'.", where, "missing_required_parameter")
    if url.startswith(("http://", "https://")):
        return None  # offline: remote images are accepted without fetching
    decoded = images.decode_data_url(url)
    if decoded is None or images.sniff(decoded[1]) is None:
        raise Problem(
            f"Invalid '{where}'. Expected a base64-encoded data URL with an image MIME type (e.g. "
            "'data:image/png;base64,aW1nIGJ5dGVzIGhlcmU='), but got a value with an invalid format.",
            where,
        )
    return decoded[1]


def _walk_input(items: list[Any], req: ResponsesRequest) -> None:
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            raise Problem(
                f"Invalid type for 'input[{i}]': expected an object.", f"input[{i}]", "invalid_type"
            )
        if item.get("type") == "additional_tools":  # Codex "lite" models carry their tools here
            req.tools.extend(t for t in item.get("tools") or [] if isinstance(t, dict))
            continue
        role = item.get("role")
        if role is None:
            continue  # function_call_output, reasoning, item_reference, ...
        if role not in ("user", "assistant", "system", "developer"):
            raise Problem(
                f"Invalid value: '{role}'. Supported values are: 'assistant', 'system', "
                "'developer', and 'user'.",
                f"input[{i}].role",
            )
        content = item.get("content")
        if isinstance(content, list):
            for j, part in enumerate(content):
                if isinstance(part, dict) and part.get("type") == "input_image":
                    data = _check_image_url(part.get("image_url"), f"input[{i}].content[{j}].image_url")
                    if data is not None:
                        req.input_images.append(data)
        elif not isinstance(content, str):
            raise Problem(f"Invalid type for 'input[{i}].content'.", f"input[{i}].content", "invalid_type")
        text = _text_of(content)
        req.all_text += text + "\n"
        if role in ("developer", "system"):
            req.developer += text + "\n"
        elif role == "user":
            req.user_text = text


def _check_image_tool(tool: dict[str, Any], i: int) -> None:
    size = tool.get("size")
    if size is not None and (not isinstance(size, str) or images.parse_size(size) is None):
        allowed = ", ".join(f"'{s}'" for s in IMAGE_SIZES[:-1])
        raise Problem(
            f"Invalid value: '{size}'. Supported values are: {allowed}, and 'auto'.",
            f"tools[{i}].size",
            "invalid_value",
        )
    for name, allowed_values in IMAGE_TOOL_ENUMS.items():
        value = tool.get(name)
        if value is not None and value not in allowed_values:
            listed = ", ".join(f"'{v}'" for v in allowed_values)
            raise Problem(f"Invalid value: '{value}'. Supported values are: {listed}.", f"tools[{i}].{name}")
    partials = tool.get("partial_images")
    if partials is not None and (
        not isinstance(partials, int) or isinstance(partials, bool) or not 0 <= partials <= 3
    ):
        raise Problem(
            f"Invalid 'tools[{i}].partial_images': integer between 0 and 3 expected.",
            f"tools[{i}].partial_images",
            "integer_out_of_range",
        )
    compression = tool.get("output_compression")
    if compression is not None and (not isinstance(compression, int) or not 0 <= compression <= 100):
        raise Problem("output_compression must be between 0 and 100.", f"tools[{i}].output_compression")


def _check_tool_choice(req: ResponsesRequest) -> None:
    choice = req.tool_choice
    if choice is None or choice in ("none", "auto", "required"):
        return
    if not isinstance(choice, dict):
        raise Problem(
            f"Invalid value: '{choice}'. Supported values are: 'none', 'auto', and 'required'.", "tool_choice"
        )
    kind = choice.get("type")
    if kind == "function":
        name = choice.get("name") or (choice.get("function") or {}).get("name")
        if not any(f.get("name") == name for f in req.functions):
            raise Problem(
                f"Tool choice 'function' with name '{name}' not found in 'tools' parameter.", "tool_choice"
            )
    elif kind and not any(t.get("type") == kind for t in req.tools):
        raise Problem(f"Tool choice '{kind}' not found in 'tools' parameter.", "tool_choice")


def parse(body: Any, *, strict_params: bool = True) -> ResponsesRequest:
    if not isinstance(body, dict):
        raise Problem(
            "We could not parse the JSON body of your request. (HINT: This likely means you "
            "aren't using your HTTP library correctly. The OpenAI API expects a JSON payload.)",
            None,
            None,
        )
    if strict_params:
        for key in body:
            if key not in OPENAI_PARAMS:
                raise Problem(f"Unknown parameter: '{key}'.", key, "unknown_parameter")
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise Problem("Missing required parameter: 'model'.", "model", "missing_required_parameter")
    if "input" not in body:
        raise Problem("Missing required parameter: 'input'.", "input", "missing_required_parameter")
    tools = body.get("tools", [])
    if not isinstance(tools, list) or not all(isinstance(t, dict) and t.get("type") for t in tools):
        raise Problem(
            "Invalid 'tools': expected an array of tool objects with a type.", "tools", "invalid_type"
        )
    stream = body.get("stream", False)
    if not isinstance(stream, bool):
        raise Problem("Invalid type for 'stream': expected a boolean.", "stream", "invalid_type")
    req = ResponsesRequest(
        body,
        model,
        str(body.get("instructions") or ""),
        "",
        "",
        [],
        list(tools),
        body.get("tool_choice"),
        stream,
    )
    raw_input = body["input"]
    if isinstance(raw_input, str):
        req.user_text = raw_input
        req.all_text = raw_input
    elif isinstance(raw_input, list):
        _walk_input(raw_input, req)
    else:
        raise Problem("Invalid type for 'input': expected a string or an array.", "input", "invalid_type")
    for i, tool in enumerate(req.tools):
        kind = tool["type"]
        if kind == "image_generation":
            _check_image_tool(tool, i)
            req.image_tool = tool
        elif kind in ("web_search", "web_search_preview"):
            req.web_search = tool
        elif kind == "function":
            if not tool.get("name"):
                raise Problem(
                    f"Missing required parameter: 'tools[{i}].name'.",
                    f"tools[{i}].name",
                    "missing_required_parameter",
                )
            req.functions.append(tool)
    _check_tool_choice(req)
    return req
