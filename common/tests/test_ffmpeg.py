"""The ffmpeg helpers: probing, frames and trimming on a real clip made by the bundled ffmpeg."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from ima2_common import ffmpeg

STDERR = (
    b"Input #0, mov,mp4,m4a,3gp,3g2,mj2, from 'in.mp4':\n  Duration: 00:01:02.50, start: 0.000000, bitrate: 9 kb/s\n"
    b"  Stream #0:0[0x1](und): Video: h264 (High) (avc1 / 0x31637661), yuv420p(progressive), 852x480 [SAR 1:1], 4 fps\n"
)


def clip(seconds: float = 2.0, size: str = "320x180") -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "c.mp4"
        source = f"color=c=red:s={size}:d={seconds}:r=4"
        ffmpeg.run_blocking(
            ["-f", "lavfi", "-i", source, "-c:v", "libx264", "-pix_fmt", "yuv420p", str(out)], 60
        )
        return out.read_bytes()


def test_parse_probe() -> None:
    assert ffmpeg.parse_probe(STDERR) == ffmpeg.Probe(duration=62.5, width=852, height=480)
    assert ffmpeg.parse_probe(b"garbage") == ffmpeg.Probe(0.0, 0, 0)


async def test_probe_frames_and_trim() -> None:
    data = clip(2.0)
    probe = await ffmpeg.probe(data)
    assert abs(probe.duration - 2.0) < 0.3 and (probe.width, probe.height) == (320, 180)
    for position in ("last", 0.0, 1.2):
        png = await ffmpeg.extract_frame(data, position)
        assert png.startswith(b"\x89PNG")
    with pytest.raises(ffmpeg.FfmpegError):
        await ffmpeg.extract_frame(data, 30.0)  # past the end: no frame
    with pytest.raises(ffmpeg.FfmpegError):
        await ffmpeg.extract_frame(b"not a video", "last")
    trimmed = await ffmpeg.probe(await ffmpeg.trim_start(data, 1.0))
    assert abs(trimmed.duration - 1.0) < 0.3
