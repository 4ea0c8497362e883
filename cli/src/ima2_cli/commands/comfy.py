"""ComfyUI: `comfy export` uploads a generated image into ComfyUI's input folder
(POST /api/comfy/export-image). The server talks to the ComfyUI it is configured with
(IMA2_COMFY_URL); `--url` names that ComfyUI for the CLI, to print where the upload can be viewed."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import unquote, urlencode, urlsplit

import typer

from ima2_cli import client
from ima2_cli.app import Runtime, command, new_app, usage

comfy_app = new_app("ComfyUI hand-off.", "ima2 comfy export 1733.png")


def register(app: typer.Typer) -> None:
    app.add_typer(comfy_app, name="comfy")


def generated_name(value: str) -> str:
    """A gallery name; a gallery URL or path (`…/generated/x.png`) is reduced to its name."""
    text = value.strip()
    if "://" in text or text.startswith("/generated/"):
        path = unquote(urlsplit(text).path)
        _, _, name = path.rpartition("/generated/")
        if not name or "/" in name:
            raise usage(f"{value!r} is not a generated image URL")
        return name
    return text


def comfy_base(value: str) -> str:
    url = value.strip().rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise usage(f"--url: {value!r} is not a plain http(s) URL")
    if parts.username is not None or parts.password is not None:
        raise usage("--url: credentials in the URL are refused")
    return url


@command(comfy_app, "export", "ima2 comfy export 1733.png --url http://127.0.0.1:8188")
def export(
    rt: Runtime,
    filename: Annotated[str, typer.Argument(help="A generated image (its gallery name or URL)")],
    url: Annotated[
        str | None,
        typer.Option("--url", help="The ComfyUI the server uploads to; prints the upload's /view URL"),
    ] = None,
) -> int:
    """Upload a generated image (PNG, JPEG or WebP) into ComfyUI's input folder; prints the stored name."""
    base = comfy_base(url) if url else None
    data: dict[str, Any] = rt.api().request(
        "POST", "/api/comfy/export-image", json={"filename": generated_name(filename)}
    )
    if base:
        query = {
            "filename": data.get("uploadedFilename"),
            "subfolder": data.get("subfolder") or "",
            "type": data.get("type") or "input",
        }
        data = {**data, "viewUrl": f"{base}/view?{urlencode(query)}"}

    def human() -> None:
        rt.out.line(str(data.get("uploadedFilename")))
        rt.out.note(f"uploaded {data.get('sourceFilename')} into ComfyUI's {data.get('type')} folder")
        if base:
            rt.out.line(str(data["viewUrl"]))

    rt.out.emit(data, human)
    return client.EXIT_OK
