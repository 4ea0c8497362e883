"""The prompt library: `prompt ls/show/create/edit/rm/favorite/export` and `prompt folder ...`
(`prompt build` is in prompt_build.py, `prompt import …` in prompt_import.py)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from ima2_cli import client
from ima2_cli.app import Runtime, command, new_app, usage
from ima2_cli.client import segment

prompt_app = new_app("Saved prompts and their folders.", "ima2 prompt ls --favorites")
folder_app = new_app("Prompt folders.", "ima2 prompt folder create Posters")

PromptId = Annotated[str, typer.Argument(help="Prompt id, as `ima2 prompt ls` shows it")]
FolderId = Annotated[str, typer.Argument(help="Folder id, as `ima2 prompt folder ls` shows it")]
Tags = Annotated[list[str] | None, typer.Option("--tag", help="A tag (repeatable)")]


def register(app: typer.Typer) -> None:
    app.add_typer(prompt_app, name="prompt")
    prompt_app.add_typer(folder_app, name="folder")


def _short(text: Any, width: int = 60) -> str:
    value = " ".join(str(text or "").split())
    return value if len(value) <= width else value[: width - 1] + "…"


def _text(text: str | None, from_stdin: bool) -> str | None:
    if from_stdin:
        return sys.stdin.read().strip()
    return text


@command(prompt_app, "ls", 'ima2 prompt ls --search "poster" --favorites')
def prompt_ls(
    rt: Runtime,
    search: Annotated[str | None, typer.Option("--search", help="Words to look for")] = None,
    folder: Annotated[str | None, typer.Option("--folder", help="Only this folder")] = None,
    favorites: Annotated[bool, typer.Option("--favorites", help="Only favourites")] = False,
) -> int:
    """List saved prompts."""
    params = {k: v for k, v in (("search", search), ("folderId", folder)) if v}
    if favorites:
        params["favoritesOnly"] = "1"
    data = rt.api().get("/api/prompts", params=params)

    def human() -> None:
        rows = [
            (
                p.get("id"),
                p.get("name") or "",
                p.get("folderId"),
                "*" if p.get("isFavorite") else "",
                _short(p.get("text")),
            )
            for p in data.get("prompts") or []
        ]
        if rows:
            rt.out.table(("id", "name", "folder", "fav", "text"), rows)
        else:
            rt.out.note("no prompts")

    rt.out.emit(data, human)
    return client.EXIT_OK


@command(prompt_app, "show", "ima2 prompt show p_01J...")
def prompt_show(rt: Runtime, prompt_id: PromptId) -> int:
    """One prompt in full."""
    data = rt.api().get(f"/api/prompts/{segment(prompt_id)}")
    prompt = data.get("prompt") or {}

    def human() -> None:
        rt.out.line(f"{prompt.get('id')}  {prompt.get('name') or ''}  folder {prompt.get('folderId')}")
        if prompt.get("tags"):
            rt.out.line("tags: " + ", ".join(prompt["tags"]))
        rt.out.line(str(prompt.get("text")))

    rt.out.emit(data, human)
    return client.EXIT_OK


@command(prompt_app, "create", 'ima2 prompt create "a cozy cabin, golden hour" --name cabin --tag warm')
def prompt_create(
    rt: Runtime,
    text: Annotated[str | None, typer.Argument(help="The prompt text")] = None,
    name: Annotated[str | None, typer.Option("--name", help="A short name")] = None,
    folder: Annotated[str | None, typer.Option("--folder", help="Folder id")] = None,
    tags: Tags = None,
    from_stdin: Annotated[bool, typer.Option("--stdin", help="Read the text from stdin")] = False,
) -> int:
    """Save a prompt and print its id."""
    value = _text(text, from_stdin)
    if not value:
        raise usage("the prompt text is required")
    body: dict[str, Any] = {"text": value}
    for key, item in (("name", name), ("folderId", folder)):
        if item:
            body[key] = item
    if tags:
        body["tags"] = tags
    data = rt.api().request("POST", "/api/prompts", json=body)
    rt.out.emit(data, lambda: rt.out.line(str((data.get("prompt") or {}).get("id"))))
    return client.EXIT_OK


@command(prompt_app, "edit", 'ima2 prompt edit p_01J... --name "cabin v2" --text "a cozy cabin at dusk"')
def prompt_edit(
    rt: Runtime,
    prompt_id: PromptId,
    text: Annotated[str | None, typer.Option("--text", help="New text")] = None,
    name: Annotated[str | None, typer.Option("--name", help="New name")] = None,
    folder: Annotated[str | None, typer.Option("--folder", help="Move to this folder")] = None,
    tags: Tags = None,
) -> int:
    """Change a prompt's text, name, folder or tags."""
    body: dict[str, Any] = {
        k: v for k, v in (("text", text), ("name", name), ("folderId", folder)) if v is not None
    }
    if tags is not None:
        body["tags"] = tags
    if not body:
        raise usage("nothing to change: give --text, --name, --folder or --tag")
    data = rt.api().request("PATCH", f"/api/prompts/{segment(prompt_id)}", json=body)
    rt.out.emit(data, lambda: rt.out.line(f"updated {prompt_id}"))
    return client.EXIT_OK


@command(prompt_app, "rm", "ima2 prompt rm p_01J...")
def prompt_rm(rt: Runtime, prompt_id: PromptId) -> int:
    """Move a prompt to the trash folder."""
    data = rt.api().request("DELETE", f"/api/prompts/{segment(prompt_id)}")
    rt.out.emit(data, lambda: rt.out.line(f"deleted {prompt_id}"))
    return client.EXIT_OK


@command(prompt_app, "favorite", "ima2 prompt favorite p_01J...")
def prompt_favorite(rt: Runtime, prompt_id: PromptId) -> int:
    """Toggle a prompt in the favourites."""
    data = rt.api().request("POST", f"/api/prompts/{segment(prompt_id)}/favorite")
    rt.out.emit(
        data,
        lambda: rt.out.line(f"{prompt_id}: {'favourite' if data.get('isFavorite') else 'not a favourite'}"),
    )
    return client.EXIT_OK


@command(prompt_app, "export", "ima2 prompt export -o prompts.json")
def prompt_export(
    rt: Runtime,
    out: Annotated[str | None, typer.Option("-o", "--out", help="Write here (default: stdout)")] = None,
) -> int:
    """Export the whole library as JSON."""
    data = rt.api().get("/api/prompts/export")
    if out:
        Path(out).write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        rt.out.emit({"ok": True, "path": out}, lambda: rt.out.line(out))
    else:
        print(json.dumps(data, indent=None if rt.out.json else 2, ensure_ascii=False))
    return client.EXIT_OK


# --- folders --------------------------------------------------------------------------------------


@command(folder_app, "ls", "ima2 prompt folder ls")
def folder_ls(rt: Runtime) -> int:
    """List prompt folders."""
    data = rt.api().get("/api/prompts/folders")
    rows = [(f.get("id"), f.get("name"), f.get("parentId") or "") for f in data.get("folders") or []]
    rt.out.emit(data, lambda: rt.out.table(("id", "name", "parent"), rows))
    return client.EXIT_OK


@command(folder_app, "create", 'ima2 prompt folder create "Posters" --parent f_01J...')
def folder_create(
    rt: Runtime,
    name: Annotated[str, typer.Argument(help="Folder name")],
    parent: Annotated[str | None, typer.Option("--parent", help="Parent folder id")] = None,
) -> int:
    """Create a folder and print its id."""
    body = {"name": name, **({"parentId": parent} if parent else {})}
    data = rt.api().request("POST", "/api/prompts/folders", json=body)
    rt.out.emit(data, lambda: rt.out.line(str((data.get("folder") or {}).get("id"))))
    return client.EXIT_OK


@command(folder_app, "rename", 'ima2 prompt folder rename f_01J... "Old posters"')
def folder_rename(
    rt: Runtime, folder_id: FolderId, name: Annotated[str, typer.Argument(help="New name")]
) -> int:
    """Rename a folder."""
    data = rt.api().request("PATCH", f"/api/prompts/folders/{segment(folder_id)}", json={"name": name})
    rt.out.emit(data, lambda: rt.out.line(f"renamed {folder_id}"))
    return client.EXIT_OK


@command(folder_app, "rm", "ima2 prompt folder rm f_01J... --delete-items")
def folder_rm(
    rt: Runtime,
    folder_id: FolderId,
    delete_items: Annotated[
        bool, typer.Option("--delete-items", help="Delete its prompts too (default: move them to the root)")
    ] = False,
) -> int:
    """Delete a folder."""
    params = {"strategy": "deleteItems" if delete_items else "moveToRoot"}
    data = rt.api().request("DELETE", f"/api/prompts/folders/{segment(folder_id)}", params=params)
    rt.out.emit(data, lambda: rt.out.line(f"deleted {folder_id}"))
    return client.EXIT_OK
