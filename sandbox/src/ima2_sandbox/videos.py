"""Real MP4s made with the ffmpeg that imageio-ffmpeg ships: one Pillow frame per clip, looped
with libx264 at the requested resolution, aspect ratio and duration (few frames per second keeps
them small and fast to encode)."""

from __future__ import annotations

import asyncio
import math
import re
import tempfile
from pathlib import Path

from ima2_sandbox import images

FPS = 4
SHORT_EDGE = {"480p": 480, "720p": 720, "1080p": 1080}
RATIOS = ("1:1", "16:9", "9:16", "4:3", "3:4", "3:2", "2:3")
DURATION_RE = re.compile(rb"Duration:\s*(\d+):(\d{2}):(\d{2}(?:\.\d+)?)")
SIZE_RE = re.compile(rb"Video:[^\n]*?\s(\d{2,5})x(\d{2,5})[\s,\[]")


def nearest_ratio(width: int, height: int) -> str:
    """The supported aspect ratio closest to width:height (by log distance)."""
    if width <= 0 or height <= 0:
        return "16:9"
    wanted = math.log(width / height)

    def distance(ratio: str) -> float:
        left, _, right = ratio.partition(":")
        return abs(math.log(float(left) / float(right)) - wanted)

    return min(RATIOS, key=distance)


async def probe(data: bytes) -> tuple[float, int, int] | None:
    """(seconds, width, height) of an MP4 as ffmpeg reports it; None when it cannot be read."""
    with tempfile.TemporaryDirectory(prefix="ima2-sandbox-probe-") as tmp:
        source = Path(tmp) / "in.mp4"
        source.write_bytes(data)
        process = await asyncio.create_subprocess_exec(
            ffmpeg_exe(),
            "-hide_banner",
            "-nostdin",
            "-i",
            str(source),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        _, stderr = await process.communicate()
    duration = DURATION_RE.search(stderr)
    size = SIZE_RE.search(stderr)
    if duration is None or size is None:
        return None
    hours, minutes, seconds = duration.groups()
    return int(hours) * 3600 + int(minutes) * 60 + float(seconds), int(size.group(1)), int(size.group(2))


def frame_size(aspect_ratio: str, resolution: str = "480p") -> tuple[int, int]:
    """The clip's size: the resolution's short edge, the ratio's long edge; even (yuv420p)."""
    short = SHORT_EDGE.get(resolution, 480)
    left, _, right = (aspect_ratio or "16:9").partition(":")
    rw, rh = float(left), float(right)
    if rw >= rh:
        width, height = round(short * rw / rh), short
    else:
        width, height = short, round(short * rh / rw)
    return max(2, width - width % 2), max(2, height - height % 2)


def ffmpeg_exe() -> str:
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


async def make_mp4(prompt: str, aspect_ratio: str, seconds: float, resolution: str = "480p") -> bytes:
    width, height = frame_size(aspect_ratio, resolution)
    length = max(0.5, float(seconds))
    with tempfile.TemporaryDirectory(prefix="ima2-sandbox-video-") as tmp:
        still = Path(tmp) / "frame.png"
        out = Path(tmp) / "out.mp4"
        frame = images.render(prompt, width, height, "png")
        still.write_bytes(frame)
        process = await asyncio.create_subprocess_exec(
            ffmpeg_exe(),
            "-y",
            "-hide_banner",
            "-loglevel",
            "error",
            "-loop",
            "1",
            "-framerate",
            str(FPS),
            "-i",
            str(still),
            "-t",
            f"{length:.2f}",
            "-vf",
            f"scale={width}:{height}:flags=fast_bilinear,setsar=1",
            "-r",
            str(FPS),
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-tune",
            "stillimage",
            "-pix_fmt",
            "yuv420p",
            "-movflags",
            "+faststart",
            str(out),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        _stdout, stderr = await process.communicate()
        if process.returncode != 0 or not out.exists():
            raise RuntimeError(
                f"ffmpeg failed ({process.returncode}): {stderr.decode(errors='replace')[:200]}"
            )
        return out.read_bytes()


def looks_like_mp4(data: bytes) -> bool:
    return len(data) > 12 and data[4:8] == b"ftyp"
