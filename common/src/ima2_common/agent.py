"""Agent Mode's shared vocabulary: statuses, tools, slash commands, defaults and limits.

Defined once here and imported by svc-library (storage), svc-image (planner and runner), the
gateway (validation) and the tests. See docs/agent-mode.md.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ima2_common import catalog
from ima2_common.errors import Ima2Error

JOB_KIND = "agent"

# Queue item statuses and which of them an action accepts.
QUEUED = "queued"
RUNNING = "running"
SUCCEEDED = "succeeded"
FAILED = "failed"
CANCELED = "canceled"
QUEUE_STATUSES = (QUEUED, RUNNING, SUCCEEDED, FAILED, CANCELED)
CANCELABLE = (QUEUED, RUNNING)
RETRYABLE = (FAILED, CANCELED)
OPEN_STATUSES = (QUEUED, RUNNING)

# Turn roles and statuses.
USER = "user"
ASSISTANT = "assistant"
TURN_COMPLETE = "complete"
TURN_ERROR = "error"

# The tools the planner may call.
TOOL_GENERATE = "generate_image"
TOOL_EDIT = "edit_image"
TOOL_ANSWER = "answer"
TOOLS: tuple[dict[str, str], ...] = (
    {"name": TOOL_GENERATE, "description": "Generate a new image from a prompt."},
    {"name": TOOL_EDIT, "description": "Edit the session's current image with a prompt."},
    {"name": TOOL_ANSWER, "description": "Answer in text, without an image."},
)
TOOL_NAMES = tuple(tool["name"] for tool in TOOLS)

# Slash commands.
COMMANDS: tuple[dict[str, str], ...] = (
    {"name": "help", "usage": "/help", "description": "List the commands."},
    {"name": "question", "usage": "/question <text>", "description": "Ask; the answer is text only."},
    {"name": "generate", "usage": "/generate <prompt>", "description": "Generate without planning."},
    {"name": "edit", "usage": "/edit <prompt>", "description": "Edit the current image without planning."},
    {"name": "variants", "usage": "/variants <1-4> <prompt>", "description": "Generate several images."},
    {"name": "parallelism", "usage": "/parallelism <1-4>", "description": "Set how many run at once."},
)
COMMAND_NAMES = tuple(command["name"] for command in COMMANDS)
# Commands answered at once (no queue item, no job).
IMMEDIATE_COMMANDS = ("help", "question", "parallelism")

# Limits.
MAX_PROMPT_CHARS = 8000
MAX_TITLE_CHARS = 120
MAX_LOCKS = 12
MAX_LOCK_CHARS = 200
MAX_VARIANTS = 4
MAX_PARALLELISM = 4
COMPACT_KEEP_TURNS = 4  # the turns kept verbatim by a compaction
AUTO_COMPACT_TURNS = 40  # a session longer than this is compacted before planning
PLANNER_HISTORY_TURNS = 8
DEFAULT_ERRORS_LIMIT = 10
MAX_ERRORS_LIMIT = 50
MAX_BODY_BYTES = 256 * 1024
DEFAULT_TITLE = "New Agent session"

DEFAULT_SETTINGS: dict[str, Any] = {
    "provider": "oauth",
    "model": catalog.OPENAI_DEFAULT_MODEL,
    "quality": "medium",
    "size": "1024x1024",
    "format": "png",
    "moderation": "low",
    "reasoningEffort": "medium",
    "generationStrategy": "auto",
    "variants": 1,
    "parallelism": 1,
}
SETTING_KEYS = tuple(DEFAULT_SETTINGS)
STRATEGIES = ("auto", "manual")


def settings_with(base: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """`base` with the known keys of `patch` laid over it; bad values raise AGENT_INVALID_SETTINGS."""
    merged = {**DEFAULT_SETTINGS, **{k: v for k, v in base.items() if k in DEFAULT_SETTINGS}}
    for key, value in patch.items():
        if key not in DEFAULT_SETTINGS or value is None:
            continue
        if key in ("variants", "parallelism"):
            limit = MAX_VARIANTS if key == "variants" else MAX_PARALLELISM
            if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= limit:
                raise Ima2Error("AGENT_INVALID_SETTINGS", f"{key} must be an integer from 1 to {limit}.")
        elif key == "generationStrategy":
            if value not in STRATEGIES:
                raise Ima2Error("AGENT_INVALID_SETTINGS", "generationStrategy must be auto or manual.")
        elif not isinstance(value, str) or not value.strip():
            raise Ima2Error("AGENT_INVALID_SETTINGS", f"{key} must be a non-empty string.")
        merged[key] = value.strip() if isinstance(value, str) else value
    # Another provider family chosen without naming a model: that family's default model.
    family = catalog.default_model(str(merged["provider"]))
    before = catalog.default_model(str(base.get("provider") or DEFAULT_SETTINGS["provider"]))
    if not patch.get("model") and family != before:
        merged["model"] = family
    return merged


def clean_locks(value: Any, name: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise Ima2Error("AGENT_INVALID_SETTINGS", f"{name} must be an array of strings.")
    locks = [" ".join(v.split())[:MAX_LOCK_CHARS] for v in value]
    locks = [lock for lock in dict.fromkeys(locks) if lock]
    if len(locks) > MAX_LOCKS:
        raise Ima2Error("AGENT_INVALID_SETTINGS", f"At most {MAX_LOCKS} {name}.")
    return locks


@dataclass(frozen=True)
class SlashCommand:
    name: str
    prompt: str  # what follows the command (and its number)
    value: int | None = None


_COMMAND_RE = re.compile(r"^/([A-Za-z][\w-]*)(?:\s+(.*))?$", re.DOTALL)


def parse_command(text: str) -> SlashCommand | None:
    """The slash command a message starts with; None for a plain message.

    An unknown command, or a number out of range, raises the catalogue's 400 codes."""
    match = _COMMAND_RE.match(text.strip())
    if match is None:
        return None
    name, rest = match.group(1).lower(), (match.group(2) or "").strip()
    if name not in COMMAND_NAMES:
        raise Ima2Error("AGENT_UNKNOWN_COMMAND", f"Unknown command /{name}; /help lists them.")
    if name in ("variants", "parallelism"):
        number, _, remainder = rest.partition(" ")
        limit = MAX_VARIANTS if name == "variants" else MAX_PARALLELISM
        if not number.isdigit() or not 1 <= int(number) <= limit:
            raise Ima2Error("AGENT_INVALID_SETTINGS", f"/{name} takes a number from 1 to {limit}.")
        return SlashCommand(name, remainder.strip(), int(number))
    return SlashCommand(name, rest)


def help_text() -> str:
    lines = ["Commands:"]
    lines.extend(f"{command['usage']} — {command['description']}" for command in COMMANDS)
    return "\n".join(lines)
