"""`ima2 video` and `video continue|edit|extend|frame|analyze` against the spec's /api/video/* routes.

These need the video routes (svc-video and the gateway's /api/video/*), which are built on
another branch: the lead runs this file after merging it."""

from __future__ import annotations

import json
import signal
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.cli.support import (
    CLI,
    api,
    as_json,
    assert_error,
    cli_env,
    history,
    ima2,
    ok,
    run_in_pty,
    terminal_env,
    wait_for,
)
from tests.stackctl import RunningStack

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def is_mp4(path: Path) -> bool:
    return path.read_bytes()[4:8] == b"ftyp"


@pytest.fixture
def video_sandbox(stack: RunningStack) -> Any:
    """Sandbox video jobs finish after two polls; a test may make them slower."""

    def polls(count: int) -> None:
        httpx.put(
            f"{stack.sandbox_url}/_sandbox/settings", json={"videoPolls": count}, timeout=10
        ).raise_for_status()

    httpx.delete(f"{stack.sandbox_url}/_sandbox/faults", timeout=10)
    polls(2)
    yield polls
    polls(2)


def generate(stack: RunningStack, tmp_path: Path, prompt: str = "a cat playing piano") -> dict[str, Any]:
    out = tmp_path / "clip.mp4"
    body = as_json(ok(ima2(stack.home, "video", prompt, "--duration", "2", "-o", str(out), "--json")))
    assert body["ok"] is True and body["path"] == str(out) and is_mp4(out)
    return body


def test_video_generate_saves_the_mp4_and_the_gallery_has_it(
    stack: RunningStack, video_sandbox: Any, tmp_path: Path
) -> None:
    body = generate(stack, tmp_path)
    assert body["filename"].endswith(".mp4") and body["url"] == f"/generated/{body['filename']}"
    rows = [r for r in history(stack) if r["filename"] == body["filename"]]
    assert len(rows) == 1 and rows[0]["mediaType"] == "video"
    # the explicit subcommand and -d work the same way; the printed line is the path
    text = ok(
        ima2(stack.home, "video", "generate", "waves at dusk", "--duration", "2", "-d", str(tmp_path / "d"))
    )
    [saved] = list((tmp_path / "d").iterdir())
    assert text.stdout.strip() == str(saved) and is_mp4(saved)


def test_video_progress_bar_on_a_terminal(stack: RunningStack, video_sandbox: Any, tmp_path: Path) -> None:
    video_sandbox(6)
    code, screen = run_in_pty(
        [*CLI, "video", "a slow pan", "--duration", "2", "-d", str(tmp_path)], terminal_env(stack)
    )
    assert code == 0, screen
    assert "video:" in screen and "%" in screen and "0:00:" in screen
    [saved] = list(tmp_path.iterdir())
    assert str(saved) in screen


def test_video_continue_keeps_the_lineage(stack: RunningStack, video_sandbox: Any, tmp_path: Path) -> None:
    parent = generate(stack, tmp_path)
    child = as_json(
        ok(
            ima2(
                stack.home,
                "video",
                "continue",
                parent["filename"],
                "she turns and waves",
                "--duration",
                "2",
                "-d",
                str(tmp_path / "next"),
                "--json",
            )
        )
    )
    assert is_mp4(Path(child["path"])) and child["filename"] != parent["filename"]
    continuity = child["videoContinuity"]
    assert continuity["parentFilename"] == parent["filename"]
    assert [e["filename"] for e in continuity["entries"]][:1] == [parent["filename"]]


def test_video_frame_and_analyze(stack: RunningStack, video_sandbox: Any, tmp_path: Path) -> None:
    clip = generate(stack, tmp_path)
    last = tmp_path / "last.png"
    ok(ima2(stack.home, "video", "frame", clip["filename"], "-o", str(last)))
    assert last.read_bytes().startswith(PNG_MAGIC)
    first = as_json(
        ok(
            ima2(
                stack.home,
                "video",
                "frame",
                clip["filename"],
                "--position",
                "0",
                "--json",
                "-o",
                str(tmp_path / "f.png"),
            )
        )
    )
    assert Path(first["path"]).read_bytes().startswith(PNG_MAGIC) and first["bytes"] > 0
    analysis = as_json(ok(ima2(stack.home, "video", "analyze", clip["filename"], "--json")))
    assert analysis["method"] == "first-last-frame" and analysis["analysis"]
    refused = ima2(stack.home, "video", "analyze", "https://example.com/a.mp4", "--json")
    assert refused.returncode == 5 and as_json(refused)["ok"] is False


def test_video_edit_and_extend(stack: RunningStack, video_sandbox: Any, tmp_path: Path) -> None:
    clip = generate(stack, tmp_path)
    edited = as_json(
        ok(
            ima2(
                stack.home,
                "video",
                "edit",
                clip["filename"],
                "-p",
                "make it sunset",
                "-o",
                str(tmp_path / "e.mp4"),
                "--json",
            )
        )
    )
    assert edited["path"] == str(tmp_path / "e.mp4") and is_mp4(tmp_path / "e.mp4")
    assert edited["filename"] in [r["filename"] for r in history(stack)]
    extended = as_json(
        ok(
            ima2(
                stack.home,
                "video",
                "extend",
                clip["filename"],
                "-p",
                "camera pulls back",
                "--duration",
                "2",
                "-d",
                str(tmp_path / "x"),
                "--json",
            )
        )
    )
    assert is_mp4(Path(extended["path"]))


def test_video_errors(stack: RunningStack, video_sandbox: Any) -> None:
    assert_error(
        ima2(stack.home, "video", "x", "--provider", "oauth", "--json"), 5, "VIDEO_PROVIDER_UNSUPPORTED", 400
    )
    assert_error(
        ima2(stack.home, "video", "x", "--resolution", "4k", "--json"), 5, "INVALID_VIDEO_RESOLUTION", 400
    )
    assert ima2(stack.home, "video", "x", "--duration", "99").returncode == 2


def test_ctrl_c_cancels_a_video_on_the_server(stack: RunningStack, video_sandbox: Any) -> None:
    video_sandbox(100000)  # the xAI job stays pending
    before = {j["requestId"] for j in api(stack, "GET", "/api/inflight").json()["jobs"]}
    proc = subprocess.Popen(
        [*CLI, "video", "a long one", "--json"],
        env=cli_env(stack.home),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:

        def running() -> dict[str, Any] | None:
            jobs = api(stack, "GET", "/api/inflight").json()["jobs"]
            return next(
                (j for j in jobs if j["requestId"].startswith("cli_") and j["requestId"] not in before), None
            )

        job = wait_for(running)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, err
    assert json.loads(out)["code"] == "GENERATION_CANCELED"
    ended = api(stack, "GET", "/api/inflight", params={"includeTerminal": "1"}).json()["terminalJobs"]
    assert [j["status"] for j in ended if j["requestId"] == job["requestId"]] == ["canceled"]
