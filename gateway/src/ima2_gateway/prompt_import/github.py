"""The GitHub calls prompt import makes: the contents API and raw files, nothing else.

The token (svc-auth's `github` credential: IMA2_GITHUB_TOKEN or config.json `github.token`) is
fetched per call, sent only to the configured GitHub API and raw hosts, and never logged or
returned. GitHub's answers map to: 404 -> None (the caller names it), 401 -> GITHUB_AUTH_FAILED,
403/429 with an exhausted rate limit -> GITHUB_RATE_LIMITED (Retry-After from x-ratelimit-reset),
timeouts -> REMOTE_FETCH_TIMEOUT, transport errors -> GITHUB_UNREACHABLE. Every process also keeps
its own window of GitHub calls per minute (PROMPT_IMPORT_RATE_LIMITED beyond it).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx

from ima2_common import limits
from ima2_common.errors import Ima2Error
from ima2_common.logging import log_fields

log = logging.getLogger("ima2.gateway.prompt_import")
TokenSource = Callable[[], Awaitable[str]]


class CallWindow:
    """At most `per_minute` calls in any 60 s (a sliding window)."""

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_minute = per_minute
        self.clock = clock
        self.calls: deque[float] = deque()

    def take(self) -> None:
        now = self.clock()
        while self.calls and now - self.calls[0] >= 60.0:
            self.calls.popleft()
        if len(self.calls) >= self.per_minute:
            retry = max(1, int(60.0 - (now - self.calls[0])) + 1)
            raise Ima2Error("PROMPT_IMPORT_RATE_LIMITED", extra={"retryAfter": retry})
        self.calls.append(now)


@dataclass(frozen=True)
class RawFile:
    data: bytes

    @property
    def text(self) -> str:
        return self.data.decode("utf-8", errors="replace")

    @property
    def content_hash(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


class GitHubClient:
    def __init__(
        self,
        api_url: str,
        raw_url: str,
        http: httpx.AsyncClient,
        token: TokenSource,
        window: CallWindow,
        timeout_seconds: float = limits.PROMPT_IMPORT_FETCH_TIMEOUT_SECONDS,
    ) -> None:
        self.api_url = api_url.rstrip("/")
        self.raw_url = raw_url.rstrip("/")
        self.http = http
        self.token = token
        self.window = window
        self.timeout_seconds = timeout_seconds

    async def _headers(self, api: bool) -> dict[str, str]:
        headers = {"User-Agent": "ima2"}
        if api:
            headers["Accept"] = "application/vnd.github+json"
            headers["X-GitHub-Api-Version"] = "2022-11-28"
        token = (await self.token()).strip()
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return headers

    @staticmethod
    def _refusal(response: httpx.Response) -> Ima2Error | None:
        status = response.status_code
        if status == 401:
            return Ima2Error("GITHUB_AUTH_FAILED")
        remaining = response.headers.get("x-ratelimit-remaining")
        if status == 429 or (status == 403 and remaining == "0"):
            reset = response.headers.get("x-ratelimit-reset", "")
            retry = max(1, int(reset) - int(time.time())) if reset.isdigit() else 60
            return Ima2Error("GITHUB_RATE_LIMITED", extra={"retryAfter": min(retry, 3600)})
        return None

    async def _get(self, url: str, api: bool, cap: int, too_large: str) -> tuple[int, bytes]:
        self.window.take()
        started = time.monotonic()
        try:
            async with self.http.stream(
                "GET",
                url,
                headers=await self._headers(api),
                timeout=self.timeout_seconds,
                follow_redirects=False,
            ) as response:
                refusal = self._refusal(response)
                if refusal is not None:
                    log.warning("github refused", extra=log_fields(status=response.status_code, api=api))
                    raise refusal
                if response.status_code == 404:
                    return 404, b""
                declared = response.headers.get("content-length", "")
                if declared.isdigit() and int(declared) > cap:
                    raise Ima2Error(too_large)
                chunks: list[bytes] = []
                size = 0
                async for chunk in response.aiter_bytes():
                    size += len(chunk)
                    if size > cap:
                        raise Ima2Error(too_large)
                    chunks.append(chunk)
                status = response.status_code
        except httpx.TimeoutException:
            raise Ima2Error("REMOTE_FETCH_TIMEOUT") from None
        except httpx.HTTPError:
            raise Ima2Error("GITHUB_UNREACHABLE") from None
        log.info(
            "github fetch",
            extra=log_fields(
                status=status, api=api, bytes=size, ms=round((time.monotonic() - started) * 1000)
            ),
        )
        return status, b"".join(chunks)

    @staticmethod
    def _path(path: str) -> str:
        return "/".join(quote(part, safe="") for part in path.split("/") if part)

    async def contents(self, owner: str, repo: str, ref: str, path: str) -> Any:
        """The contents API answer (a list for a folder), or None for 404."""
        suffix = f"/{self._path(path)}" if path else ""
        url = f"{self.api_url}/repos/{owner}/{repo}/contents{suffix}?ref={quote(ref, safe='')}"
        status, body = await self._get(
            url, True, limits.PROMPT_IMPORT_MAX_FILE_BYTES * 4, "REMOTE_FILE_TOO_LARGE"
        )
        if status == 404:
            return None
        if status >= 300:
            raise Ima2Error("INVALID_GITHUB_SOURCE", f"GitHub answered {status}.", status=422)
        try:
            return await asyncio.to_thread(json.loads, body)
        except ValueError:
            raise Ima2Error(
                "INVALID_GITHUB_SOURCE", "GitHub answered with invalid JSON.", status=422
            ) from None

    async def api_get(self, path_and_query: str) -> tuple[Any, dict[str, Any] | None]:
        """A REST GET (`/search/...`): the JSON body and the rate-limit state GitHub reported."""
        url = f"{self.api_url}{path_and_query}"
        self.window.take()
        try:
            response = await self.http.get(
                url, headers=await self._headers(True), timeout=self.timeout_seconds, follow_redirects=False
            )
        except httpx.TimeoutException:
            raise Ima2Error("REMOTE_FETCH_TIMEOUT") from None
        except httpx.HTTPError:
            raise Ima2Error("GITHUB_UNREACHABLE") from None
        refusal = self._refusal(response)
        if refusal is not None:
            raise refusal
        if response.status_code >= 300:
            raise Ima2Error(
                "GITHUB_DISCOVERY_FAILED", f"GitHub discovery failed with {response.status_code}."
            )
        headers = response.headers
        rate = {
            "limit": int(headers["x-ratelimit-limit"])
            if headers.get("x-ratelimit-limit", "").isdigit()
            else None,
            "remaining": int(headers["x-ratelimit-remaining"])
            if headers.get("x-ratelimit-remaining", "").isdigit()
            else None,
            "reset": int(headers["x-ratelimit-reset"])
            if headers.get("x-ratelimit-reset", "").isdigit()
            else None,
        }
        try:
            return response.json(), rate
        except ValueError:
            raise Ima2Error("GITHUB_DISCOVERY_FAILED", "GitHub answered with invalid JSON.") from None

    async def raw(self, owner: str, repo: str, ref: str, path: str, too_large: str) -> RawFile | None:
        url = f"{self.raw_url}/{owner}/{repo}/{quote(ref, safe='')}/{self._path(path)}"
        status, body = await self._get(url, False, limits.PROMPT_IMPORT_MAX_FILE_BYTES, too_large)
        if status == 404:
            return None
        if status >= 300:
            raise Ima2Error("INVALID_GITHUB_SOURCE", f"GitHub file fetch failed with {status}.", status=422)
        return RawFile(body)
