"""Image generation: gen, edit (with --mask), multimode, node generate / node show."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from ima2_cli import client
from ima2_cli.app import Runtime, command, new_app, usage
from ima2_cli.client import segment
from ima2_cli.jobs import data_url_of, follow_sse, new_request_id, public_item, run_job, save_items

node_app = new_app(
    "Node-mode generation: children of a node, and a node's stored metadata.", "ima2 node show n_abc123"
)

GEN_TIMEOUT = 180.0

Quality = Annotated[str | None, typer.Option("-q", "--quality", help="low, medium or high")]
Size = Annotated[str | None, typer.Option("-s", "--size", help="WxH (e.g. 1024x1536) or auto")]
Provider = Annotated[
    str | None, typer.Option("--provider", help="oauth, api, grok, grok-api, gemini-api or agy")
]
Model = Annotated[str | None, typer.Option("--model", help="Image model (default: the provider's)")]
Refs = Annotated[list[Path] | None, typer.Option("--ref", help="Reference image (repeatable, at most 5)")]
Out = Annotated[str | None, typer.Option("-o", "--out", help="Save to this file (-1, -2… for several)")]
OutDir = Annotated[str | None, typer.Option("-d", "--out-dir", help="Save into this folder (default: here)")]
NoSave = Annotated[
    bool, typer.Option("--no-save", help="Do not write files; print where the server keeps them")
]
Moderation = Annotated[str | None, typer.Option("--moderation", help="auto or low")]
Mode = Annotated[str | None, typer.Option("--mode", help="Prompt mode: auto or direct")]
Session = Annotated[str | None, typer.Option("--session", help="Session id to file the result under")]
Format = Annotated[str | None, typer.Option("--format", help="png, jpeg or webp")]
PromptArgs = Annotated[list[str] | None, typer.Argument(help="The prompt (words are joined)")]
Stdin = Annotated[bool, typer.Option("--stdin", help="Read the prompt from stdin")]


def prompt_text(words: list[str] | None, from_stdin: bool) -> str:
    text = sys.stdin.read() if from_stdin else " ".join(words or [])
    if not text.strip():
        raise usage("a prompt is required (as arguments, or with --stdin)")
    return text.strip()


def job_body(
    prompt: str,
    request_id: str,
    *,
    quality: str | None = None,
    size: str | None = None,
    provider: str | None = None,
    model: str | None = None,
    refs: list[Path] | None = None,
    moderation: str | None = None,
    mode: str | None = None,
    session: str | None = None,
    fmt: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    body: dict[str, Any] = {"prompt": prompt, "requestId": request_id}
    for key, value in (
        ("quality", quality),
        ("size", size),
        ("provider", provider),
        ("model", model),
        ("moderation", moderation),
        ("mode", mode),
        ("sessionId", session),
        ("format", fmt),
    ):
        if value not in (None, ""):
            body[key] = value
    if refs:
        body["references"] = [data_url_of(path, "reference") for path in refs]
    body.update({k: v for k, v in extra.items() if v is not None})
    return body


def report(
    rt: Runtime,
    request_id: str,
    items: list[dict[str, Any]],
    no_save: bool,
    out: str | None,
    out_dir: str | None,
    extra: dict[str, Any] | None = None,
) -> int:
    api = rt.api()
    paths: list[Path | None] = [None] * len(items)
    if not no_save and items:
        paths = list(save_items(api, items, out, out_dir))
    document = {
        "ok": True,
        "requestId": request_id,
        "files": [str(p) for p in paths if p is not None],
        "items": [public_item(item, path) for item, path in zip(items, paths, strict=True)],
        **(extra or {}),
    }

    def human() -> None:
        for item, path in zip(items, paths, strict=True):
            rt.out.line(str(path) if path is not None else f"{api.server}/generated/{item.get('filename')}")
        if not items:
            rt.out.note("no image came back")
        revised = items[0].get("revisedPrompt") if items else None
        if revised:
            rt.out.note(f"revised prompt: {revised}")

    rt.out.emit(document, human)
    return client.EXIT_OK if items else client.EXIT_ERROR


def register(app: typer.Typer) -> None:
    command(app, "gen", 'ima2 gen "a shiba in space" -q high -n 2 -d ./out')(gen)
    command(app, "edit", 'ima2 edit photo.png -p "make it night" --mask mask.png -o night.png')(edit)
    command(app, "multimode", 'ima2 multimode "a story in four panels" --max-images 4 -d panels')(multimode)
    app.add_typer(node_app, name="node")


def gen(
    rt: Runtime,
    prompt: PromptArgs = None,
    quality: Quality = None,
    size: Size = None,
    count: Annotated[int, typer.Option("-n", "--count", min=1, max=8, help="How many images (1-8)")] = 1,
    refs: Refs = None,
    out: Out = None,
    out_dir: OutDir = None,
    no_save: NoSave = False,
    from_stdin: Stdin = False,
    provider: Provider = None,
    model: Model = None,
    mode: Mode = None,
    moderation: Moderation = None,
    session: Session = None,
    fmt: Format = None,
    reasoning_effort: Annotated[
        str | None, typer.Option("--reasoning-effort", help="low, medium or high")
    ] = None,
    web_search: Annotated[
        bool | None, typer.Option("--web-search/--no-web-search", help="Let the planner search the web")
    ] = None,
    storyboard: Annotated[
        bool, typer.Option("--storyboard", help="Storyboard keyframe instructions")
    ] = False,
) -> int:
    """Generate images from a prompt (POST /api/generate) and save them."""
    text = prompt_text(prompt, from_stdin)
    request_id = new_request_id()
    body = job_body(
        text,
        request_id,
        quality=quality,
        size=size,
        provider=provider,
        model=model,
        refs=refs,
        moderation=moderation,
        mode=mode,
        session=session,
        fmt=fmt,
        n=count if count != 1 else None,
        reasoningEffort=reasoning_effort,
        webSearchEnabled=web_search,
        storyboard=True if storyboard else None,
    )
    api = rt.api(timeout=GEN_TIMEOUT)
    timeout = rt.timeout or GEN_TIMEOUT

    def work(progress: Any) -> dict[str, Any]:
        progress.update(phase="generating")
        return api.request("POST", "/api/generate", json=body, timeout=timeout)

    result = run_job(rt, request_id, "gen", work)
    items = result.get("images") or ([result] if result.get("image") or result.get("filename") else [])
    extra = {
        k: result.get(k)
        for k in ("elapsed", "provider", "model", "quality", "size", "warnings")
        if k in result
    }
    return report(rt, result.get("requestId") or request_id, items, no_save, out, out_dir, extra)


def edit(
    rt: Runtime,
    image: Annotated[Path, typer.Argument(help="The image to edit (PNG, JPEG or WebP)")],
    prompt: Annotated[str, typer.Option("-p", "--prompt", help="What to change")],
    mask: Annotated[
        Path | None, typer.Option("--mask", help="PNG with alpha, same size: transparent = edit here")
    ] = None,
    quality: Quality = None,
    size: Size = None,
    refs: Refs = None,
    out: Out = None,
    out_dir: OutDir = None,
    no_save: NoSave = False,
    provider: Provider = None,
    model: Model = None,
    mode: Mode = None,
    moderation: Moderation = None,
    session: Session = None,
    fmt: Format = None,
) -> int:
    """Edit an image with a prompt, optionally guided by a mask (POST /api/edit)."""
    request_id = new_request_id()
    body = job_body(
        prompt,
        request_id,
        quality=quality,
        size=size,
        provider=provider,
        model=model,
        refs=refs,
        moderation=moderation,
        mode=mode,
        session=session,
        fmt=fmt,
        image=data_url_of(image),
        mask=data_url_of(mask, "mask") if mask is not None else None,
    )
    if not prompt.strip():
        raise usage("--prompt must not be empty")
    api = rt.api(timeout=GEN_TIMEOUT)
    timeout = rt.timeout or GEN_TIMEOUT

    def work(progress: Any) -> dict[str, Any]:
        progress.update(phase="editing")
        return api.request("POST", "/api/edit", json=body, timeout=timeout)

    result = run_job(rt, request_id, "edit", work)
    items = result.get("images") or [result]
    return report(rt, result.get("requestId") or request_id, items, no_save, out, out_dir)


def multimode(
    rt: Runtime,
    prompt: PromptArgs = None,
    max_images: Annotated[int, typer.Option("--max-images", min=1, max=8, help="Images in the sequence")] = 4,
    quality: Quality = None,
    size: Size = None,
    refs: Refs = None,
    out: Out = None,
    out_dir: OutDir = None,
    no_save: NoSave = False,
    from_stdin: Stdin = False,
    provider: Provider = None,
    model: Model = None,
    mode: Mode = None,
    moderation: Moderation = None,
    session: Session = None,
) -> int:
    """Generate a sequence of images from one prompt, with live progress (SSE)."""
    text = prompt_text(prompt, from_stdin)
    request_id = new_request_id()
    body = job_body(
        text,
        request_id,
        quality=quality,
        size=size,
        provider=provider,
        model=model,
        refs=refs,
        moderation=moderation,
        mode=mode,
        session=session,
        maxImages=max_images,
    )
    api = rt.api()
    timeout = rt.timeout or GEN_TIMEOUT
    done, images = run_job(
        rt,
        request_id,
        "multimode",
        lambda progress: follow_sse(api, "/api/generate/multimode", body, progress, timeout),
    )
    extra = {k: done.get(k) for k in ("sequenceId", "status") if k in done}
    return report(rt, request_id, images, no_save, out, out_dir, extra)


@command(node_app, "generate", 'ima2 node generate -p "add a hat" --node n_abc123 -o hat.png')
def node_generate(
    rt: Runtime,
    prompt: Annotated[str, typer.Option("-p", "--prompt", help="The prompt")],
    parent: Annotated[str | None, typer.Option("--node", help="Parent node id: edit its image")] = None,
    session: Session = None,
    client_node_id: Annotated[
        str | None, typer.Option("--client-node-id", help="The graph's id for the node")
    ] = None,
    quality: Quality = None,
    size: Size = None,
    refs: Refs = None,
    out: Out = None,
    out_dir: OutDir = None,
    no_save: NoSave = False,
    provider: Provider = None,
    model: Model = None,
    no_stream: Annotated[
        bool, typer.Option("--no-stream", help="Plain JSON request, no live progress")
    ] = False,
) -> int:
    """Generate a node image, as a child of --node when given (POST /api/node/generate)."""
    request_id = new_request_id()
    body = job_body(
        prompt,
        request_id,
        quality=quality,
        size=size,
        provider=provider,
        model=model,
        refs=refs,
        session=session,
        parentNodeId=parent,
        clientNodeId=client_node_id,
    )
    api = rt.api()
    timeout = rt.timeout or GEN_TIMEOUT

    def work(progress: Any) -> dict[str, Any]:
        if no_stream:
            progress.update(phase="generating")
            return api.request("POST", "/api/node/generate", json=body, timeout=timeout)
        done, _ = follow_sse(api, "/api/node/generate", body, progress, timeout)
        return done

    result = run_job(rt, request_id, "node", work)
    extra = {k: result.get(k) for k in ("nodeId", "parentNodeId") if k in result}
    code = report(rt, request_id, [result], no_save, out, out_dir, extra)
    if not rt.out.json:
        rt.out.note(f"node {result.get('nodeId')}")
    return code


@command(node_app, "show", "ima2 node show n_abc123")
def node_show(rt: Runtime, node_id: Annotated[str, typer.Argument(help="Node id")]) -> int:
    """A node's stored metadata (GET /api/node/:id)."""
    data = rt.api().get(f"/api/node/{segment(node_id)}")

    def human() -> None:
        rt.out.line(f"node {data.get('nodeId')}: {rt.api().server}{data.get('url')}")
        meta = data.get("meta") or {}
        rt.out.table(("field", "value"), [(k, v) for k, v in meta.items() if not isinstance(v, dict | list)])

    rt.out.emit(data, human)
    return client.EXIT_OK
