"""Thumbnails: `<base>.thumb.jpg`, 320 px wide, never enlarged, JPEG quality 70 (reference §2.2).

Inputs above 100 megapixels are refused before decoding. A video's thumbnail is taken from its
first frame with ffmpeg (imageio-ffmpeg), then sized like an image's.
"""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image, ImageOps

from ima2_common import ffmpeg, limits
from ima2_common.files import write_atomic
from ima2_library.media.mime import THUMB_SUFFIX, extension_of

MAX_INPUT_PIXELS = 100_000_000
RASTER_EXTENSIONS = ("png", "jpg", "jpeg", "webp")
VIDEO_EXTENSIONS = ("mp4",)
VIDEO_FRAME_TIMEOUT = 60.0


class ThumbnailError(Exception):
    pass


def thumb_name(filename: str) -> str:
    """`a.png` → `a.thumb.jpg`; a non-raster file keeps its name: `clip.mp4` → `clip.mp4.thumb.jpg`."""
    if extension_of(filename) in RASTER_EXTENSIONS:
        return filename.rsplit(".", 1)[0] + THUMB_SUFFIX
    return filename + THUMB_SUFFIX


def can_thumbnail(filename: str) -> bool:
    return extension_of(filename) in RASTER_EXTENSIONS + VIDEO_EXTENSIONS


def video_frame(path: Path) -> bytes:
    """The first frame of a video file as PNG (blocking: worker threads only)."""
    try:
        return ffmpeg.first_frame_blocking(path, VIDEO_FRAME_TIMEOUT)
    except (ffmpeg.FfmpegError, OSError) as exc:
        raise ThumbnailError(f"cannot read a video frame: {type(exc).__name__}") from exc


def render_thumbnail(source: bytes | Path) -> bytes:
    """The JPEG bytes of a thumbnail of `source` (image bytes or a path)."""
    handle = io.BytesIO(source) if isinstance(source, bytes | bytearray) else source
    try:
        with Image.open(handle) as image:
            width, height = image.size
            if width <= 0 or height <= 0 or width * height > MAX_INPUT_PIXELS:
                raise ThumbnailError(f"input of {width}x{height} exceeds the thumbnail limit")
            orientation = _orientation(image)
            swapped = orientation in (5, 6, 7, 8)
            shown_w, shown_h = (height, width) if swapped else (width, height)
            target_w = min(shown_w, limits.THUMB_WIDTH)
            target_h = max(1, round(shown_h * target_w / shown_w))
            # Let the JPEG decoder downscale by DCT where it can (much less work).
            image.draft("RGB", (target_h, target_w) if swapped else (target_w, target_h))
            image.load()
            # exif_transpose copies the whole image even when there is nothing to turn.
            frame = _flatten(ImageOps.exif_transpose(image) if orientation != 1 else image)
            if frame.size != (target_w, target_h):
                frame = frame.resize((target_w, target_h), Image.Resampling.LANCZOS, reducing_gap=1.0)
            out = io.BytesIO()
            frame.save(out, "JPEG", quality=limits.THUMB_QUALITY, optimize=True)
            return out.getvalue()
    except ThumbnailError:
        raise
    except Exception as exc:  # Pillow raises many types for bad input
        raise ThumbnailError(f"cannot render thumbnail: {type(exc).__name__}") from exc


def _orientation(image: Image.Image) -> int:
    try:
        return int(image.getexif().get(0x0112, 1))
    except Exception:
        return 1


def _flatten(image: Image.Image) -> Image.Image:
    """RGB for JPEG: transparent pixels are composited onto white."""
    if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    if image.mode != "RGB":
        return image.convert("RGB")
    return image


def write_thumbnail(generated_dir: Path, filename: str, source: bytes | Path | None = None) -> str:
    """Render and atomically write the thumbnail of `filename`; returns the thumbnail's name."""
    if not can_thumbnail(filename):
        raise ThumbnailError("no thumbnail for this media type yet")
    name = thumb_name(filename)
    if extension_of(filename) in VIDEO_EXTENSIONS:
        source = video_frame(generated_dir / filename)  # ffmpeg reads the stored file itself
    data = render_thumbnail(source if source is not None else generated_dir / filename)
    write_atomic(generated_dir / name, data)
    return name
