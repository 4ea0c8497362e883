"""Card news (`/api/cardnews/…`): served only when the server reports `features.cardNews`
(GET /api/capabilities). Every command asks first; when the feature is off it exits 2
(CARDNEWS_DISABLED) without calling the card-news routes.

The flow: `draft` plans the cards (`-o plan.json` keeps the plan), `generate plan.json` makes them
(blocking, or `--async` for the job id), `status`/`retry` follow a job, `regenerate` makes one card
again with edits, `show` prints a set (or its manifest) and `export -o set.zip` saves the zip."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from ima2_cli import client
from ima2_cli.app import Runtime, command, new_app, usage
from ima2_cli.client import CliError, segment
from ima2_common.files import write_atomic

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


# -- draft, generate, jobs ------------------------------------------------------------------------

Provider = Annotated[str | None, typer.Option("--provider", help="Image provider (api, oauth, …)")]
Model = Annotated[str | None, typer.Option("--model", help="Image model")]
Quality = Annotated[str | None, typer.Option("--quality", help="low, medium or high")]
Async = Annotated[bool, typer.Option("--async", help="Answer at once with the job id (202)")]
OutDir = Annotated[
    str | None, typer.Option("-d", "--out-dir", help="Also save the finished card images into this folder")
]


def image_options(provider: str | None, model: str | None, quality: str | None) -> dict[str, Any]:
    given = {"provider": provider, "model": model, "quality": quality}
    return {key: value for key, value in given.items() if value}


def read_plan(source: str) -> dict[str, Any]:
    """A plan from a file (or `-` for stdin): `draft --json` output or its `plan` alone."""
    text = sys.stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8")
    try:
        data = json.loads(text)
    except ValueError:
        raise usage(f"{source}: not JSON (give the file `ima2 cardnews draft -o` wrote)") from None
    plan = data.get("plan", data) if isinstance(data, dict) else None
    if not isinstance(plan, dict) or not isinstance(plan.get("cards"), list):
        raise usage(f"{source}: no plan with cards in it (give the file `ima2 cardnews draft -o` wrote)")
    return plan


def _job(rt: Runtime, job: Any, api: client.ApiClient | None = None, out_dir: str | None = None) -> None:
    """A job (or generate result): its cards as a table; `-d` saves the finished images."""
    saved: list[str] = []
    if api is not None and out_dir and isinstance(job, dict):
        for card in job.get("cards") or []:
            url, name = card.get("url"), card.get("imageFilename")
            if isinstance(url, str) and url.startswith("/") and isinstance(name, str) and name:
                dest = Path(out_dir) / Path(name).name
                write_atomic(dest, api.send("GET", url, timeout=120).content)
                saved.append(str(dest))
        job = {**job, "saved": saved}

    def human() -> None:
        rt.out.line(f"{job.get('jobId')}  {job.get('status')}  set {job.get('setId')}")
        rows = [(c.get("id"), c.get("status"), c.get("imageFilename") or "") for c in job.get("cards") or []]
        if rows:
            rt.out.table(("card", "status", "image"), rows)
        for path in saved:
            rt.out.line(path)

    rt.out.emit(job, human)


@command(cardnews_app, "draft", "ima2 cardnews draft --topic 'Solar at home' -o plan.json")
def draft(
    rt: Runtime,
    topic: Annotated[str | None, typer.Option("--topic", help="What the set is about")] = None,
    title: Annotated[str | None, typer.Option("--title", help="The set's title")] = None,
    audience: Annotated[str | None, typer.Option("--audience", help="Who it is for")] = None,
    goal: Annotated[str | None, typer.Option("--goal", help="What it should achieve")] = None,
    brief: Annotated[str | None, typer.Option("--brief", help="Content notes for the planner")] = None,
    template: Annotated[str | None, typer.Option("--template", help="Image template id")] = None,
    roles_id: Annotated[str | None, typer.Option("--roles", help="Role template id")] = None,
    size: Annotated[str | None, typer.Option("--size", help="WIDTHxHEIGHT")] = None,
    set_id: Annotated[str | None, typer.Option("--set-id", help="Plan for this set id")] = None,
    backend: Annotated[str | None, typer.Option("--backend", help="Text backend of the planner")] = None,
    model: Annotated[str | None, typer.Option("--model", help="Text model of the planner")] = None,
    deterministic: Annotated[bool, typer.Option("--deterministic", help="Plan without a text model")] = False,
    out: Annotated[
        str | None, typer.Option("-o", "--out", help="Save the plan here (for `generate`)")
    ] = None,
) -> int:
    """Plan the cards of a set from a brief; prints the plan (and which planner made it)."""
    given = {
        "topic": topic,
        "title": title,
        "audience": audience,
        "goal": goal,
        "contentBrief": brief,
        "imageTemplateId": template,
        "roleTemplateId": roles_id,
        "size": size,
        "setId": set_id,
        "backend": backend,
        "model": model,
    }
    body: dict[str, Any] = {key: value for key, value in given.items() if value is not None}
    if deterministic:
        body["deterministic"] = True
    api = gated(rt)
    data = api.request("POST", "/api/cardnews/draft", json=body, timeout=max(api.timeout, 400))
    if out:
        text = json.dumps(data.get("plan"), indent=2, ensure_ascii=False) + "\n"
        write_atomic(Path(out), text.encode())
        data = {**data, "saved": out}

    def human() -> None:
        plan = data.get("plan") or {}
        planner = data.get("planner") or {}
        rt.out.line(f"{plan.get('setId')}  {plan.get('title')}  ({planner.get('mode')} planner)")
        rt.out.table(
            ("card", "role", "headline"),
            [(c.get("id"), c.get("role"), c.get("headline")) for c in plan.get("cards") or []],
        )
        if out:
            rt.out.line(out)

    rt.out.emit(data, human)
    return client.EXIT_OK


@command(cardnews_app, "generate", "ima2 cardnews generate plan.json -d cards/")
def generate(
    rt: Runtime,
    plan_file: Annotated[str, typer.Argument(help="The plan (`draft -o` file, or - for stdin)")],
    provider: Provider = None,
    model: Model = None,
    quality: Quality = None,
    async_mode: Async = False,
    out_dir: OutDir = None,
) -> int:
    """Make every unlocked card of a plan; waits for the job (or `--async`: prints the job id).

    Exits 1 when the job ends with failed cards (`retry` makes them again)."""
    body = {**read_plan(plan_file), **image_options(provider, model, quality)}
    if async_mode and out_dir:
        raise usage("-d needs the finished cards: drop --async")
    api = gated(rt)
    if async_mode:
        job = api.request("POST", "/api/cardnews/jobs", json=body)
        rt.out.emit(job, lambda: rt.out.line(str(job.get("jobId"))))
        return client.EXIT_OK
    job = api.request("POST", "/api/cardnews/generate", json=body, timeout=max(api.timeout, 900))
    _job(rt, job, api, out_dir)
    return client.EXIT_OK if job.get("status") == "done" else client.EXIT_ERROR


@command(cardnews_app, "status", "ima2 cardnews status cj_0123 --json")
def status(rt: Runtime, job_id: Annotated[str, typer.Argument(help="The job id")]) -> int:
    """One job's state, card by card."""
    _job(rt, gated(rt).get(f"/api/cardnews/jobs/{segment(job_id)}"))
    return client.EXIT_OK


@command(cardnews_app, "retry", "ima2 cardnews retry cj_0123 --card card_2")
def retry(
    rt: Runtime,
    job_id: Annotated[str, typer.Argument(help="The job id")],
    cards: Annotated[
        list[str] | None, typer.Option("--card", help="A failed card to make again (default: all failed)")
    ] = None,
    provider: Provider = None,
    model: Model = None,
    quality: Quality = None,
) -> int:
    """Make a job's failed cards again; answers at once (follow it with `status`)."""
    body = image_options(provider, model, quality)
    if cards:
        body["cardIds"] = cards
    _job(rt, gated(rt).request("POST", f"/api/cardnews/jobs/{segment(job_id)}/retry", json=body))
    return client.EXIT_OK


@command(cardnews_app, "regenerate", "ima2 cardnews regenerate card_2 --set cs_0123 --headline 'New'")
def regenerate(
    rt: Runtime,
    card_id: Annotated[str, typer.Argument(help="The card id (card_1, …)")],
    set_id: Annotated[str, typer.Option("--set", help="The set the card belongs to")],
    headline: Annotated[str | None, typer.Option("--headline", help="New headline")] = None,
    body_text: Annotated[str | None, typer.Option("--body", help="New body text")] = None,
    visual: Annotated[str | None, typer.Option("--visual-prompt", help="New visual prompt")] = None,
    provider: Provider = None,
    model: Model = None,
    quality: Quality = None,
    async_mode: Async = False,
    out_dir: OutDir = None,
) -> int:
    """Make one card of a set again, with optional edits (a new job)."""
    if async_mode and out_dir:
        raise usage("-d needs the finished card: drop --async")
    edits = {"headline": headline, "body": body_text, "visualPrompt": visual}
    body: dict[str, Any] = {"setId": set_id, **image_options(provider, model, quality)}
    card = {key: value for key, value in edits.items() if value is not None}
    if card:
        body["card"] = card
    if async_mode:
        body["async"] = True
    api = gated(rt)
    job = api.request(
        "POST",
        f"/api/cardnews/cards/{segment(card_id)}/regenerate",
        json=body,
        timeout=max(api.timeout, 900),
    )
    _job(rt, job, api, out_dir)
    return client.EXIT_OK if async_mode or job.get("status") == "done" else client.EXIT_ERROR


# -- sets -----------------------------------------------------------------------------------------


@command(cardnews_app, "show", "ima2 cardnews show cs_0123 --manifest")
def show(
    rt: Runtime,
    set_id: Annotated[str, typer.Argument(help="The set id")],
    manifest: Annotated[bool, typer.Option("--manifest", help="The set's manifest.json instead")] = False,
) -> int:
    """One set: its plan (or, with --manifest, its manifest with every card's state)."""
    path = f"/api/cardnews/sets/{segment(set_id)}" + ("/manifest" if manifest else "")
    rt.out.emit(gated(rt).get(path))
    return client.EXIT_OK


@command(cardnews_app, "export", "ima2 cardnews export cs_0123 -o set.zip")
def export(
    rt: Runtime,
    set_id: Annotated[str, typer.Argument(help="The set id")],
    out: Annotated[str | None, typer.Option("-o", "--out", help="The zip (default: SETID.zip here)")] = None,
) -> int:
    """Save a set as a zip: manifest.json and its card images."""
    api = gated(rt)
    response = api.send("POST", "/api/cardnews/export", json={"setId": set_id}, timeout=max(api.timeout, 120))
    dest = Path(out or f"{Path(set_id).name}.zip")
    write_atomic(dest, response.content)
    data = {"ok": True, "setId": set_id, "path": str(dest), "bytes": len(response.content)}
    rt.out.emit(data, lambda: rt.out.line(str(dest)))
    return client.EXIT_OK
