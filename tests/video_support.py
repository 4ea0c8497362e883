"""Helpers for the video-route tests: stored mp4s probed with ffmpeg, sidecars, the sandbox's
video request log and a few video bodies."""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from ima2_common import ffmpeg
from tests.image_support import png_bytes, rid, sse_post, wait_until
from tests.sse import Frame
from tests.stackctl import RunningStack

VIDEO_EVENTS = ("planning", "submitted", "progress", "done", "error")
SIZES_480P = {"16:9": (852, 480), "9:16": (480, 852), "1:1": (480, 480), "4:3": (640, 480)}


def vid(prefix: str = "req_vid") -> str:
    return rid(prefix)


def video_body(**fields: Any) -> dict[str, Any]:
    return {
        "prompt": "a cat playing piano",
        "provider": "grok-api",
        "duration": 2,
        "requestId": vid(),
        **fields,
    }


@dataclass
class StoredVideo:
    path: Path
    data: bytes
    sidecar: dict[str, Any]
    probe: ffmpeg.Probe


def probe_mp4(data: bytes) -> ffmpeg.Probe:
    """Duration and size of an MP4, read by ffmpeg (it must decode as a video)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "clip.mp4"
        path.write_bytes(data)
        stderr = ffmpeg.run_blocking(["-i", str(path), "-map", "0:v:0", "-f", "null", "-"], 60)
    return ffmpeg.parse_probe(stderr)


def stored_video(stack: RunningStack, filename: str) -> StoredVideo:
    folder = stack.home / "generated"
    data = (folder / filename).read_bytes()
    sidecar = json.loads((folder / f"{filename}.json").read_text())
    return StoredVideo(folder / filename, data, sidecar, probe_mp4(data))


def event_names(frames: list[Frame]) -> list[str]:
    return [f.event for f in frames if f.event]


def assert_video_order(names: list[str]) -> None:
    """planning -> submitted -> progress* -> done|error, nothing else."""
    assert names[:2] == ["planning", "submitted"], names
    assert names[-1] in ("done", "error"), names
    assert set(names[2:-1]) <= {"progress"}, names


async def generate(client: httpx.AsyncClient, body: dict[str, Any], timeout: float = 60.0) -> Frame:
    """Generate over the POST's SSE and return the terminal frame."""
    result = await sse_post(client, "/api/video/generate", body, timeout)
    assert result.status == 200 and result.frames, (result.status, result.body)
    return result.last


async def generate_done(client: httpx.AsyncClient, body: dict[str, Any]) -> dict[str, Any]:
    last = await generate(client, body)
    assert last.event == "done", last.data
    return last.data


async def video_calls(sandbox: httpx.AsyncClient, path: str = "/videos") -> list[dict[str, Any]]:
    calls = (await sandbox.get("/_sandbox/requests", params={"path": path})).json()["requests"]
    return [c for c in calls if c["upstream"] in ("xai", "progrok")]


async def submits_of(sandbox: httpx.AsyncClient, prompt_marker: str) -> list[dict[str, Any]]:
    """The video submits whose planned prompt carries `prompt_marker` (tests use unique prompts)."""
    calls = await video_calls(sandbox, "/videos/generations")
    return [c for c in calls if prompt_marker in str((c.get("json") or {}).get("prompt", ""))]


async def add_fault(sandbox: httpx.AsyncClient, **fault: Any) -> dict[str, Any]:
    response = await sandbox.post("/_sandbox/faults", json=fault)
    assert response.status_code == 201, response.text
    return response.json()["fault"]


async def sandbox_settings(sandbox: httpx.AsyncClient, **values: Any) -> None:
    response = await sandbox.put("/_sandbox/settings", json=values)
    assert response.status_code == 200, response.text


def png_data_url(width: int = 64, height: int = 36) -> str:
    import base64

    return "data:image/png;base64," + base64.b64encode(png_bytes(width, height, "RGB")).decode()


def unique(prefix: str = "scene") -> str:
    return f"{prefix} {vid('m')}"


async def terminal_job(client: httpx.AsyncClient, request_id: str) -> dict[str, Any]:
    """The job's terminal snapshot from /api/inflight (listing the KV keys can lag: poll for it)."""

    async def found() -> dict[str, Any] | None:
        terminal = (await client.get("/api/inflight", params={"includeTerminal": "1"})).json()["terminalJobs"]
        return next((j for j in terminal if j["requestId"] == request_id), None)

    return await wait_until(found, timeout=10)
