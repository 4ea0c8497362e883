"""Helpers for the provider tests: a credential source, the sandbox control API, calls and images."""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass, field
from typing import Any

import httpx
from PIL import Image

from ima2_image.providers.base import GeneratedImage, ImageCall
from ima2_image.providers.credentials import Credential

# The spec's "Grok size mapping" table, row by row.
SPEC_TABLE = [
    ("1024x1024", "1:1", "1k"),
    ("1536x1024", "3:2", "1k"),
    ("1024x1536", "2:3", "1k"),
    ("1360x1024", "4:3", "1k"),
    ("1024x1360", "3:4", "1k"),
    ("1824x1024", "16:9", "1k"),
    ("1024x1824", "9:16", "1k"),
    ("2048x2048", "1:1", "2k"),
    ("2048x1152", "16:9", "2k"),
    ("1152x2048", "9:16", "2k"),
    ("3840x2160", "16:9", "2k"),
    ("2160x3840", "9:16", "2k"),
]
# Custom sizes: nearest supported ratio by |log ratio|; 2k from a 2048 edge or 2,000,000 pixels.
CUSTOM = [
    ("1000x1000", "1:1", "1k"),
    ("1600x900", "16:9", "1k"),
    ("1920x1080", "16:9", "2k"),  # 2,073,600 pixels
    ("1000x2000", "1:2", "2k"),  # exactly 2,000,000 pixels
    ("2560x1440", "16:9", "2k"),
    ("800x1000", "3:4", "1k"),  # 4:5 is not an xAI ratio
    ("2100x900", "20:9", "2k"),
    ("900x1950", "9:19.5", "1k"),
    ("1200x1150", "1:1", "1k"),
    ("4000x1000", "20:9", "2k"),
    ("640x480", "4:3", "1k"),
]


@dataclass
class Creds:
    """The CredentialSource a provider would get from svc-auth, as plain data."""

    values: dict[str, Credential] = field(default_factory=dict)
    refreshed: dict[str, Credential] = field(default_factory=dict)  # what RefreshCredential returns
    gets: list[str] = field(default_factory=list)
    refreshes: list[str] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)  # the secrets the upstream refused

    def set(self, provider: str, secret: str, **extra: Any) -> Creds:
        self.values[provider] = Credential(secret=secret, source="test", **extra)
        return self

    async def get(self, provider: str) -> Credential:
        self.gets.append(provider)
        return self.values.get(provider, Credential())

    async def refresh(self, provider: str, rejected: str = "") -> Credential:
        self.refreshes.append(provider)
        self.rejected.append(rejected)
        fresh = self.refreshed.get(provider, Credential())
        if fresh.secret:
            self.values[provider] = fresh
        return fresh


class SandboxControl:
    def __init__(self, client: httpx.AsyncClient, url: str) -> None:
        self.client = client
        self.url = url

    async def reset(self) -> None:
        (await self.client.post("/_sandbox/reset")).raise_for_status()

    async def fault(self, upstream: str, path: str = "", **fields: Any) -> None:
        response = await self.client.post(
            "/_sandbox/faults", json={"upstream": upstream, "path": path, **fields}
        )
        assert response.status_code == 201, response.text

    async def settings(self, **values: Any) -> None:
        (await self.client.put("/_sandbox/settings", json=values)).raise_for_status()

    async def requests(self, upstream: str = "", path: str = "") -> list[dict[str, Any]]:
        response = await self.client.get("/_sandbox/requests", params={"upstream": upstream, "path": path})
        requests: list[dict[str, Any]] = response.json()["requests"]
        return requests


def make_call(**overrides: Any) -> ImageCall:
    values: dict[str, Any] = {
        "prompt": "a red fox in fresh snow",
        "model": "",
        "quality": "medium",
        "size": "1024x1024",
        "format": "png",
        "moderation": "low",
        "reasoning_effort": "low",
    }
    values.update(overrides)
    return ImageCall(**values)


def image_b64(
    fmt: str = "PNG", size: tuple[int, int] = (64, 48), color: str = "teal", data_url: bool = False
) -> str:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, fmt)
    encoded = base64.b64encode(buffer.getvalue()).decode()
    mime = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp"}[fmt]
    return f"data:{mime};base64,{encoded}" if data_url else encoded


def dimensions(data: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(data)) as image:
        return image.size


class Collected:
    """on_image / on_partial callbacks that remember what they were given."""

    def __init__(self) -> None:
        self.images: list[tuple[int, GeneratedImage]] = []
        self.partials: list[tuple[int, bytes]] = []

    async def on_image(self, image: GeneratedImage, index: int) -> None:
        self.images.append((index, image))

    async def on_partial(self, data: bytes, mime: str, index: int) -> None:
        assert mime == "image/png" and data.startswith(b"\x89PNG")
        self.partials.append((index, data))
