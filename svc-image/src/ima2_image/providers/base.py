"""What every image provider implements, and the values passed to and from it."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

PartialCallback = Callable[[bytes, str, int], Awaitable[None]]  # (image bytes, mime, index)
ImageCallback = Callable[["GeneratedImage", int], Awaitable[None]]  # (finished image, index)


T = TypeVar("T")


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
    count: int = 1  # independent images wanted (classic n); the provider keeps partial successes
    max_images: int = 1  # images one upstream call may return (multimode)
    on_partial: PartialCallback | None = None
    direct_edit: bool = False  # /api/edit: Grok goes straight to /v1/images/edits (no search, no planner)
    # Grok planner model chosen in /api/config/grok-planner (None: the provider's default).
    planner_model: str | None = None
    # Called as each final image is ready, before generate() returns (multimode saves each one at
    # once, so a sequence that times out keeps the images already made). Optional for providers.
    on_image: ImageCallback | None = None


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
    failures: list[Exception] = field(default_factory=list)  # attempts that failed when count > 1


class ImageProvider(Protocol):
    name: str

    async def check_ready(self) -> None:
        """Raise the provider's credential error before anything goes upstream."""

    async def generate(self, call: ImageCall) -> ProviderResult:
        """Produce `call.count` images (or up to `call.max_images` for multimode).

        Raise the documented Ima2Error when nothing was produced; with count > 1 keep the
        successes and list the failed attempts in `failures`."""
        ...


async def gather_attempts(attempts: Iterable[Awaitable[T]]) -> tuple[list[T], list[Exception]]:
    """Run attempts together and keep what succeeded and what failed; a cancel still cancels."""
    outcomes = await asyncio.gather(*attempts, return_exceptions=True)
    for outcome in outcomes:
        if isinstance(outcome, BaseException) and not isinstance(outcome, Exception):
            raise outcome
    successes = [o for o in outcomes if not isinstance(o, BaseException)]
    return successes, [o for o in outcomes if isinstance(o, Exception)]
