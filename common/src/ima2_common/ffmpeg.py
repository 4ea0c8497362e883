"""Running the ffmpeg that `imageio-ffmpeg` ships (no system ffmpeg or ffprobe needed).

Frames, probes and trims work on files in a private temp folder; callers hand bytes in and get
bytes out, so no path from a request ever reaches the command line. `run` is async (a
subprocess), `run_blocking` is for code already on a worker thread.
"""

from __future__ import annotations

import asyncio
import re
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

DURATION_RE = re.compile(rb"Duration:\s*(\d+):(\d{2}):(\d{2}(?:\.\d+)?)")
VIDEO_STREAM_RE = re.compile(rb"Stream #[^\n]*Video:[^\n]*?\s(\d{2,5})x(\d{2,5})[\s,\[]")
STDERR_KEEP = 400


class FfmpegError(Exception):
    """ffmpeg failed, timed out or wrote no output."""


@dataclass(frozen=True)
class Probe:
    duration: float  # seconds, 0.0 when unknown
    width: int
    height: int


def executable() -> str:
    import imageio_ffmpeg  # imported on first use: no work at import time

    return imageio_ffmpeg.get_ffmpeg_exe()


def _argv(args: list[str]) -> list[str]:
    return [executable(), "-hide_banner", "-nostdin", "-y", *args]


async def run(args: list[str], timeout: float) -> bytes:
    """Run ffmpeg; returns its stderr (where it reports). Raises FfmpegError on failure or timeout."""
    process = await asyncio.create_subprocess_exec(
        *_argv(args),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        async with asyncio.timeout(timeout):
            _, stderr = await process.communicate()
    except (TimeoutError, asyncio.CancelledError):
        process.kill()
        await process.wait()
        raise
    if process.returncode != 0:
        raise FfmpegError(
            f"ffmpeg exited {process.returncode}: {stderr[-STDERR_KEEP:].decode(errors='replace')}"
        )
    return stderr


def run_blocking(args: list[str], timeout: float) -> bytes:
    try:
        done = subprocess.run(_argv(args), capture_output=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired as exc:
        raise FfmpegError("ffmpeg timed out") from exc
    if done.returncode != 0:
        raise FfmpegError(
            f"ffmpeg exited {done.returncode}: {done.stderr[-STDERR_KEEP:].decode(errors='replace')}"
        )
    return done.stderr


def parse_probe(stderr: bytes) -> Probe:
    duration = 0.0
    if match := DURATION_RE.search(stderr):
        hours, minutes, seconds = match.groups()
        duration = int(hours) * 3600 + int(minutes) * 60 + float(seconds)
    width = height = 0
    if match := VIDEO_STREAM_RE.search(stderr):
        width, height = int(match.group(1)), int(match.group(2))
    return Probe(duration=round(duration, 3), width=width, height=height)


def frame_args(source: Path, target: Path, position: str | float) -> list[str]:
    """One PNG frame: `last` decodes the final second and keeps its last frame."""
    if position == "last":
        return ["-sseof", "-1", "-i", str(source), "-an", "-update", "1", "-f", "image2", str(target)]
    return [
        "-ss",
        f"{float(position):.3f}",
        "-i",
        str(source),
        "-an",
        "-frames:v",
        "1",
        "-f",
        "image2",
        str(target),
    ]


class TempWorkspace:
    """A private temp folder holding the input bytes; removed on exit."""

    def __init__(self, data: bytes, suffix: str = ".mp4") -> None:
        self._tmp = tempfile.TemporaryDirectory(prefix="ima2-ffmpeg-")
        self.dir = Path(self._tmp.name)
        self.input = self.dir / f"input{suffix}"
        self.input.write_bytes(data)

    def path(self, name: str) -> Path:
        return self.dir / name

    def close(self) -> None:
        self._tmp.cleanup()

    def __enter__(self) -> TempWorkspace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


async def probe(data: bytes, timeout: float = 30.0) -> Probe:
    """Duration and size of an MP4, read from ffmpeg's own report (`-f null` decodes nothing)."""
    work = await asyncio.to_thread(TempWorkspace, data)
    try:
        stderr = await run(
            ["-i", str(work.input), "-map", "0:v:0?", "-c", "copy", "-f", "null", "-"], timeout
        )
        return parse_probe(stderr)
    finally:
        await asyncio.to_thread(work.close)


async def extract_frame(data: bytes, position: str | float, timeout: float = 30.0) -> bytes:
    """A PNG of the frame at `position` seconds, or of the last frame (`"last"`)."""
    work = await asyncio.to_thread(TempWorkspace, data)
    try:
        target = work.path("frame.png")
        await run(frame_args(work.input, target, position), timeout)
        png = await asyncio.to_thread(_read_if_any, target)
        if not png:
            raise FfmpegError("ffmpeg wrote no frame")
        return png
    finally:
        await asyncio.to_thread(work.close)


async def trim_start(data: bytes, seconds: float, timeout: float = 60.0) -> bytes:
    """Drop the first `seconds` (storyboard lead-in), re-encoding H.264 CRF 18 and AAC."""
    work = await asyncio.to_thread(TempWorkspace, data)
    try:
        target = work.path("trimmed.mp4")
        args = ["-ss", f"{seconds:.3f}", "-i", str(work.input), "-c:v", "libx264", "-preset", "fast"]
        args += ["-crf", "18", "-c:a", "aac", "-b:a", "128k", "-avoid_negative_ts", "make_zero"]
        args += ["-movflags", "+faststart", str(target)]
        await run(args, timeout)
        out = await asyncio.to_thread(_read_if_any, target)
        if not out:
            raise FfmpegError("ffmpeg wrote no video")
        return out
    finally:
        await asyncio.to_thread(work.close)


def first_frame_blocking(source: Path, timeout: float = 30.0) -> bytes:
    """The first frame of a video file as PNG (thumbnails, on a worker thread)."""
    with tempfile.TemporaryDirectory(prefix="ima2-ffmpeg-") as tmp:
        target = Path(tmp) / "frame.png"
        run_blocking(frame_args(source, target, 0.0), timeout)
        png = _read_if_any(target)
        if not png:
            raise FfmpegError("ffmpeg wrote no frame")
        return png


def _read_if_any(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return b""
