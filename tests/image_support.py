"""Helpers for the image-route tests: request bodies, SSE on the POST, stored files and their
embedded metadata, history rows and what reached the sandbox upstreams."""

from __future__ import annotations

import asyncio
import base64
import html
import io
import json
import re
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx
from PIL import Image

from ima2_common.media import strip_data_url
from ima2_common.net import free_port
from tests.sse import Frame, LiveEvents, frames
from tests.stackctl import RunningStack

PROVIDERS = ("api", "oauth", "grok", "grok-api", "gemini-api", "agy")
# Where each provider's calls land in the sandbox request log.
UPSTREAMS = {
    "api": ("openai",),
    "oauth": ("oauth", "codex"),
    "grok": ("progrok", "xai"),
    "grok-api": ("xai",),
    "gemini-api": ("gemini", "vertex"),
    "agy": (),
}
XMP_RE = re.compile(rb'ima2:GenerationMetadata="([^"]*)"')
TERMINAL = ("done", "error")


def rid(prefix: str = "req_img") -> str:
    return f"{prefix}_{uuid.uuid4().hex[:12]}"


def png_bytes(width: int = 8, height: int = 8, mode: str = "RGBA", color: Any = (200, 30, 30, 255)) -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, (width, height), color if mode != "RGB" else color[:3]).save(buffer, "PNG")
    return buffer.getvalue()


def jpeg_bytes(width: int = 8, height: int = 8, color: tuple[int, int, int] = (40, 200, 90)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def data_url(data: bytes, mime: str = "image/png") -> str:
    return f"data:{mime};base64,{b64(data)}"


def decode_image(value: str) -> Image.Image:
    _, payload = strip_data_url(value)
    return Image.open(io.BytesIO(base64.b64decode(payload)))


def xmp_metadata(data: bytes) -> dict[str, Any]:
    """The ima2 generation metadata embedded in an image file (reference §2.3)."""
    match = XMP_RE.search(data)
    assert match, "no ima2 XMP packet in the file"
    packet: dict[str, Any] = json.loads(html.unescape(match.group(1).decode()))
    return packet


@dataclass
class Stored:
    path: Path
    data: bytes
    sidecar: dict[str, Any]
    xmp: dict[str, Any]


def stored(stack: RunningStack, filename: str) -> Stored:
    folder = stack.home / "generated"
    data = (folder / filename).read_bytes()
    sidecar = json.loads((folder / f"{filename}.json").read_text())
    return Stored(folder / filename, data, sidecar, xmp_metadata(data))


def files_of_request(stack: RunningStack, request_id: str) -> list[str]:
    """Every media file on disk whose sidecar or embedded metadata names this request."""
    found = []
    for path in (stack.home / "generated").iterdir():
        if not path.is_file() or path.suffix == ".json" or path.name.endswith(".thumb.jpg"):
            continue
        sidecar = path.with_name(path.name + ".json")
        text = sidecar.read_text(errors="replace") if sidecar.exists() else ""
        if request_id in text or request_id.encode() in path.read_bytes():
            found.append(path.name)
    return found


async def history_rows(client: httpx.AsyncClient, **params: Any) -> list[dict[str, Any]]:
    response = await client.get("/api/history", params={"limit": 500, **params})
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def is_status_probe(call: dict[str, Any]) -> bool:
    """Every running stack's launcher asks the OAuth and Grok model lists every few seconds (the
    status in server.json), into the sandbox the tests share: not a call the request under test made."""
    return call["method"] == "GET" and str(call["path"]).endswith("/models")


async def calls_under_test(sandbox: httpx.AsyncClient, **params: str) -> list[dict[str, Any]]:
    """What reached any upstream since the log was last cleared, the status probes aside."""
    calls: list[dict[str, Any]] = (await sandbox.get("/_sandbox/requests", params=params)).json()["requests"]
    return [c for c in calls if not is_status_probe(c)]


async def upstream_calls(sandbox: httpx.AsyncClient, provider: str, path: str = "") -> list[dict[str, Any]]:
    response = await sandbox.get("/_sandbox/requests", params={"path": path} if path else {})
    calls = response.json()["requests"]
    return [c for c in calls if c["upstream"] in UPSTREAMS[provider]]


@dataclass
class SseResult:
    status: int
    headers: httpx.Headers
    frames: list[Frame]
    body: Any = None  # a JSON body when the answer was not a stream

    def events(self, name: str) -> list[Frame]:
        return [f for f in self.frames if f.event == name]

    @property
    def last(self) -> Frame:
        return [f for f in self.frames if f.event][-1]


async def sse_post(
    client: httpx.AsyncClient, path: str, body: dict[str, Any], timeout: float = 60.0
) -> SseResult:
    """POST with `Accept: text/event-stream`; read frames until done/error (or the stream ends)."""
    headers = {"Accept": "text/event-stream"}
    async with client.stream("POST", path, json=body, headers=headers, timeout=timeout) as response:
        if not response.headers.get("content-type", "").startswith("text/event-stream"):
            await response.aread()
            return SseResult(response.status_code, response.headers, [], response.json())
        got: list[Frame] = []

        async def read() -> None:
            async for frame in frames(response):
                got.append(frame)
                if frame.event in TERMINAL:
                    return

        await asyncio.wait_for(read(), timeout)
        return SseResult(response.status_code, response.headers, got)


class EventWatch:
    """An open /api/events stream; collects one job's frames until its terminal event."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client
        self._live: LiveEvents
        self._frames: list[Frame] = []
        self._arrived = asyncio.Event()
        self._reader: asyncio.Task[None] | None = None

    async def __aenter__(self) -> EventWatch:
        self._live = LiveEvents(self.client)
        await self._live.__aenter__()  # connected: the job's events cannot be missed
        assert self._live.response is not None and self._live.response.status_code == 200
        self._reader = asyncio.create_task(self._read())
        return self

    async def _read(self) -> None:
        assert self._live.frames is not None
        async for frame in self._live.frames:
            self._frames.append(frame)
            self._arrived.set()

    def seen(self, request_id: str) -> list[Frame]:
        """The frames of one job received so far."""
        return [f for f in self._frames if f.event and f.data.get("jobId") == request_id]

    async def job(self, request_id: str, timeout: float = 60.0) -> list[Frame]:
        async def ended() -> list[Frame]:
            while True:
                mine = [f for f in self._frames if f.event and f.data.get("jobId") == request_id]
                if mine and mine[-1].event in TERMINAL:
                    return mine
                self._arrived.clear()
                await self._arrived.wait()

        try:
            return await asyncio.wait_for(ended(), timeout)
        except TimeoutError:
            raise AssertionError(
                f"no terminal event for {request_id} on /api/events within {timeout}s"
            ) from None

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._reader is not None:
            self._reader.cancel()
        await self._live.__aexit__(exc_type, exc, tb)


async def wait_until(predicate: Any, timeout: float = 20.0, interval: float = 0.1) -> Any:
    """Poll an async predicate until it returns something truthy (deadline, no fixed sleeps)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        value = await predicate()
        if value:
            return value
        if loop.time() >= deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        await asyncio.sleep(interval)


async def inflight_ids(client: httpx.AsyncClient) -> set[str]:
    return {job["requestId"] for job in (await client.get("/api/inflight")).json()["jobs"]}


def spawn_gateway(
    stack: RunningStack, overrides: dict[str, str] | None = None
) -> tuple[subprocess.Popen[bytes], str]:
    """A second gateway process on the same stack (same NATS, same services): another replica."""
    port = free_port()
    env = {
        **stack.env,
        "IMA2_HOME": str(stack.home),
        "IMA2_PORT": str(port),
        "IMA2_NATS_URL": stack.nats_url,
        "IMA2_SANDBOX": "1",
    }
    for name, address in stack.info["stack"]["services"].items():
        env[f"IMA2_{name.upper()}_ADDR"] = address
    env.update(overrides or {})
    proc = subprocess.Popen(
        [sys.executable, "-m", "ima2_gateway"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/api/health", timeout=1).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            pass
        time.sleep(0.05)
    proc.kill()
    raise RuntimeError("the second gateway did not start")
