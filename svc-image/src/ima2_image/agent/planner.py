"""The Agent planner: a text model turns the user's message into one tool call.

The text model is the prompt builder's (same backends as the session's image provider): it gets
instructions that list the tools and the session (summary, recent turns, current image, locks)
and answers one JSON object `{"tool", "prompt", "text"}`. The same model answers `/question`
and writes the summary of a compaction.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from typing import Any

from ima2_common import agent
from ima2_common.errors import Ima2Error
from ima2_common.logging import log_fields
from ima2_image.prompt_builder import ChatRequest, Message, PromptBuilder

log = logging.getLogger("ima2.image.agent")

PLANNER_MARK = "You are the ima2 Agent planner."
ASSISTANT_MARK = "You are the ima2 Agent assistant."
SUMMARY_MARK = "You are the ima2 Agent summarizer."
# Image providers whose text model is a prompt-builder backend of the same name.
TEXT_BACKENDS = {"oauth": "oauth", "api": "api", "grok": "grok", "grok-api": "grok-api"}
_JSON_OBJECT = re.compile(r"\{.*\}", re.DOTALL)
TURN_TEXT_CHARS = 400


@dataclass(frozen=True)
class Plan:
    tool: str
    prompt: str = ""
    text: str = ""
    source: str = "llm-planner"  # llm-planner | slash-command | manual-settings


def backend_for(provider: str) -> str:
    return TEXT_BACKENDS.get(provider, "auto")


def _short(text: str, limit: int = TURN_TEXT_CHARS) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def session_context(session: dict[str, Any], turns: list[dict[str, Any]]) -> str:
    """What the model knows of the session: summary, locks, current image, the recent turns."""
    lines: list[str] = []
    if session.get("summary"):
        lines.append(f"Summary of earlier conversation: {session['summary']}")
    if session.get("styleLocks"):
        lines.append("Style locks (always keep): " + "; ".join(session["styleLocks"]))
    if session.get("subjectLocks"):
        lines.append("Subject locks (always keep): " + "; ".join(session["subjectLocks"]))
    image = session.get("currentImage")
    if image:
        described = _short(str(image.get("prompt") or ""), 200)
        lines.append(f"Current image: {image['filename']}" + (f' — "{described}"' if described else ""))
    else:
        lines.append("Current image: none")
    recent = [t for t in turns if not t.get("compacted")][-agent.PLANNER_HISTORY_TURNS :]
    if recent:
        lines.append("Recent conversation:")
        for turn in recent:
            images = f" [{len(turn.get('images') or [])} image(s)]" if turn.get("images") else ""
            lines.append(f"{turn['role']}: {_short(str(turn.get('text') or ''))}{images}")
    return "\n".join(lines)


def planner_instructions(session: dict[str, Any], turns: list[dict[str, Any]]) -> str:
    tools = "\n".join(f"- {tool['name']}: {tool['description']}" for tool in agent.TOOLS)
    return (
        f"{PLANNER_MARK} Choose exactly one tool for the user's latest message.\n"
        f"Tools:\n{tools}\n"
        "Use edit_image only when there is a current image and the user wants it changed; "
        "use answer for questions and conversation.\n"
        'Reply with one JSON object only: {"tool": "<tool>", "prompt": "<image prompt for '
        'generate_image or edit_image>", "text": "<a short reply to the user>"}.\n\n'
        + session_context(session, turns)
    )


def parse_plan(content: str, has_image: bool) -> Plan:
    """The model's reply as a plan; a reply that is not a tool call is an answer."""
    match = _JSON_OBJECT.search(content)
    parsed: Any = None
    if match:
        try:
            parsed = json.loads(match.group(0))
        except ValueError:
            parsed = None
    if not isinstance(parsed, dict) or parsed.get("tool") not in agent.TOOL_NAMES:
        return Plan(agent.TOOL_ANSWER, text=content.strip())
    tool = str(parsed["tool"])
    prompt = str(parsed.get("prompt") or "").strip()
    text = str(parsed.get("text") or "").strip()
    if tool == agent.TOOL_EDIT and not has_image:
        tool = agent.TOOL_GENERATE
    if tool != agent.TOOL_ANSWER and not prompt:
        return Plan(agent.TOOL_ANSWER, text=text or content.strip())
    return Plan(tool, prompt, text)


class AgentPlanner:
    def __init__(self, builder: PromptBuilder) -> None:
        self.builder = builder

    async def _ask(self, provider: str, system: str, message: str) -> str:
        request = ChatRequest(
            backend=backend_for(provider), model="", messages=[Message("user", message)], system=system
        )
        try:
            reply = await self.builder.chat(request)
        except Ima2Error as err:
            log.warning("agent text model failed", extra=log_fields(code=err.code))
            raise Ima2Error(
                "AGENT_PLANNER_FAILED", upstream_code=err.code, extra={"plannerCode": err.code}
            ) from None
        return reply.content

    async def plan(self, session: dict[str, Any], turns: list[dict[str, Any]], message: str) -> Plan:
        provider = str(session["generationSettings"]["provider"])
        content = await self._ask(provider, planner_instructions(session, turns), message)
        plan = parse_plan(content, bool(session.get("currentImage")))
        log.info("agent planned", extra=log_fields(tool=plan.tool, replyChars=len(content)))
        return plan

    async def answer(self, session: dict[str, Any], turns: list[dict[str, Any]], question: str) -> str:
        provider = str(session["generationSettings"]["provider"])
        system = (
            f"{ASSISTANT_MARK} Answer the user's question about their images and this session "
            "briefly, in plain text.\n\n" + session_context(session, turns)
        )
        return (await self._ask(provider, system, question)).strip()

    async def summarize(self, session: dict[str, Any], turns: list[dict[str, Any]]) -> str:
        provider = str(session["generationSettings"]["provider"])
        transcript = "\n".join(f"{t['role']}: {_short(str(t.get('text') or ''))}" for t in turns)
        earlier = f"Earlier summary: {session['summary']}\n" if session.get("summary") else ""
        system = (
            f"{SUMMARY_MARK} Summarize the conversation in a few sentences: the subject, the style "
            "and the decisions so far, so the work can continue without the full transcript."
        )
        return (await self._ask(provider, system, earlier + transcript)).strip()
