"""ima2 size → xAI `aspect_ratio` / `resolution` (xAI takes no OpenAI-style `size`).

The presets are the spec's table. `grok:<ratio>:<1k|2k>` is taken as is. Any other `WxH` goes to
the closest supported ratio by |log(ratio)| and uses 2k when the long edge is at least 2048 or the
image has at least 2,000,000 pixels, else 1k. `auto`, empty or unparseable input sends only
`aspect_ratio: "auto"` (no resolution).
"""

from __future__ import annotations

import math
import re

PRESETS: dict[str, tuple[str, str]] = {
    "1024x1024": ("1:1", "1k"),
    "1536x1024": ("3:2", "1k"),
    "1024x1536": ("2:3", "1k"),
    "1360x1024": ("4:3", "1k"),
    "1024x1360": ("3:4", "1k"),
    "1824x1024": ("16:9", "1k"),
    "1024x1824": ("9:16", "1k"),
    "2048x2048": ("1:1", "2k"),
    "2048x1152": ("16:9", "2k"),
    "1152x2048": ("9:16", "2k"),
    "3840x2160": ("16:9", "2k"),
    "2160x3840": ("9:16", "2k"),
}
# The ratios a custom size may snap to (xAI also accepts these natively).
RATIOS: dict[str, float] = {
    "1:1": 1.0,
    "16:9": 16 / 9,
    "9:16": 9 / 16,
    "4:3": 4 / 3,
    "3:4": 3 / 4,
    "3:2": 3 / 2,
    "2:3": 2 / 3,
    "2:1": 2.0,
    "1:2": 0.5,
    "19.5:9": 19.5 / 9,
    "9:19.5": 9 / 19.5,
    "20:9": 20 / 9,
    "9:20": 9 / 20,
}
RESOLUTIONS = ("1k", "2k")
TWO_K_EDGE = 2048
TWO_K_PIXELS = 2_000_000
SIZE_RE = re.compile(r"^\s*(\d{1,5})\s*[xX]\s*(\d{1,5})\s*$")
AUTO: dict[str, str] = {"aspect_ratio": "auto"}


def nearest_ratio(width: int, height: int) -> str:
    target = math.log(width / height)
    return min(RATIOS, key=lambda name: abs(math.log(RATIOS[name]) - target))


def resolution_for(width: int, height: int) -> str:
    return "2k" if max(width, height) >= TWO_K_EDGE or width * height >= TWO_K_PIXELS else "1k"


def map_size(size: str | None) -> dict[str, str]:
    """The xAI image parameters for an ima2 size: {"aspect_ratio", "resolution"?}."""
    value = (size or "").strip()
    if not value or value.lower() == "auto":
        return dict(AUTO)
    preset = PRESETS.get(value.lower())
    if preset:
        return {"aspect_ratio": preset[0], "resolution": preset[1]}
    if value.lower().startswith("grok:"):
        parts = value.split(":")
        # grok:<a>:<b>:<res> — the ratio itself contains a colon
        if len(parts) == 4 and f"{parts[1]}:{parts[2]}" in RATIOS and parts[3].lower() in RESOLUTIONS:
            return {"aspect_ratio": f"{parts[1]}:{parts[2]}", "resolution": parts[3].lower()}
        return dict(AUTO)
    match = SIZE_RE.match(value)
    if not match:
        return dict(AUTO)
    width, height = int(match.group(1)), int(match.group(2))
    if width <= 0 or height <= 0:
        return dict(AUTO)
    return {"aspect_ratio": nearest_ratio(width, height), "resolution": resolution_for(width, height)}
