"""Real (tiny) MP4s: one Pillow frame looped with libx264 by the ffmpeg that imageio-ffmpeg ships.

Files stay small and fast to make: at most MAX_SECONDS long and MAX_EDGE pixels on the long
edge whatever was asked for; the API still reports the requested duration.
"""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

from ima2_sandbox import images

MAX_SECONDS = 2.0
MAX_EDGE = 320
FPS = 8


def frame_size(aspect_ratio: str) -> tuple[int, int]:
    """Even dimensions (yuv420p needs them) with MAX_EDGE on the long edge."""
    width, height = images.ratio_dims(aspect_ratio or "16:9", MAX_EDGE)
    return max(2, width - width % 2), max(2, height - height % 2)


def ffmpeg_exe() -> str:
    import imageio_ffmpeg

    exe: str = imageio_ffmpeg.get_ffmpeg_exe()
    return exe


async def make_mp4(prompt: str, aspect_ratio: str, seconds: float) -> bytes:
    width, height = frame_size(aspect_ratio)
    length = max(0.5, min(MAX_SECONDS, seconds))
    with tempfile.TemporaryDirectory(prefix="ima2-sandbox-video-") as tmp:
        still = Path(tmp) / "frame.png"
        out = Path(tmp) / "out.mp4"
        still.write_bytes(images.render(prompt, width, height, "png"))
        process = await asyncio.create_subprocess_exec(
            ffmpeg_exe(),
            "-y",
            "-hide_banner",
            "-loglevel",
            "error",
            "-loop",
            "1",
            "-i",
            str(still),
            "-t",
            f"{length:.2f}",
            "-r",
            str(FPS),
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
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
