"""ima2 size → Gemini image config, per auth path, and the spec's cost per model and tier.

The ratio is the nearest (by absolute difference of width/height) of the 14 Gemini ratios; the tier
comes from the long edge: ≤512 → 512, ≤1024 → 1K, ≤2048 → 2K, else 4K. `auto` (or no size, or an
unparseable one) omits the image config so the model decides.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ima2_common import catalog

RATIOS: dict[str, tuple[float, str]] = {
    "1:1": (1.0, "ASPECT_RATIO_ONE_BY_ONE"),
    "2:3": (2 / 3, "ASPECT_RATIO_TWO_BY_THREE"),
    "3:2": (3 / 2, "ASPECT_RATIO_THREE_BY_TWO"),
    "3:4": (3 / 4, "ASPECT_RATIO_THREE_BY_FOUR"),
    "4:3": (4 / 3, "ASPECT_RATIO_FOUR_BY_THREE"),
    "4:5": (4 / 5, "ASPECT_RATIO_FOUR_BY_FIVE"),
    "5:4": (5 / 4, "ASPECT_RATIO_FIVE_BY_FOUR"),
    "9:16": (9 / 16, "ASPECT_RATIO_NINE_BY_SIXTEEN"),
    "16:9": (16 / 9, "ASPECT_RATIO_SIXTEEN_BY_NINE"),
    "21:9": (21 / 9, "ASPECT_RATIO_TWENTY_ONE_BY_NINE"),
    "1:8": (1 / 8, "ASPECT_RATIO_ONE_BY_EIGHT"),
    "8:1": (8.0, "ASPECT_RATIO_EIGHT_BY_ONE"),
    "1:4": (1 / 4, "ASPECT_RATIO_ONE_BY_FOUR"),
    "4:1": (4.0, "ASPECT_RATIO_FOUR_BY_ONE"),
}
TIERS: dict[str, str] = {
    "512": "IMAGE_SIZE_FIVE_TWELVE",
    "1K": "IMAGE_SIZE_ONE_K",
    "2K": "IMAGE_SIZE_TWO_K",
    "4K": "IMAGE_SIZE_FOUR_K",
}
# USD per image (spec). nano-banana-pro has no 512 tier: a 512 request is sent (and billed) as 1K.
COST_USD: dict[str, dict[str, float]] = {
    "nano-banana-2": {"512": 0.001, "1K": 0.003, "2K": 0.004, "4K": 0.006},
    "nano-banana-pro": {"1K": 0.007, "2K": 0.007, "4K": 0.013},
}
DEFAULT_TIER = "1K"  # what the model picks when the config is omitted (used for the cost)
SIZE_RE = re.compile(r"^\s*(\d{1,5})\s*[xX]\s*(\d{1,5})\s*$")


@dataclass(frozen=True)
class ImageConfig:
    ratio: str  # "16:9"
    tier: str  # "512" | "1K" | "2K" | "4K"

    def direct(self) -> dict[str, Any]:
        """generation_config.response_format.image on the direct API (enum names)."""
        return {"aspect_ratio": RATIOS[self.ratio][1], "image_size": TIERS[self.tier]}

    def vertex(self) -> dict[str, Any]:
        """generationConfig.imageConfig on Vertex AI (plain strings)."""
        return {"aspectRatio": self.ratio, "imageSize": self.tier}


def model_id(model: str) -> str:
    return catalog.GEMINI_MODELS.get(model, model)


def tier_for(long_edge: int) -> str:
    if long_edge <= 512:
        return "512"
    if long_edge <= 1024:
        return "1K"
    return "2K" if long_edge <= 2048 else "4K"


def image_config(size: str | None, model: str) -> ImageConfig | None:
    match = SIZE_RE.match(size or "")
    if not match:
        return None  # auto, empty or unparseable: the model decides
    width, height = int(match.group(1)), int(match.group(2))
    if width <= 0 or height <= 0:
        return None
    ratio = min(RATIOS, key=lambda name: abs(RATIOS[name][0] - width / height))
    tier = tier_for(max(width, height))
    if tier not in COST_USD.get(model, TIERS):
        tier = DEFAULT_TIER
    return ImageConfig(ratio, tier)


def cost_usd(model: str, config: ImageConfig | None) -> float | None:
    prices = COST_USD.get(model)
    if prices is None:
        return None
    return prices.get(config.tier if config else DEFAULT_TIER)
