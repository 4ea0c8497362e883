"""Providers, models and option values the API accepts (the /api/capabilities source)."""

from __future__ import annotations

IMAGE_PROVIDERS = ("oauth", "api", "grok", "grok-api", "gemini-api", "agy")
PROVIDER_ALIASES = {"auto": "oauth", "": "oauth"}
VIDEO_PROVIDERS = ("grok", "grok-api")

QUALITIES = ("low", "medium", "high")
MODERATIONS = ("auto", "low")
FORMATS = ("png", "jpeg", "webp")
REASONING_EFFORTS = ("none", "low", "medium", "high", "xhigh")
PROMPT_MODES = ("auto", "direct")

OPENAI_IMAGE_MODELS = ("gpt-5.5", "gpt-5.4", "gpt-5.4-mini")
OPENAI_DEFAULT_MODEL = "gpt-5.4-mini"
OPENAI_NON_IMAGE_MODELS = ("gpt-5.3-codex-spark",)
GROK_IMAGE_MODELS = ("grok-imagine-image", "grok-imagine-image-quality")
GROK_DEFAULT_IMAGE_MODEL = "grok-imagine-image"
GROK_PLANNER_MODELS = ("grok-4.3", "grok-4")
GROK_DEFAULT_PLANNER_MODEL = "grok-4.3"
GEMINI_MODELS = {"nano-banana-2": "gemini-3.1-flash-image", "nano-banana-pro": "gemini-3-pro-image"}
GEMINI_DEFAULT_MODEL = "nano-banana-2"
AGY_MODEL = "nano-banana-2"
VIDEO_MODELS = ("grok-imagine-video", "grok-imagine-video-1.5-preview")
GROK_VIDEO_BASE_MODEL = "grok-imagine-video"  # the default, the 400 fallback, the only edit/extend model
VIDEO_MODEL_ALIASES = {"grok-imagine-video-1.5": "grok-imagine-video-1.5-preview"}
VIDEO_RESOLUTIONS = ("480p", "720p")
VIDEO_DEFAULT_RESOLUTION = "480p"
VIDEO_ASPECT_RATIOS = ("1:1", "16:9", "9:16", "4:3", "3:4", "3:2", "2:3", "auto")
VIDEO_DEFAULT_ASPECT_RATIO = "auto"
VIDEO_MODES = ("text-to-video", "image-to-video", "reference-to-video")
# The Grok planner model chosen at runtime lives under this key of the JetStream config bucket;
# images and video read the same value.
GROK_PLANNER_CONFIG_KEY = "grok.plannerModel"

DEFAULTS = {
    "quality": "medium",
    "size": "1024x1024",
    "format": "png",
    "moderation": "low",
    "provider": "oauth",
    "reasoningEffort": "low",
}

MIME_BY_FORMAT = {"png": "image/png", "jpeg": "image/jpeg", "webp": "image/webp"}


def default_model(provider: str) -> str:
    if provider in ("grok", "grok-api"):
        return GROK_DEFAULT_IMAGE_MODEL
    if provider == "gemini-api":
        return GEMINI_DEFAULT_MODEL
    if provider == "agy":
        return AGY_MODEL
    return OPENAI_DEFAULT_MODEL
