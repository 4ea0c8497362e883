"""What every image provider implements, and the values passed to and from it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

PartialCallback = Callable[[str, int], Awaitable[None]]  # (data URL, index)


@dataclass
class ImageCall:
    """One upstream generation: the normalized request plus what the provider needs at call time."""

    prompt: str
    model: str
    quality: str
    size: str
    format: str
    moderation: str
    reasoning_effort: str
    references: list[str] = field(default_factory=list)  # base64 or data URLs, parent image first
    mask: str | None = None
    edit: bool = False
    web_search: bool = True
    prompt_mode: str = "auto"
    max_images: int = 1
    on_partial: PartialCallback | None = None


@dataclass
class GeneratedImage:
    data: bytes
    mime: str
    revised_prompt: str = ""
    provider_url: str | None = None


@dataclass
class ProviderResult:
    images: list[GeneratedImage]
    usage: dict[str, Any] = field(default_factory=dict)
    web_search_calls: int = 0
    warnings: list[str] = field(default_factory=list)
    retry_kind: str | None = None


class ImageProvider(Protocol):
    name: str

    async def check_ready(self) -> None:
        """Raise the provider's credential error before anything goes upstream."""

    async def generate(self, call: ImageCall) -> ProviderResult: ...
