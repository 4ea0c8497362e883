"""Image header parsing used by the edit-mask checks (PNG IHDR, JPEG SOF, WebP VP8/VP8L/VP8X)."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from ima2_common.media import image_size, png_info


def encode(fmt: str, mode: str, size: tuple[int, int] = (321, 123), /, **options: bool) -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size).save(buffer, fmt, **options)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("mode", "color_type", "alpha"), [("RGBA", 6, True), ("LA", 4, True), ("RGB", 2, False), ("P", 3, False)]
)
def test_png_info_reads_ihdr(mode: str, color_type: int, alpha: bool) -> None:
    info = png_info(encode("PNG", mode))
    assert info is not None and (info.width, info.height) == (321, 123)
    assert info.color_type == color_type and info.has_alpha is alpha


def test_png_info_refuses_other_bytes() -> None:
    assert png_info(encode("JPEG", "RGB")) is None
    assert png_info(b"\x89PNG\r\n\x1a\n" + b"\0" * 32) is None  # no valid IHDR
    assert png_info(b"") is None


@pytest.mark.parametrize(
    ("fmt", "mode", "options"),
    [
        ("PNG", "RGB", {}),
        ("JPEG", "RGB", {}),
        ("JPEG", "RGB", {"progressive": True}),
        ("WEBP", "RGB", {}),
        ("WEBP", "RGB", {"lossless": True}),
        ("WEBP", "RGBA", {}),
    ],
)
def test_image_size_of_each_format(fmt: str, mode: str, options: dict[str, bool]) -> None:
    assert image_size(encode(fmt, mode, **options)) == (321, 123)


def test_image_size_of_garbage() -> None:
    assert image_size(b"GIF89a....") is None
    assert image_size(b"\xff\xd8\xff") is None
