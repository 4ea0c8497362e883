"""The gallery: ls, show, metadata, history rm/restore/favorite/import, annotate, canvas-versions."""

from __future__ import annotations

import base64
import json
import sys
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

import typer

from ima2_cli import client
from ima2_cli.app import Runtime, command, new_app, usage
from ima2_cli.client import ApiClient, CliError, segment
from ima2_cli.jobs import read_image

history_app = new_app("Delete, restore, favourite and import gallery items.", "ima2 history import ./cat.png")
annotate_app = new_app(
    "Your canvas annotations (paths, boxes, memos) of a gallery item.", "ima2 annotate get NAME.png"
)
canvas_app = new_app(
    "Canvas versions: edited copies of a gallery image.",
    "ima2 canvas-versions save edited.png --source NAME.png",
)

Name = Annotated[str, typer.Argument(help="Gallery file name (as `ima2 ls` shows it)")]


def register(app: typer.Typer) -> None:
    command(app, "ls", "ima2 ls --session s_01J... --limit 20")(ls)
    command(app, "show", "ima2 show 1780226256355_ab12cd34.png --metadata")(show)
    command(app, "metadata", "ima2 metadata ./shiba.png --json")(metadata)
    app.add_typer(history_app, name="history")
    app.add_typer(annotate_app, name="annotate")
    app.add_typer(canvas_app, name="canvas-versions")


def _when(ms: Any) -> str:
    if not isinstance(ms, int | float) or ms <= 0:
        return ""
    return datetime.fromtimestamp(ms / 1000).strftime("%Y-%m-%d %H:%M")


def _short(text: Any, width: int = 48) -> str:
    value = " ".join(str(text or "").split())
    return value if len(value) <= width else value[: width - 1] + "…"


def ls(
    rt: Runtime,
    session: Annotated[str | None, typer.Option("--session", help="Only this session's items")] = None,
    favorites: Annotated[bool, typer.Option("--favorites", help="Only your favourites")] = False,
    limit: Annotated[int, typer.Option("--limit", min=1, max=500, help="Items per page")] = 50,
    before: Annotated[int | None, typer.Option("--before", help="Page cursor: createdAt (ms)")] = None,
    before_filename: Annotated[
        str | None, typer.Option("--before-filename", help="Page cursor: the file name")
    ] = None,
    since: Annotated[int | None, typer.Option("--since", help="Only items created after (ms)")] = None,
    request_id: Annotated[str | None, typer.Option("--request-id", help="Only this job's items")] = None,
) -> int:
    """List the gallery, newest first (GET /api/history)."""
    params: dict[str, Any] = {"limit": limit}
    for key, value in (
        ("sessionId", session),
        ("before", before),
        ("beforeFilename", before_filename),
        ("since", since),
        ("requestId", request_id),
    ):
        if value not in (None, ""):
            params[key] = value
    if favorites:
        params["favoritesOnly"] = "1"
    data = rt.api().get("/api/history", params=params, browser=True)

    def human() -> None:
        items = data.get("items") or []
        if not items:
            rt.out.note("no items")
        else:
            rt.out.table(
                ("file", "created", "provider", "size", "fav", "prompt"),
                [
                    (
                        i.get("filename"),
                        _when(i.get("createdAt")),
                        i.get("provider") or "",
                        i.get("size") or "",
                        "*" if i.get("isFavorite") else "",
                        _short(i.get("prompt") or i.get("userPrompt")),
                    )
                    for i in items
                ],
            )
        cursor = data.get("nextCursor")
        if cursor:
            rt.out.note(
                f"{data.get('total')} in all; next page: ima2 ls --before {cursor['before']} "
                f"--before-filename {cursor['beforeFilename']}"
            )

    rt.out.emit(data, human)
    return client.EXIT_OK


def read_metadata(api: ApiClient, data: bytes, mime: str) -> dict[str, Any]:
    url = f"data:{mime};base64,{base64.b64encode(data).decode()}"
    return api.request("POST", "/api/metadata/read", json={"dataUrl": url}, timeout=60)


def _print_metadata(rt: Runtime, found: dict[str, Any]) -> None:
    meta = found.get("metadata")
    if not meta:
        rt.out.line("no ima2 metadata in this image")
        return
    rt.out.table(
        ("field", "value"),
        [(k, json.dumps(v) if isinstance(v, dict | list) else v) for k, v in meta.items()],
        title=f"metadata ({found.get('source')})",
    )


def show(
    rt: Runtime,
    name: Name,
    with_metadata: Annotated[
        bool, typer.Option("--metadata", help="Also read the embedded metadata")
    ] = False,
    out: Annotated[str | None, typer.Option("-o", "--out", help="Save the file here")] = None,
) -> int:
    """Show a gallery file: where it is, its type and size; --metadata reads what is embedded."""
    api = rt.api()
    response = api.send("GET", f"/generated/{segment(name)}", timeout=120)
    content = response.content
    mime = response.headers.get("content-type", "").split(";")[0]
    info: dict[str, Any] = {"ok": True, "filename": name, "url": f"{api.server}/generated/{quote(name)}"}
    info.update(mime=mime, bytes=len(content))
    if out:
        Path(out).parent.mkdir(parents=True, exist_ok=True)
        Path(out).write_bytes(content)
        info["path"] = str(Path(out))
    if with_metadata:
        found = read_metadata(api, content, mime)
        info["metadata"] = found.get("metadata")
        info["metadataSource"] = found.get("source")

    def human() -> None:
        rt.out.line(f"{name}: {mime}, {len(content)} bytes, {info['url']}")
        if out:
            rt.out.line(str(info["path"]))
        if with_metadata:
            _print_metadata(rt, {"metadata": info.get("metadata"), "source": info.get("metadataSource")})

    rt.out.emit(info, human)
    return client.EXIT_OK


def metadata(rt: Runtime, file: Annotated[Path, typer.Argument(help="A PNG, JPEG or WebP file")]) -> int:
    """Read the generation metadata embedded in a local image (POST /api/metadata/read)."""
    data, mime = read_image(file)
    found = read_metadata(rt.api(), data, mime)
    rt.out.emit(found, lambda: _print_metadata(rt, found))
    return client.EXIT_OK


# --- history --------------------------------------------------------------------------------------


@command(history_app, "rm", "ima2 history rm 1780226256355_ab12cd34.png")
def history_rm(
    rt: Runtime,
    name: Name,
    permanent: Annotated[
        bool, typer.Option("--permanent", help="Delete the file for good (no undo)")
    ] = False,
) -> int:
    """Move a gallery item to the trash, or delete it for good with --permanent."""
    path = f"/api/history/{segment(name)}" + ("/permanent" if permanent else "")
    data = rt.api().request("DELETE", path)

    def human() -> None:
        if permanent:
            rt.out.line(f"deleted {name}")
        else:
            rt.out.line(
                f"moved {name} to the trash; undo: ima2 history restore {name} --trash-id {data.get('trashId')}"
            )

    rt.out.emit(data, human)
    return client.EXIT_OK


@command(history_app, "restore", "ima2 history restore 1780226256355_ab12cd34.png --trash-id t_abc")
def history_restore(
    rt: Runtime,
    name: Name,
    trash_id: Annotated[str, typer.Option("--trash-id", help="The id `history rm` printed")],
) -> int:
    """Bring a trashed item back (POST /api/history/:name/restore)."""
    data = rt.api().request("POST", f"/api/history/{segment(name)}/restore", json={"trashId": trash_id})
    rt.out.emit(data, lambda: rt.out.line(f"restored {(data.get('item') or {}).get('filename') or name}"))
    return client.EXIT_OK


@command(history_app, "favorite", "ima2 history favorite 1780226256355_ab12cd34.png")
def history_favorite(rt: Runtime, name: Name) -> int:
    """Toggle an item in your favourites (the CLI's own, separate from browsers')."""
    data = rt.api().request("POST", "/api/history/favorite", json={"filename": name}, browser=True)
    rt.out.emit(
        data, lambda: rt.out.line(f"{name}: {'favourite' if data.get('isFavorite') else 'not a favourite'}")
    )
    return client.EXIT_OK


@command(history_app, "import", "ima2 history import ./old/cat.png")
def history_import(
    rt: Runtime, file: Annotated[Path, typer.Argument(help="PNG, JPEG or WebP to import")]
) -> int:
    """Copy a local image into the gallery (POST /api/history/import-local, raw bytes)."""
    data, mime = read_image(file)
    if mime not in ("image/png", "image/jpeg", "image/webp"):
        raise usage(f"{file} is not a PNG, JPEG or WebP image")
    headers = {"Content-Type": mime, "X-Ima2-Original-Filename": quote(file.name)}
    result = rt.api().request("POST", "/api/history/import-local", content=data, headers=headers, timeout=120)
    item = result.get("item") or {}
    rt.out.emit(result, lambda: rt.out.line(str(item.get("filename"))))
    return client.EXIT_OK


# --- annotate -------------------------------------------------------------------------------------


def _read_json(source: str) -> Any:
    text = sys.stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise CliError(f"{source} is not valid JSON ({exc.msg})", client.EXIT_USAGE, "INVALID_JSON") from None


@command(annotate_app, "get", "ima2 annotate get 1780226256355_ab12cd34.png --json")
def annotate_get(rt: Runtime, name: Name) -> int:
    """Your annotations of an item (GET /api/annotations/:name)."""
    data = rt.api().get(f"/api/annotations/{segment(name)}", browser=True)
    notes = data.get("annotations")

    def human() -> None:
        if not notes:
            rt.out.line(f"{name}: no annotations")
            return
        counts = ", ".join(f"{len(v)} {k}" for k, v in notes.items() if isinstance(v, list))
        rt.out.line(f"{name}: {counts or 'annotated'}")
        for memo in notes.get("memos") or []:
            text = memo.get("text") if isinstance(memo, dict) else memo
            rt.out.line(f"  memo: {text}")

    rt.out.emit(data, human)
    return client.EXIT_OK


@command(annotate_app, "set", 'echo \'{"memos":[{"text":"fix the hand"}]}\' | ima2 annotate set NAME -')
def annotate_set(
    rt: Runtime,
    name: Name,
    source: Annotated[
        str, typer.Argument(help="JSON file with {paths, boxes, memos}; '-' reads stdin")
    ] = "-",
) -> int:
    """Replace your annotations of an item (PUT /api/annotations/:name)."""
    payload = _read_json(source)
    if not isinstance(payload, dict):
        raise usage('the annotations must be a JSON object like {"paths": [], "boxes": [], "memos": []}')
    data = rt.api().request("PUT", f"/api/annotations/{segment(name)}", json=payload, browser=True)
    rt.out.emit(data, lambda: rt.out.line(f"saved annotations of {name}"))
    return client.EXIT_OK


@command(annotate_app, "rm", "ima2 annotate rm 1780226256355_ab12cd34.png")
def annotate_rm(rt: Runtime, name: Name) -> int:
    """Delete your annotations of an item."""
    data = rt.api().request("DELETE", f"/api/annotations/{segment(name)}", browser=True)
    rt.out.emit(data, lambda: rt.out.line(f"removed annotations of {name}"))
    return client.EXIT_OK


# --- canvas versions --------------------------------------------------------------------------------


def _canvas(rt: Runtime, method: str, path: str, file: Path, source: str | None, prompt: str | None) -> int:
    data, mime = read_image(file)
    if mime not in ("image/png", "image/jpeg", "image/webp"):
        raise usage(f"{file} is not a PNG, JPEG or WebP image")
    headers = {"Content-Type": mime}
    if prompt:
        headers["X-Ima2-Canvas-Prompt"] = quote(prompt)
    params = {"sourceFilename": source} if source else None
    result = rt.api().request(method, path, content=data, headers=headers, params=params, timeout=120)
    item = result.get("item") or {}
    rt.out.emit(result, lambda: rt.out.line(str(item.get("filename"))))
    return client.EXIT_OK


Source = Annotated[str | None, typer.Option("--source", help="The gallery file this is a version of")]
CanvasPrompt = Annotated[str | None, typer.Option("--prompt", help="A prompt to record with it")]


@command(canvas_app, "save", "ima2 canvas-versions save edited.png --source 1780226256355_ab12cd34.png")
def canvas_save(
    rt: Runtime,
    file: Annotated[Path, typer.Argument(help="The edited image")],
    source: Source = None,
    prompt: CanvasPrompt = None,
) -> int:
    """Save an edited image as a new canvas version (POST /api/canvas-versions, raw bytes)."""
    return _canvas(rt, "POST", "/api/canvas-versions", file, source, prompt)


@command(canvas_app, "update", "ima2 canvas-versions update canvas-ab12-...png edited.png")
def canvas_update(
    rt: Runtime,
    name: Name,
    file: Annotated[Path, typer.Argument(help="The edited image")],
    source: Source = None,
    prompt: CanvasPrompt = None,
) -> int:
    """Overwrite a canvas version with new pixels (PUT /api/canvas-versions/:name)."""
    return _canvas(rt, "PUT", f"/api/canvas-versions/{segment(name)}", file, source, prompt)
