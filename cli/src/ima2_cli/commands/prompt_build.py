"""The prompt builder: `prompt build` (POST /api/prompt-builder/chat) and `prompt build-config get|set`
(GET/PUT /api/prompt-builder/config)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from ima2_cli import client
from ima2_cli.app import Runtime, command, new_app, usage
from ima2_cli.client import CliError
from ima2_cli.commands.prompts import prompt_app

config_app = new_app(
    "The prompt builder's saved backend and model.", "ima2 prompt build-config set --backend grok-api"
)
ROLES = ("user", "assistant")


def register(app: typer.Typer) -> None:
    prompt_app.add_typer(config_app, name="build-config")


def _read(path: str) -> str:
    return sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")


def conversation(path: str) -> list[dict[str, str]]:
    """A JSON array of {role: user|assistant, content}, or a `prompt build --json` answer list."""
    try:
        data = json.loads(_read(path))
    except json.JSONDecodeError as exc:
        raise CliError(f"{path} is not valid JSON ({exc.msg})", client.EXIT_USAGE, "INVALID_JSON") from None
    if isinstance(data, dict):
        data = data.get("messages")
    if not isinstance(data, list):
        raise usage(f"{path}: expected a JSON array of {{role, content}} messages")
    messages: list[dict[str, str]] = []
    for item in data:
        if (
            not isinstance(item, dict)
            or item.get("role") not in ROLES
            or not isinstance(item.get("content"), str)
        ):
            raise usage(f"{path}: each message must be {{role: user|assistant, content: string}}")
        messages.append({"role": item["role"], "content": item["content"]})
    return messages


def context_of(value: str | None) -> dict[str, Any] | None:
    if value is None:
        return None
    try:
        data = json.loads(value)
    except json.JSONDecodeError as exc:
        raise CliError(
            f"--context is not valid JSON ({exc.msg})", client.EXIT_USAGE, "INVALID_JSON"
        ) from None
    if not isinstance(data, dict):
        raise usage("--context must be a JSON object")
    return data


@command(
    prompt_app,
    "build",
    'ima2 prompt build "a poster for a jazz night in Seoul" --backend grok-api',
)
def prompt_build(
    rt: Runtime,
    message: Annotated[
        list[str] | None, typer.Argument(help="Your message (the words are joined with spaces)")
    ] = None,
    from_stdin: Annotated[bool, typer.Option("--stdin", help="Read the message from stdin")] = False,
    history: Annotated[
        str | None,
        typer.Option(
            "--history",
            help="Earlier turns: a JSON array of {role, content} ('-' reads stdin); the message is added after",
        ),
    ] = None,
    backend: Annotated[
        str | None,
        typer.Option("--backend", help="auto, oauth, grok, api or grok-api (default: the saved one)"),
    ] = None,
    model: Annotated[str | None, typer.Option("--model", help="The backend's model (default: saved)")] = None,
    context: Annotated[
        str | None,
        typer.Option("--context", help='Generation settings as JSON, e.g. \'{"size":"1024x1024"}\''),
    ] = None,
) -> int:
    """Ask the prompt builder to write or improve an image prompt; prints its answer."""
    if from_stdin and history == "-":
        raise usage("--stdin and --history - both read stdin; give one of them")
    messages = conversation(history) if history else []
    text = sys.stdin.read().strip() if from_stdin else " ".join(message or []).strip()
    if text:
        messages.append({"role": "user", "content": text})
    if not messages or messages[-1]["role"] != "user":
        raise usage(
            "a message is required: give it as arguments, with --stdin, or end --history with a user turn"
        )
    body: dict[str, Any] = {"messages": messages}
    for key, value in (("backend", backend), ("model", model), ("context", context_of(context))):
        if value is not None:
            body[key] = value
    data = rt.api().request("POST", "/api/prompt-builder/chat", json=body)
    answer = str((data.get("message") or {}).get("content") or "")

    def human() -> None:
        rt.out.note(f"{data.get('backend')} / {data.get('model')} (asked: {data.get('requestedBackend')})")
        rt.out.line(answer)

    rt.out.emit(data, human)
    return client.EXIT_OK


def _show_config(rt: Runtime, data: dict[str, Any]) -> None:
    def human() -> None:
        locked = data.get("locked") or {}
        for key in ("backend", "model"):
            mark = " (locked by the environment)" if locked.get(key) else ""
            rt.out.line(f"{key}: {data.get(key)}{mark}")
        options = data.get("options") or {}
        models = options.get("models") or {}
        rows = [(b, ", ".join(models.get(b) or [])) for b in options.get("backends") or []]
        if rows:
            rt.out.table(("backend", "models"), rows)

    rt.out.emit(data, human)


@command(config_app, "get", "ima2 prompt build-config get --json")
def config_get(rt: Runtime) -> int:
    """The saved backend and model, what each backend offers, and what the environment locks."""
    _show_config(rt, rt.api().get("/api/prompt-builder/config"))
    return client.EXIT_OK


@command(config_app, "set", "ima2 prompt build-config set --backend grok-api --model grok-4")
def config_set(
    rt: Runtime,
    backend: Annotated[
        str | None, typer.Option("--backend", help="auto, oauth, grok, api or grok-api")
    ] = None,
    model: Annotated[str | None, typer.Option("--model", help="A model of that backend, or auto")] = None,
) -> int:
    """Save the backend and/or model `prompt build` uses by default."""
    body = {k: v for k, v in (("backend", backend), ("model", model)) if v is not None}
    if not body:
        raise usage("nothing to set: give --backend and/or --model")
    _show_config(rt, rt.api().request("PUT", "/api/prompt-builder/config", json=body))
    return client.EXIT_OK
