"""Grok video: `video PROMPT` (SSE, progress bar) and `video continue|edit|extend|frame|analyze`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from ima2_cli import client
from ima2_cli.app import CONTEXT, Runtime, command, usage
from ima2_cli.client import segment
from ima2_cli.jobs import JobProgress, data_url_of, follow_sse, new_request_id, run_job

VIDEO_TIMEOUT = 5400.0
BLOCKING_TIMEOUT = 1800.0


class DefaultToGenerate(TyperGroup):
    """`ima2 video "a prompt"` means `ima2 video generate "a prompt"`."""

    def parse_args(self, ctx: typer.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("-h", "--help"):
            args = ["generate", *args]
        return super().parse_args(ctx, args)


video_app = typer.Typer(
    cls=DefaultToGenerate,
    help="Grok video: generate (the default), continue, edit, extend, frame, analyze.",
    epilog='Example: ima2 video "a cat playing piano, slow pan" --duration 6 -o cat.mp4',
    no_args_is_help=True,
    context_settings=CONTEXT,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    add_completion=False,
)

Video = Annotated[str, typer.Argument(help="A generated .mp4 (its gallery file name)")]
Out = Annotated[str | None, typer.Option("-o", "--out", help="Save to this file")]
OutDir = Annotated[str | None, typer.Option("-d", "--out-dir", help="Save into this folder (default: here)")]
NoSave = Annotated[bool, typer.Option("--no-save", help="Do not download; print the server's URL")]
Model = Annotated[
    str | None, typer.Option("--model", help="grok-imagine-video or grok-imagine-video-1.5-preview")
]
Duration = Annotated[int | None, typer.Option("--duration", min=1, max=15, help="Seconds (1-15)")]
Resolution = Annotated[str | None, typer.Option("--resolution", help="480p or 720p")]
Aspect = Annotated[
    str | None, typer.Option("--aspect-ratio", help="auto, 1:1, 16:9, 9:16, 4:3, 3:4, 3:2, 2:3")
]
Planner = Annotated[str | None, typer.Option("--planner-model", help="Planner model (default grok-4.3)")]
Storyboard = Annotated[bool, typer.Option("--storyboard", help="Keep characters and scenes continuous")]
Refs = Annotated[list[Path] | None, typer.Option("--ref", help="Reference image (repeatable, at most 7)")]
Image = Annotated[Path | None, typer.Option("--image", help="Start from this image (image-to-video)")]
Session = Annotated[str | None, typer.Option("--session", help="Session id")]
Provider = Annotated[str | None, typer.Option("--provider", help="grok (default) or grok-api")]
PromptArgs = Annotated[list[str], typer.Argument(help="The prompt (words are joined)")]


def register(app: typer.Typer) -> None:
    app.add_typer(video_app, name="video")


def _save(rt: Runtime, result: dict[str, Any], out: str | None, out_dir: str | None, no_save: bool) -> int:
    api = rt.api()
    filename = str(result.get("filename") or "")
    path = None
    if not no_save and filename:
        path = Path(out) if out else (Path(out_dir) if out_dir else Path.cwd()) / filename
        api.download(f"/generated/{segment(filename)}", path)
    document = {"ok": True, **result, "path": str(path) if path else None}
    rt.out.emit(
        document, lambda: rt.out.line(str(path) if path else f"{api.server}{result.get('url') or ''}")
    )
    return client.EXIT_OK if filename else client.EXIT_ERROR


def _generate(rt: Runtime, body: dict[str, Any], out: str | None, out_dir: str | None, no_save: bool) -> int:
    api = rt.api()
    request_id = body["requestId"]
    timeout = rt.timeout or VIDEO_TIMEOUT
    done, _ = run_job(
        rt,
        request_id,
        "video",
        lambda progress: follow_sse(api, "/api/video/generate", body, progress, timeout),
        bar=True,
    )
    return _save(rt, done, out, out_dir, no_save)


def _body(
    prompt: str,
    *,
    model: str | None,
    duration: int | None,
    resolution: str | None,
    aspect: str | None,
    planner: str | None,
    storyboard: bool,
    refs: list[Path] | None,
    image: Path | None,
    session: str | None,
    provider: str | None,
) -> dict[str, Any]:
    if not prompt.strip():
        raise usage("a prompt is required")
    body: dict[str, Any] = {
        "prompt": prompt.strip(),
        "requestId": new_request_id(),
        "provider": provider or "grok",
    }
    for key, value in (
        ("model", model),
        ("duration", duration),
        ("resolution", resolution),
        ("aspectRatio", aspect),
        ("plannerModel", planner),
        ("sessionId", session),
    ):
        if value not in (None, ""):
            body[key] = value
    if storyboard:
        body["storyboard"] = True
    if image is not None:
        body["sourceImage"] = data_url_of(image)
    if refs:
        if len(refs) > 7:
            raise usage("at most 7 reference images")
        body["referenceImages"] = [data_url_of(path, "reference") for path in refs]
    return body


@command(
    video_app,
    "generate",
    'ima2 video generate "a cat playing piano" --duration 6 --resolution 720p -o cat.mp4',
)
def video_generate(
    rt: Runtime,
    prompt: PromptArgs,
    duration: Duration = None,
    resolution: Resolution = None,
    aspect: Aspect = None,
    model: Model = None,
    planner: Planner = None,
    storyboard: Storyboard = False,
    refs: Refs = None,
    image: Image = None,
    session: Session = None,
    provider: Provider = None,
    out: Out = None,
    out_dir: OutDir = None,
    no_save: NoSave = False,
) -> int:
    """Generate a video (POST /api/video/generate, SSE), with a progress bar; Ctrl-C cancels it."""
    body = _body(
        " ".join(prompt),
        model=model,
        duration=duration,
        resolution=resolution,
        aspect=aspect,
        planner=planner,
        storyboard=storyboard,
        refs=refs,
        image=image,
        session=session,
        provider=provider,
    )
    return _generate(rt, body, out, out_dir, no_save)


@command(
    video_app, "continue", 'ima2 video continue 1780226256355_50252101.mp4 "she turns and waves" -o next.mp4'
)
def video_continue(
    rt: Runtime,
    video: Video,
    prompt: PromptArgs,
    duration: Duration = None,
    resolution: Resolution = None,
    aspect: Aspect = None,
    model: Model = None,
    planner: Planner = None,
    storyboard: Storyboard = False,
    session: Session = None,
    provider: Provider = None,
    out: Out = None,
    out_dir: OutDir = None,
    no_save: NoSave = False,
) -> int:
    """Continue a generated video from its last frame, keeping its lineage (continueFromVideo)."""
    body = _body(
        " ".join(prompt),
        model=model,
        duration=duration,
        resolution=resolution,
        aspect=aspect,
        planner=planner,
        storyboard=storyboard,
        refs=None,
        image=None,
        session=session,
        provider=provider,
    )
    body["continueFromVideo"] = video
    return _generate(rt, body, out, out_dir, no_save)


def _blocking(rt: Runtime, path: str, body: dict[str, Any], label: str) -> dict[str, Any]:
    """These routes take no request id: Ctrl-C stops waiting, but there is no server job to cancel."""
    api = rt.api()
    with JobProgress(rt.out, label) as progress:
        progress.update(phase="waiting for xAI")
        return api.request("POST", path, json=body, timeout=rt.timeout or BLOCKING_TIMEOUT)


@command(video_app, "edit", 'ima2 video edit 1780226256355_50252101.mp4 -p "make it sunset" -o sunset.mp4')
def video_edit(
    rt: Runtime,
    video: Video,
    prompt: Annotated[str, typer.Option("-p", "--prompt", help="What to change")],
    model: Model = None,
    out: Out = None,
    out_dir: OutDir = None,
    no_save: NoSave = False,
) -> int:
    """Edit a video with a prompt (POST /api/video/edit; blocks until xAI is done)."""
    body = {"prompt": prompt, "videoUrl": video, **({"model": model} if model else {})}
    return _save(rt, _blocking(rt, "/api/video/edit", body, "video edit"), out, out_dir, no_save)


@command(
    video_app, "extend", 'ima2 video extend 1780226256355_50252101.mp4 -p "camera pulls back" --duration 6'
)
def video_extend(
    rt: Runtime,
    video: Video,
    prompt: Annotated[str, typer.Option("-p", "--prompt", help="How it goes on")],
    duration: Annotated[
        int | None, typer.Option("--duration", min=2, max=10, help="Seconds to add (2-10)")
    ] = None,
    model: Model = None,
    out: Out = None,
    out_dir: OutDir = None,
    no_save: NoSave = False,
) -> int:
    """Extend a video from its last frame (POST /api/video/extend; blocks until xAI is done)."""
    body: dict[str, Any] = {"prompt": prompt, "videoUrl": video}
    if duration is not None:
        body["duration"] = duration
    if model:
        body["model"] = model
    return _save(rt, _blocking(rt, "/api/video/extend", body, "video extend"), out, out_dir, no_save)


@command(video_app, "frame", "ima2 video frame 1780226256355_50252101.mp4 --position 2.5 -o frame.png")
def video_frame(
    rt: Runtime,
    video: Video,
    position: Annotated[str, typer.Option("--position", help="last, or seconds from the start")] = "last",
    out: Out = None,
) -> int:
    """Extract one frame of a generated video as PNG (GET /api/video/frame)."""
    api = rt.api()
    response = api.send("GET", "/api/video/frame", params={"file": video, "position": position}, timeout=120)
    path = Path(out) if out else Path.cwd() / f"{Path(video).stem}-{position}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(response.content)
    rt.out.emit(
        {"ok": True, "path": str(path), "bytes": len(response.content)}, lambda: rt.out.line(str(path))
    )
    return client.EXIT_OK


@command(video_app, "analyze", "ima2 video analyze 1780226256355_50252101.mp4")
def video_analyze(rt: Runtime, video: Video) -> int:
    """Describe a video's motion from its first and last frames (POST /api/video/analyze)."""
    data = rt.api().request("POST", "/api/video/analyze", json={"videoUrl": video}, timeout=rt.timeout or 300)
    rt.out.emit(data, lambda: rt.out.line(str(data.get("analysis"))))
    return client.EXIT_OK
