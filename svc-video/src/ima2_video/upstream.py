"""The xAI HTTP surface the video service uses (upstream-apis §1.3 to §1.5), behind one small class.

`grok` talks to the progrok proxy (spec era) with the Grok OAuth bearer when one is stored,
`grok-api` to api.x.ai with the xAI key. Search, planner and analysis calls are retried on 5xx
and connection resets; the billable submits never are. Polls and downloads are plain calls:
the poll loop owns their retry policy.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

import httpx

from ima2_common import limits
from ima2_common.errors import Ima2Error
from ima2_common.logging import log_fields
from ima2_common.settings import Settings
from ima2_video import errors
from ima2_video.credentials import CredentialSource

log = logging.getLogger("ima2.video.upstream")

TEXT_RETRIES = 2
RETRY_BACKOFF = (0.25, 0.75)
DUMMY_BEARER = "dummy"  # the spec-era progrok proxy holds the session itself
LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")
VIDEO_CONTENT_TYPES = ("video/mp4", "application/octet-stream")


@dataclass(frozen=True)
class Lane:
    """One provider's way to xAI."""

    provider: str  # grok | grok-api
    base_url: str
    credential: str  # the svc-auth credential name: grok | xai
    oauth: bool


def lane_for(provider: str, settings: Settings) -> Lane:
    if provider == "grok":
        return Lane("grok", settings.grok_proxy_url.rstrip("/"), "grok", True)
    if provider == "grok-api":
        return Lane("grok-api", settings.xai_base_url.rstrip("/"), "xai", False)
    raise Ima2Error("VIDEO_PROVIDER_UNSUPPORTED")


@dataclass(frozen=True)
class Timeouts:
    search: float
    planner: float
    submit: float
    poll: float
    download: float

    @classmethod
    def from_settings(cls, settings: Settings) -> Timeouts:
        return cls(
            search=settings.grok_search_timeout_ms / 1000,
            planner=settings.grok_planner_timeout_ms / 1000,
            submit=settings.video_submit_timeout_seconds,
            poll=max(10.0, settings.video_poll_interval_seconds * 2),
            download=settings.video_download_timeout_seconds,
        )


@dataclass
class Answer:
    status: int
    body: Any


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _retryable(exc: httpx.HTTPError) -> bool:
    return isinstance(exc, httpx.TransportError) and not isinstance(exc, httpx.TimeoutException)


class XaiVideoUpstream:
    """One job's connection to xAI (it holds that job's bearer)."""

    def __init__(
        self,
        lane: Lane,
        http: httpx.AsyncClient,
        credentials: CredentialSource,
        timeouts: Timeouts,
        download_max_bytes: int = limits.VIDEO_DOWNLOAD_MAX_BYTES,
    ) -> None:
        self.lane = lane
        self.http = http
        self.credentials = credentials
        self.timeouts = timeouts
        self.download_max_bytes = download_max_bytes
        self._bearer = ""
        self._refreshed = False

    @property
    def provider(self) -> str:
        return self.lane.provider

    async def check_ready(self) -> None:
        """Before a job is admitted: `grok-api` without a key is GROK_API_KEY_MISSING."""
        secret = (await self.credentials.get(self.lane.credential)).strip()
        if not self.lane.oauth and not secret:
            raise Ima2Error("GROK_API_KEY_MISSING")
        self._bearer = secret or DUMMY_BEARER

    async def _refresh(self) -> bool:
        if not self.lane.oauth or self._bearer == DUMMY_BEARER or self._refreshed:
            return False
        self._refreshed = True
        try:
            secret = await self.credentials.refresh(self.lane.credential, self._bearer)
        except Ima2Error:
            return False
        if not secret or secret == self._bearer:
            return False
        self._bearer = secret
        return True

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._bearer}", "Content-Type": "application/json"}

    async def _send(self, method: str, path: str, payload: Any, timeout: float) -> httpx.Response:
        """One request; on a 401 with an OAuth bearer, refresh once and send again."""
        if not self._bearer:
            await self.check_ready()
        url = f"{self.lane.base_url}{path}"
        body = json.dumps(payload).encode() if payload is not None else None
        response = await self.http.request(
            method, url, content=body, headers=self._headers(), timeout=timeout
        )
        if response.status_code == 401 and await self._refresh():
            response = await self.http.request(
                method, url, content=body, headers=self._headers(), timeout=timeout
            )
        return response

    def _log(self, stage: str, status: int, started: float, attempt: int = 0) -> None:
        log.info(
            "xai video call",
            extra=log_fields(
                provider=self.lane.provider,
                stage=stage,
                status=status,
                attempt=attempt + 1,
                elapsedMs=round((time.monotonic() - started) * 1000),
            ),
        )

    # --- text: search, planner, analysis --------------------------------------------------------

    async def text(self, stage: str, path: str, payload: dict[str, Any]) -> dict[str, Any]:
        budget = self.timeouts.search if stage == "search" else self.timeouts.planner
        started = time.monotonic()
        try:
            async with asyncio.timeout(budget):
                for attempt in range(TEXT_RETRIES + 1):
                    last = attempt == TEXT_RETRIES
                    try:
                        response = await self._send("POST", path, payload, budget)
                    except httpx.TimeoutException:
                        raise errors.stage_timeout(stage) from None
                    except httpx.HTTPError as exc:
                        if _retryable(exc) and not last:
                            await asyncio.sleep(RETRY_BACKOFF[attempt])
                            continue
                        raise errors.stage_network(stage) from None
                    if response.status_code >= 500 and not last:
                        await asyncio.sleep(RETRY_BACKOFF[attempt])
                        continue
                    self._log(stage, response.status_code, started, attempt)
                    body = _json(response)
                    if response.status_code >= 400:
                        raise errors.text_stage(stage, response.status_code, body)
                    if not isinstance(body, dict):
                        raise Ima2Error("GROK_UPSTREAM_ERROR", upstream_type="invalid_json")
                    return body
        except TimeoutError:
            raise errors.stage_timeout(stage) from None
        raise AssertionError("unreachable")

    # --- video jobs -------------------------------------------------------------------------------

    async def submit(self, path: str, payload: dict[str, Any]) -> Answer:
        """One billable submit, never retried. Transport failures are errors; statuses are the caller's."""
        started = time.monotonic()
        try:
            response = await self._send("POST", path, payload, self.timeouts.submit)
        except httpx.TimeoutException:
            raise Ima2Error("GROK_VIDEO_TIMEOUT", upstream_type="submit_timeout") from None
        except httpx.HTTPError:
            raise Ima2Error("GROK_VIDEO_FAILED", upstream_type="network") from None
        self._log("submit", response.status_code, started)
        return Answer(response.status_code, _json(response))

    async def poll(self, request_id: str) -> Answer:
        """GET /videos/{id}; httpx errors propagate (the poll loop counts them)."""
        response = await self._send("GET", f"/videos/{request_id}", None, self.timeouts.poll)
        return Answer(response.status_code, _json(response))

    async def download(self, url: str) -> bytes:
        """GET the finished MP4: https (or http on loopback), ≤100 MB, an MP4 or octet-stream, `ftyp`."""
        parsed = urlparse(url)
        if parsed.scheme != "https" and not (parsed.scheme == "http" and parsed.hostname in LOCAL_HOSTS):
            raise Ima2Error("GROK_VIDEO_DOWNLOAD_FAILED", upstream_type="unsupported_url")
        started = time.monotonic()
        try:
            async with asyncio.timeout(self.timeouts.download):
                data = await self._fetch(url)
        except (TimeoutError, httpx.TimeoutException):
            raise Ima2Error("GROK_VIDEO_TIMEOUT", upstream_type="download_timeout") from None
        except httpx.HTTPError:
            raise Ima2Error("GROK_VIDEO_DOWNLOAD_FAILED", upstream_type="network") from None
        self._log("download", 200, started)
        return data

    async def _fetch(self, url: str) -> bytes:
        async with self.http.stream(
            "GET", url, timeout=self.timeouts.download, follow_redirects=True
        ) as resp:
            if not 200 <= resp.status_code < 300:
                raise Ima2Error("GROK_VIDEO_DOWNLOAD_FAILED", upstream_code=f"http_{resp.status_code}")
            content_type = resp.headers.get("content-type", "").split(";", 1)[0].strip().lower()
            if content_type not in VIDEO_CONTENT_TYPES:
                raise Ima2Error("GROK_VIDEO_DOWNLOAD_FAILED", upstream_type="not_a_video")
            declared = resp.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > self.download_max_bytes:
                raise Ima2Error("GROK_VIDEO_DOWNLOAD_FAILED", upstream_type="too_large")
            chunks: list[bytes] = []
            size = 0
            async for chunk in resp.aiter_bytes():
                size += len(chunk)
                if size > self.download_max_bytes:
                    raise Ima2Error("GROK_VIDEO_DOWNLOAD_FAILED", upstream_type="too_large")
                chunks.append(chunk)
        data = b"".join(chunks)
        if len(data) < 12 or data[4:8] != b"ftyp":
            raise Ima2Error("GROK_VIDEO_DOWNLOAD_FAILED", upstream_type="not_an_mp4")
        return data


class UpstreamFactory:
    """Builds one upstream per job from settings; nothing here knows about the sandbox."""

    def __init__(self, settings: Settings, http: httpx.AsyncClient, credentials: CredentialSource) -> None:
        self.settings = settings
        self.http = http
        self.credentials = credentials
        self.timeouts = Timeouts.from_settings(settings)

    async def ready(self, provider: str) -> XaiVideoUpstream:
        upstream = XaiVideoUpstream(
            lane_for(provider, self.settings), self.http, self.credentials, self.timeouts
        )
        await upstream.check_ready()
        return upstream
