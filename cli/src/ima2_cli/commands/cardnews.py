"""Card news (`/api/cardnews/…`): served only when the server reports `features.cardNews`
(GET /api/capabilities). Every command asks first; when the feature is off it exits 2
(CARDNEWS_DISABLED) without calling the card-news routes."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from ima2_cli import client
from ima2_cli.app import Runtime, command, new_app
from ima2_cli.client import CliError, segment

cardnews_app = new_app(
    "Card news sets (only on servers with the card-news feature).", "ima2 cardnews sets --json"
)
DISABLED = (
    "card news is not enabled on this server (capabilities: features.cardNews is off), "
    "so the `ima2 cardnews` commands are unavailable"
)


def register(app: typer.Typer) -> None:
    app.add_typer(cardnews_app, name="cardnews")


def gated(rt: Runtime) -> client.ApiClient:
    """The client, once the server has said card news is on; else exit 2 with a clear message."""
    api = rt.api()
    caps = api.get("/api/capabilities")
    features = caps.get("features") if isinstance(caps, dict) else None
    if not isinstance(features, dict) or features.get("cardNews") is not True:
        raise CliError(
            DISABLED,
            client.EXIT_USAGE,
            "CARDNEWS_DISABLED",
            guidance="use a server built with card news, or make cards with `ima2 gen`",
        )
    return api


def _show(rt: Runtime, data: Any, key: str, columns: tuple[str, ...]) -> None:
    def human() -> None:
        items = data.get(key) if isinstance(data, dict) else data
        rows = [tuple(i.get(c) for c in columns) for i in items or [] if isinstance(i, dict)]
        if rows:
            rt.out.table(columns, rows)
        else:
            rt.out.note(f"no {key}")

    rt.out.emit(data, human)


@command(cardnews_app, "templates", "ima2 cardnews templates")
def templates(rt: Runtime) -> int:
    """The image templates card news can use."""
    _show(rt, gated(rt).get("/api/cardnews/image-templates"), "templates", ("id", "name"))
    return client.EXIT_OK


@command(cardnews_app, "roles", "ima2 cardnews roles")
def roles(rt: Runtime) -> int:
    """The role templates (cover, body, closing, …)."""
    _show(rt, gated(rt).get("/api/cardnews/role-templates"), "templates", ("id", "name"))
    return client.EXIT_OK


@command(cardnews_app, "sets", "ima2 cardnews sets")
def sets(
    rt: Runtime,
    set_id: Annotated[str | None, typer.Argument(help="One set's id (default: list them)")] = None,
) -> int:
    """List card-news sets, or show one."""
    api = gated(rt)
    if set_id:
        rt.out.emit(api.get(f"/api/cardnews/sets/{segment(set_id)}"))
    else:
        _show(rt, api.get("/api/cardnews/sets"), "sets", ("id", "title"))
    return client.EXIT_OK


@command(cardnews_app, "jobs", "ima2 cardnews jobs")
def jobs(
    rt: Runtime,
    job_id: Annotated[str | None, typer.Argument(help="One job's id (default: list them)")] = None,
) -> int:
    """List card-news generation jobs, or show one."""
    api = gated(rt)
    if job_id:
        rt.out.emit(api.get(f"/api/cardnews/jobs/{segment(job_id)}"))
    else:
        _show(rt, api.get("/api/cardnews/jobs"), "jobs", ("id", "status"))
    return client.EXIT_OK
