"""The size mappers against the spec: Grok's table and custom-size rule, Gemini's ratios and tiers."""

from __future__ import annotations

import pytest
from image_testkit import CUSTOM, SPEC_TABLE

from ima2_image.providers.gemini_sizes import cost_usd, image_config
from ima2_image.providers.grok_sizes import map_size


@pytest.mark.parametrize(("size", "ratio", "resolution"), SPEC_TABLE + CUSTOM)
def test_grok_sizes(size: str, ratio: str, resolution: str) -> None:
    assert map_size(size) == {"aspect_ratio": ratio, "resolution": resolution}


@pytest.mark.parametrize("size", ["auto", "AUTO", "", None, "banana", "0x100", "grok:7:5:1k"])
def test_grok_auto_sends_only_the_ratio(size: str | None) -> None:
    assert map_size(size) == {"aspect_ratio": "auto"}


def test_grok_native_form() -> None:
    assert map_size("grok:16:9:2k") == {"aspect_ratio": "16:9", "resolution": "2k"}
    assert map_size("grok:19.5:9:1k") == {"aspect_ratio": "19.5:9", "resolution": "1k"}


@pytest.mark.parametrize(
    ("size", "model", "direct", "vertex"),
    [
        ("1024x1024", "nano-banana-2", ("ASPECT_RATIO_ONE_BY_ONE", "IMAGE_SIZE_ONE_K"), ("1:1", "1K")),
        ("512x512", "nano-banana-2", ("ASPECT_RATIO_ONE_BY_ONE", "IMAGE_SIZE_FIVE_TWELVE"), ("1:1", "512")),
        ("1536x1024", "nano-banana-2", ("ASPECT_RATIO_THREE_BY_TWO", "IMAGE_SIZE_TWO_K"), ("3:2", "2K")),
        ("3840x2160", "nano-banana-2", ("ASPECT_RATIO_SIXTEEN_BY_NINE", "IMAGE_SIZE_FOUR_K"), ("16:9", "4K")),
        (
            "2560x1080",
            "nano-banana-2",
            ("ASPECT_RATIO_TWENTY_ONE_BY_NINE", "IMAGE_SIZE_FOUR_K"),
            ("21:9", "4K"),
        ),
        ("1000x4000", "nano-banana-2", ("ASPECT_RATIO_ONE_BY_FOUR", "IMAGE_SIZE_FOUR_K"), ("1:4", "4K")),
        ("800x1000", "nano-banana-2", ("ASPECT_RATIO_FOUR_BY_FIVE", "IMAGE_SIZE_ONE_K"), ("4:5", "1K")),
        ("400x3200", "nano-banana-2", ("ASPECT_RATIO_ONE_BY_EIGHT", "IMAGE_SIZE_FOUR_K"), ("1:8", "4K")),
        # nano-banana-pro has no 512 tier: sent as 1K
        ("512x512", "nano-banana-pro", ("ASPECT_RATIO_ONE_BY_ONE", "IMAGE_SIZE_ONE_K"), ("1:1", "1K")),
    ],
)
def test_gemini_image_config(size: str, model: str, direct: tuple[str, str], vertex: tuple[str, str]) -> None:
    config = image_config(size, model)
    assert config is not None
    assert config.direct() == {"aspect_ratio": direct[0], "image_size": direct[1]}
    assert config.vertex() == {"aspectRatio": vertex[0], "imageSize": vertex[1]}


def test_gemini_auto_omits_the_config() -> None:
    assert image_config("auto", "nano-banana-2") is None
    assert image_config("", "nano-banana-2") is None


@pytest.mark.parametrize(
    ("model", "size", "usd"),
    [
        ("nano-banana-2", "512x512", 0.001),
        ("nano-banana-2", "1024x1024", 0.003),
        ("nano-banana-2", "2048x2048", 0.004),
        ("nano-banana-2", "4096x4096", 0.006),
        ("nano-banana-pro", "1024x1024", 0.007),
        ("nano-banana-pro", "2048x1152", 0.007),
        ("nano-banana-pro", "3840x2160", 0.013),
    ],
)
def test_gemini_cost(model: str, size: str, usd: float) -> None:
    assert cost_usd(model, image_config(size, model)) == usd
