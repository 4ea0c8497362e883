"""svc-video's plain classes on their own: lineage, the poll loop, planner parsing, download checks,
upstream error mapping. Cross-service behaviour is tested in tests/integration/test_video_*.py."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from ima2_common.errors import Ima2Error
from ima2_video import errors, lineage
from ima2_video.poller import PollPolicy, VideoPoller
from ima2_video.upstream import Answer, Lane, Timeouts, XaiVideoUpstream

MP4_HEAD = b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 64
TIMEOUTS = Timeouts(search=5, planner=5, submit=5, poll=5, download=5)


class Keys:
    async def get(self, provider: str) -> str:
        return "xai-unit-test"

    async def refresh(self, provider: str, rejected: str) -> str:
        return rejected


def upstream(handler: Callable[[httpx.Request], httpx.Response], max_bytes: int = 1000) -> XaiVideoUpstream:
    http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    lane = Lane("grok-api", "https://api.x.test/v1", "xai", oauth=False)
    return XaiVideoUpstream(lane, http, Keys(), TIMEOUTS, download_max_bytes=max_bytes)


# --- lineage ----------------------------------------------------------------------------------------


def test_lineage_keeps_the_start_and_the_latest_three() -> None:
    chain = None
    for index in range(6):
        name = f"17000000000{index:02d}_0000000{index}.mp4"
        chain = lineage.append(chain, name, f"user {index}", f"revised {index}", 1000 + index)
        chain = lineage.from_parent(name, {"videoContinuity": chain})
    assert chain is not None
    assert [e["revisedPrompt"] for e in chain["entries"]] == [
        "revised 0",
        "revised 3",
        "revised 4",
        "revised 5",
    ]
    assert [e["role"] for e in chain["entries"]] == ["start", "ancestor", "ancestor", "parent"]
    child = lineage.append(chain, "x.mp4", None, "revised 6", 2000)
    assert [e["role"] for e in child["entries"]] == ["start", "ancestor", "parent", "current"]
    assert [e["ordinal"] for e in child["entries"]] == [1, 2, 3, 4]
    assert child["lineageId"] == "lineage:1700000000000_00000000"


def test_lineage_from_a_sidecar_without_continuity() -> None:
    found = lineage.from_parent("a.mp4", {"prompt": "p", "revisedPrompt": "r", "createdAt": 5})
    assert found is not None and found["entries"][0]["revisedPrompt"] == "r"
    assert found["lineageId"] == "lineage:a" and found["parentFilename"] == "a.mp4"
    assert lineage.from_parent("a.mp4", {}) is None
    assert lineage.normalize({"entries": [{"revisedPrompt": "  "}]}) is None
    assert lineage.normalize("junk") is None
    assert "Do not restart the scene" in lineage.for_planner(found)


# --- the poll loop ----------------------------------------------------------------------------------


class Script:
    """A fake upstream whose polls answer from a list (an exception is raised)."""

    def __init__(self, answers: list[Answer | Exception]) -> None:
        self.answers = answers
        self.polls = 0

    async def poll(self, request_id: str) -> Answer:
        item = self.answers[min(self.polls, len(self.answers) - 1)]
        self.polls += 1
        if isinstance(item, Exception):
            raise item
        return item


def pending(progress: int) -> Answer:
    return Answer(200, {"status": "pending", "progress": progress})


DONE = Answer(
    200,
    {
        "status": "done",
        "model": "m",
        "video": {"url": "https://v.test/a.mp4", "duration": 6},
        "usage": {"cost_in_usd_ticks": 7},
    },
)


async def run_poll(
    answers: list[Answer | Exception], **policy: Any
) -> tuple[Any, list[tuple[float | None, bool]]]:
    seen: list[tuple[float | None, bool]] = []

    async def on_progress(progress: float | None, stalled: bool) -> None:
        seen.append((progress, stalled))

    poller = VideoPoller(PollPolicy(interval=0, **policy))
    result = await poller.wait(Script(answers), "id", on_progress)  # type: ignore[arg-type]
    return result, seen


async def test_poll_reports_fractions_and_transient_stalls() -> None:
    result, seen = await run_poll(
        [pending(10), Answer(503, None), httpx.ConnectError("x"), pending(55), DONE]
    )
    assert (
        result.url == "https://v.test/a.mp4"
        and result.duration == 6
        and result.usage == {"grok_cost_usd_ticks": 7}
    )
    assert seen == [(0.1, False), (0.1, True), (0.1, True), (0.55, False), (1.0, False)]


async def test_unchanged_progress_is_stalled() -> None:
    _, seen = await run_poll([pending(20), pending(20), DONE], stall=0)
    assert seen[:2] == [(0.2, True), (0.2, True)]


@pytest.mark.parametrize(
    ("answer", "code", "status"),
    [
        (
            Answer(200, {"status": "failed", "error": {"code": "failed_precondition"}}),
            "GROK_VIDEO_REQUEST_FAILED",
            412,
        ),
        (
            Answer(200, {"status": "failed", "error": {"code": "service_unavailable"}}),
            "GROK_VIDEO_POLL_FAILED",
            502,
        ),
        (Answer(200, {"status": "failed"}), "GROK_VIDEO_FAILED", 502),
        (Answer(200, {"status": "expired"}), "GROK_VIDEO_EXPIRED", 502),
        (Answer(404, {"code": "x"}), "GROK_VIDEO_POLL_FAILED", 502),
        (
            Answer(200, {"status": "done", "video": {"url": None, "respect_moderation": False}}),
            "GROK_VIDEO_MODERATION_BLOCKED",
            502,
        ),
        (Answer(200, {"status": "done", "video": {"url": ""}}), "GROK_VIDEO_EMPTY_RESPONSE", 502),
    ],
)
async def test_poll_endings(answer: Answer, code: str, status: int) -> None:
    with pytest.raises(Ima2Error) as raised:
        await run_poll([answer])
    assert (raised.value.code, raised.value.status) == (code, status)


async def test_too_many_transient_errors_and_the_budget() -> None:
    with pytest.raises(Ima2Error) as raised:
        await run_poll([Answer(502, None)] * 6 + [DONE])
    assert raised.value.code == "GROK_VIDEO_POLL_FAILED"
    result, _ = await run_poll([Answer(429, None)] * 5 + [DONE])
    assert result.model == "m"
    with pytest.raises(Ima2Error) as timed_out:
        await VideoPoller(PollPolicy(interval=0.01, budget=0.1)).wait(
            Script([pending(1)]),  # type: ignore[arg-type]
            "id",
            _ignore,
        )
    assert (timed_out.value.code, timed_out.value.status) == ("GROK_VIDEO_TIMEOUT", 504)


async def _ignore(progress: float | None, stalled: bool) -> None:
    return None


# --- planner and search parsing -------------------------------------------------------------------------


def test_submit_and_failure_mapping() -> None:
    assert errors.submit_refused(429, {}).code == "GROK_RATE_LIMITED"
    assert errors.submit_refused(403, {}).code == "GROK_AUTH_FAILED"
    assert errors.submit_refused(503, {}).code == "GROK_UPSTREAM_ERROR"
    refused = errors.submit_refused(
        400, {"code": "Client specified an invalid argument", "error": "secret text"}
    )
    assert (refused.code, refused.status, refused.upstream_code) == (
        "GROK_VIDEO_REQUEST_FAILED",
        400,
        "Client specified an invalid argument",
    )
    assert "secret text" not in refused.message
    assert errors.job_failed({"code": "permission_denied"}).status == 403


# --- download checks ----------------------------------------------------------------------------------------


async def test_download_accepts_an_mp4() -> None:
    up = upstream(lambda r: httpx.Response(200, content=MP4_HEAD, headers={"content-type": "video/mp4"}))
    assert await up.download("https://v.test/a.mp4") == MP4_HEAD
    octet = upstream(
        lambda r: httpx.Response(200, content=MP4_HEAD, headers={"content-type": "application/octet-stream"})
    )
    assert await octet.download("http://127.0.0.1:9/a.mp4") == MP4_HEAD


@pytest.mark.parametrize(
    ("url", "response", "reason"),
    [
        ("http://v.test/a.mp4", httpx.Response(200, content=MP4_HEAD), "unsupported_url"),
        (
            "https://v.test/a.mp4",
            httpx.Response(200, content=b"<html>", headers={"content-type": "text/html"}),
            "not_a_video",
        ),
        (
            "https://v.test/a.mp4",
            httpx.Response(200, content=b"x" * 100, headers={"content-type": "video/mp4"}),
            "not_an_mp4",
        ),
        (
            "https://v.test/a.mp4",
            httpx.Response(200, content=MP4_HEAD * 30, headers={"content-type": "video/mp4"}),
            "too_large",
        ),
    ],
)
async def test_download_refusals(url: str, response: httpx.Response, reason: str) -> None:
    with pytest.raises(Ima2Error) as raised:
        await upstream(lambda r: response).download(url)
    assert raised.value.code == "GROK_VIDEO_DOWNLOAD_FAILED" and raised.value.upstream_type == reason


async def test_download_http_error() -> None:
    with pytest.raises(Ima2Error) as raised:
        await upstream(lambda r: httpx.Response(404)).download("https://v.test/a.mp4")
    assert raised.value.code == "GROK_VIDEO_DOWNLOAD_FAILED" and raised.value.upstream_code == "http_404"
