"""Running a generation job from the CLI: a request id chosen here, live progress on stderr (from
the per-request SSE stream where the route has one), Ctrl-C cancelling the job on the server
(`DELETE /api/inflight/:id`) before exiting, and the results saved where -o/-d say."""

from __future__ import annotations

import base64
import binascii
import mimetypes
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from ima2_cli import client
from ima2_cli.app import Runtime
from ima2_cli.client import ApiClient, CliError, SseEvent, segment
from ima2_cli.output import Output

T = TypeVar("T")
TERMINAL = ("done", "error")


def new_request_id() -> str:
    return f"cli_{uuid.uuid4().hex[:24]}"


class JobProgress:
    """Phase, partial count and (for video) a bar with elapsed time; drawn only on a terminal."""

    def __init__(self, out: Output, label: str, bar: bool = False) -> None:
        self.out = out
        self.label = label
        self.phase = "starting"
        self.partials = 0
        self.images = 0
        self.started = time.monotonic()
        self._progress: Progress | None = None
        self._task: Any = None
        self._bar = bar

    def __enter__(self) -> JobProgress:
        if self.out.interactive:
            columns: list[Any] = [SpinnerColumn(), TextColumn("{task.description}")]
            if self._bar:
                columns += [BarColumn(), TextColumn("{task.percentage:>3.0f}%")]
            columns.append(TimeElapsedColumn())
            self._progress = Progress(*columns, console=self.out.err, transient=False)
            self._progress.start()
            self._task = self._progress.add_task(self._describe(), total=100 if self._bar else None)
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None

    def _describe(self) -> str:
        parts = [f"{self.label}: {self.phase}"]
        if self.partials:
            parts.append(f"{self.partials} partial(s)")
        if self.images:
            parts.append(f"{self.images} image(s)")
        return ", ".join(parts)

    def update(self, *, phase: str | None = None, fraction: float | None = None) -> None:
        if phase:
            self.phase = phase
        if self._progress is not None:
            kwargs: dict[str, Any] = {"description": self._describe()}
            if fraction is not None and self._bar:
                kwargs["completed"] = max(0.0, min(1.0, fraction)) * 100
            self._progress.update(self._task, **kwargs)

    def on_event(self, event: SseEvent) -> None:
        data = event.data if isinstance(event.data, dict) else {}
        if event.event == "phase":
            self.update(phase=str(data.get("phase") or "running"))
        elif event.event == "partial":
            self.partials += 1
            self.update()
        elif event.event == "image":
            self.images += 1
            self.update()
        elif event.event in ("planning", "submitted"):
            self.update(phase=event.event)
        elif event.event == "done":
            self.update(phase="done", fraction=1.0)
        elif event.event == "progress":
            value = data.get("progress")
            self.update(
                phase="stalled" if data.get("stalled") else "rendering",
                fraction=value if isinstance(value, int | float) else None,
            )


def cancel_on_server(api: ApiClient, request_id: str) -> dict[str, Any] | None:
    try:
        return api.request("DELETE", f"/api/inflight/{segment(request_id)}", timeout=10)
    except CliError:
        return None


def run_job(
    rt: Runtime, request_id: str, label: str, work: Callable[[JobProgress], T], bar: bool = False
) -> T:
    """`work(progress)`; Ctrl-C cancels `request_id` on the server, then exits 130."""
    api = rt.api()
    progress = JobProgress(rt.out, label, bar)
    try:
        with progress:
            return work(progress)
    except CliError as err:
        if err.code != "CLIENT_TIMEOUT" or not request_id:
            raise
        answer = cancel_on_server(api, request_id)
        if answer and answer.get("active"):
            err.message += f"; job {request_id} canceled on the server"
        err.extra["requestId"] = request_id
        raise
    except KeyboardInterrupt:
        progress.stop()
        answer = cancel_on_server(api, request_id)
        aborted = bool(answer and answer.get("active"))
        raise CliError(
            f"interrupted; job {request_id} {'canceled on the server' if aborted else 'was not running any more'}",
            client.EXIT_INTERRUPTED,
            "GENERATION_CANCELED",
            499,
            extra={"requestId": request_id},
        ) from None


def follow_sse(
    api: ApiClient, path: str, body: dict[str, Any], progress: JobProgress, timeout: float
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Drive a per-request SSE job to its end: the `done` payload and the `image` events seen."""
    images: list[dict[str, Any]] = []
    for event in api.sse(path, body, timeout=timeout):
        progress.on_event(event)
        data = event.data if isinstance(event.data, dict) else {}
        if event.event == "image":
            images.append(data)
        elif event.event == "done":
            return data, images
        elif event.event == "error":
            raise client.error_from_payload(data, int(data.get("status") or 500))
    raise CliError("the server closed the stream before the job ended", client.EXIT_SERVER, "STREAM_ENDED")


# --- files ----------------------------------------------------------------------------------------


def read_image(path: Path, what: str = "image") -> tuple[bytes, str]:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise CliError(f"{what} {path} does not exist", client.EXIT_USAGE, "FILE_NOT_FOUND") from None
    return data, sniff_mime(data) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"


def sniff_mime(data: bytes) -> str | None:
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data[4:8] == b"ftyp":
        return "video/mp4"
    return None


def data_url_of(path: Path, what: str = "image") -> str:
    data, mime = read_image(path, what)
    if not mime.startswith("image/"):
        raise CliError(f"{path} is not a PNG, JPEG or WebP image", client.EXIT_USAGE, "INVALID_IMAGE")
    return f"data:{mime};base64,{base64.b64encode(data).decode()}"


def decode_data_url(value: str) -> bytes | None:
    if not isinstance(value, str) or not value:
        return None
    payload = value.split(",", 1)[1] if value.startswith("data:") else value
    try:
        return base64.b64decode(payload, validate=False)
    except (binascii.Error, ValueError):
        return None


def targets(count: int, out: str | None, out_dir: str | None, names: list[str]) -> list[Path]:
    if out:
        base = Path(out)
        if count == 1:
            return [base]
        return [base.with_name(f"{base.stem}-{i + 1}{base.suffix}") for i in range(count)]
    folder = Path(out_dir) if out_dir else Path.cwd()
    return [folder / name for name in names]


def save_items(
    api: ApiClient, items: list[dict[str, Any]], out: str | None, out_dir: str | None
) -> list[Path]:
    """Write each item as the server stored it (`/generated/<filename>`, with its embedded
    metadata); the image in the answer is the fallback when the file cannot be fetched."""
    names = [str(item.get("filename") or f"image-{i + 1}.png") for i, item in enumerate(items)]
    paths = targets(len(items), out, out_dir, names)
    for item, name, path in zip(items, names, paths, strict=True):
        path.parent.mkdir(parents=True, exist_ok=True)
        inline = decode_data_url(item.get("image") or "")
        if item.get("filename"):
            try:
                api.download(f"/generated/{segment(name)}", path)
                continue
            except CliError:
                if not inline:
                    raise
        if not inline:
            raise CliError(f"the server sent no image for {name}", client.EXIT_SERVER, "NO_IMAGE")
        path.write_bytes(inline)
    return paths


def public_item(item: dict[str, Any], path: Path | None) -> dict[str, Any]:
    """An item for --json output: the base64 image replaced by where it was saved."""
    row = {k: v for k, v in item.items() if k not in ("image",)}
    if path is not None:
        row["path"] = str(path)
    return row
