"""Deterministic real images made with Pillow: the same request always gives the same bytes.

The background colour comes from a hash of the prompt and the first ~80 characters of the
prompt are drawn on it. Pixel sizes are capped at MAX_EDGE on the long edge (ratio kept) so
that a "4K" request stays fast; the requested size is still what the API reports.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import json
import os
import re
import textwrap
from functools import lru_cache

from PIL import Image, ImageDraw, ImageFilter, ImageFont

MAX_EDGE = 2048
_INSTRUCTION_VERBS = {"generate", "edit", "create", "make", "draw", "render"}


def subject_of(text: str) -> str:
    """What an image model draws from an instruction-wrapped prompt: the subject, not the wrapping.

    A `Prompt: "<json string>"` line (a CLI contract) wins; otherwise a leading imperative clause
    ("Generate an image: ...") and sentences asking for research are dropped.
    """
    for line in text.splitlines():
        if line.startswith("Prompt:"):
            raw = line[len("Prompt:") :].strip()
            try:
                value = json.loads(raw)
            except ValueError:
                value = raw
            return str(value).strip() or "an image"
    flat = " ".join(text.split())
    head, sep, rest = flat.partition(": ")
    words = head.split()
    if sep and words and len(words) <= 10 and words[0].lower() in _INSTRUCTION_VERBS:
        flat = rest
    # our research request follows the prompt as its own sentence, also after an unpunctuated prompt
    sentences = re.split(r"(?<=[.!?])\s+|\s+(?=Research the subject)", flat)
    kept = [sentence for sentence in sentences if not sentence.lower().startswith("research ")]
    return " ".join(kept).strip() or "an image"


MIN_EDGE = 16
SIZE_RE = re.compile(r"^(\d{1,5})x(\d{1,5})$")
FORMATS = {
    "png": ("PNG", "image/png"),
    "jpeg": ("JPEG", "image/jpeg"),
    "jpg": ("JPEG", "image/jpeg"),
    "webp": ("WEBP", "image/webp"),
}
DATA_URL_RE = re.compile(r"^data:([\w/+.-]+);base64,(.*)$", re.DOTALL)


def colour_for(prompt: str) -> tuple[int, int, int]:
    digest = hashlib.sha256(prompt.encode("utf-8")).digest()
    return digest[0], digest[1], digest[2]


def parse_size(size: str | None) -> tuple[int, int] | None:
    """ "WxH" -> (W, H); "auto"/empty -> 1024x1024; anything else -> None."""
    if not size or size == "auto":
        return 1024, 1024
    match = SIZE_RE.match(size.strip())
    if not match:
        return None
    width, height = int(match.group(1)), int(match.group(2))
    if not (MIN_EDGE <= width <= 8192 and MIN_EDGE <= height <= 8192):
        return None
    return width, height


def ratio_dims(ratio: str, long_edge: int) -> tuple[int, int]:
    """ "16:9" with a long edge of 1024 -> (1024, 576)."""
    left, _, right = ratio.partition(":")
    rw, rh = float(left), float(right)
    if rw >= rh:
        return long_edge, max(1, round(long_edge * rh / rw))
    return max(1, round(long_edge * rw / rh)), long_edge


def capped(width: int, height: int, max_edge: int = MAX_EDGE) -> tuple[int, int]:
    longest = max(width, height)
    if longest <= max_edge:
        return width, height
    scale = max_edge / longest
    return max(1, round(width * scale)), max(1, round(height * scale))


def _font(size: int) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    try:
        return ImageFont.load_default(size=size)
    except (TypeError, OSError):  # pragma: no cover - Pillow without FreeType
        return ImageFont.load_default()


def _draw(prompt: str, width: int, height: int, transparent: bool) -> Image.Image:
    r, g, b = colour_for(prompt)
    mode = "RGBA" if transparent else "RGB"
    background = (r, g, b, 0) if transparent else (r, g, b)
    image = Image.new(mode, (width, height), background)
    draw = ImageDraw.Draw(image)
    accent = (255 - r, 255 - g, 255 - b) + ((255,) if transparent else ())
    shortest = min(width, height)
    draw.rectangle((0, 0, width - 1, height - 1), outline=accent, width=max(2, shortest // 64))
    draw.line((0, height, width, 0), fill=accent, width=max(2, shortest // 40))
    ink = (0, 0, 0) if (r * 299 + g * 587 + b * 114) / 1000 > 128 else (255, 255, 255)
    ink_fill = ink + ((255,) if transparent else ())
    font_size = max(8, shortest // 20)
    chars_per_line = max(8, int(width / (font_size * 0.6)))
    text = prompt.strip()[:80] or "(empty prompt)"
    lines = textwrap.wrap(text, chars_per_line)[:4]
    y = max(4, shortest // 16)
    for line in lines:
        draw.text((max(4, shortest // 16), y), line, font=_font(font_size), fill=ink_fill)
        y += int(font_size * 1.3)
    return image


def encode(image: Image.Image, fmt: str) -> bytes:
    pil_format = FORMATS.get(fmt, FORMATS["png"])[0]
    if pil_format == "JPEG" and image.mode != "RGB":
        image = image.convert("RGB")
    out = io.BytesIO()
    if pil_format == "PNG":
        image.save(out, "PNG", compress_level=1)
    elif pil_format == "JPEG":
        image.save(out, "JPEG", quality=85)
    else:
        image.save(out, "WEBP", quality=80, method=0)
    return out.getvalue()


@lru_cache(maxsize=32)
def render(prompt: str, width: int, height: int, fmt: str = "png", transparent: bool = False) -> bytes:
    """The image for `prompt` at width x height (capped at MAX_EDGE) in png, jpeg or webp."""
    width, height = capped(width, height)
    return encode(_draw(prompt, width, height, transparent and fmt != "jpeg"), fmt)


def render_noise(width: int, height: int, fmt: str = "png") -> bytes:
    """Incompressible random pixels at width x height (capped at MAX_EDGE): the largest real images."""
    width, height = capped(width, height)
    return encode(Image.frombytes("RGB", (width, height), os.urandom(width * height * 3)), fmt)


def render_partial(prompt: str, width: int, height: int, index: int, total: int) -> bytes:
    """A small blurred PNG preview; later partials are sharper."""
    small_w, small_h = capped(width, height, 256)
    image = _draw(prompt, small_w, small_h, False)
    radius = max(0.5, 6.0 * (total - index) / max(total, 1))
    return encode(image.filter(ImageFilter.GaussianBlur(radius)), "png")


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def mime_for(fmt: str) -> str:
    return FORMATS.get(fmt, FORMATS["png"])[1]


def sniff(data: bytes) -> str | None:
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    return None


def decode_b64(payload: str) -> bytes | None:
    cleaned = re.sub(r"\s+", "", payload)
    try:
        return base64.b64decode(cleaned + "=" * (-len(cleaned) % 4), validate=True)
    except (binascii.Error, ValueError):
        try:
            return base64.urlsafe_b64decode(cleaned + "=" * (-len(cleaned) % 4))
        except (binascii.Error, ValueError):
            return None


def decode_data_url(url: str) -> tuple[str, bytes] | None:
    """(declared mime, bytes) of a base64 data URL, or None when it is not one or does not decode."""
    match = DATA_URL_RE.match(url)
    if not match:
        return None
    data = decode_b64(match.group(2))
    return (match.group(1), data) if data else None


def image_size(data: bytes) -> tuple[int, int] | None:
    try:
        with Image.open(io.BytesIO(data)) as image:
            return image.size
    except (OSError, ValueError, Image.DecompressionBombError):
        return None
