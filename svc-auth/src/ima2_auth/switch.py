"""Account switching: device-code logins for Grok and Codex, polled in the background.

A session answers as soon as the upstream hands out a user code; its poller then follows the
upstream's answers (pending, slow_down, retryable failures, denial, expiry) until the login
completes and the new credentials are stored. Finished sessions are kept for two minutes; pending
ones end when their device code expires or when nobody has asked about them for
`IMA2_AUTH_SWITCH_ABANDON_SECONDS`. At most 20 may be pending at once (reference §1.2).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from ima2_auth.oauth.accounts import OAuthAccounts
from ima2_auth.oauth.device import DeviceLoginClient, DeviceStart, StartFailed
from ima2_common.errors import Ima2Error
from ima2_common.logging import log_fields

log = logging.getLogger("ima2.auth.switch")
MAX_PENDING = 20
FINISHED_TTL_SECONDS = 120.0
START_TIMEOUT_SECONDS = 30.0
SLOW_DOWN_STEP_SECONDS = 5
MAX_POLL_RETRIES = 3  # retryable upstream failures in a row (429, 5xx, no answer)
FLOWS = ("", "device")


@dataclass
class SwitchSession:
    id: str
    provider: str
    user_code: str
    verification_url: str
    expires_in: int
    interval: int
    expires_at: float
    last_seen: float
    flow: str = "device"
    status: str = "pending"  # pending | complete | error | expired
    email: str = ""
    error: str = ""
    finished_at: float = 0.0
    task: asyncio.Task[None] | None = field(default=None, repr=False)


class AccountSwitcher:
    def __init__(
        self,
        accounts: OAuthAccounts,
        clients: dict[str, DeviceLoginClient],
        abandon_seconds: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.accounts = accounts
        self.clients = clients
        self.abandon_seconds = abandon_seconds
        self.clock = clock
        self.sleep = sleep
        self.sessions: dict[str, SwitchSession] = {}

    def pending_count(self) -> int:
        return sum(1 for s in self.sessions.values() if s.status == "pending")

    async def start(self, provider: str, flow: str = "") -> SwitchSession:
        client = self.clients.get(provider)
        if client is None:
            raise Ima2Error("INVALID_SWITCH_PROVIDER")
        if flow not in FLOWS:
            raise Ima2Error("INVALID_SWITCH_FLOW")
        self.reap()
        if self.pending_count() >= MAX_PENDING:
            raise Ima2Error("TOO_MANY_SWITCH_SESSIONS")
        try:
            started = await asyncio.wait_for(client.start(), START_TIMEOUT_SECONDS)
        except StartFailed as exc:
            log.warning("account switch did not start", extra=log_fields(provider=provider))
            raise Ima2Error("SWITCH_START_FAILED", str(exc)) from None
        except TimeoutError:
            raise Ima2Error("SWITCH_START_FAILED", "The login server did not answer in time.") from None
        if self.pending_count() >= MAX_PENDING:
            raise Ima2Error("TOO_MANY_SWITCH_SESSIONS")
        now = self.clock()
        session = SwitchSession(
            id=secrets.token_urlsafe(18),
            provider=provider,
            user_code=started.user_code,
            verification_url=started.verification_url,
            expires_in=started.expires_in,
            interval=started.interval,
            expires_at=now + started.expires_in,
            last_seen=now,
        )
        self.sessions[session.id] = session
        session.task = asyncio.create_task(self._run(session, client, started))
        log.info("account switch started", extra=log_fields(provider=provider, session=session.id))
        return session

    def get(self, session_id: str) -> SwitchSession:
        self.reap()
        session = self.sessions.get(session_id)
        if session is None:
            raise Ima2Error("SWITCH_SESSION_NOT_FOUND")
        session.last_seen = self.clock()
        return session

    def cancel(self, session_id: str) -> SwitchSession:
        session = self.get(session_id)
        if session.status == "pending":
            self._finish(session, "expired", "canceled")
        return session

    def _finish(self, session: SwitchSession, status: str, error: str = "", email: str = "") -> None:
        if session.status != "pending":
            return
        session.status, session.error, session.email = status, error, email
        session.finished_at = self.clock()
        task = session.task
        if task is not None and task is not asyncio.current_task() and not task.done():
            task.cancel()
        log.info(
            "account switch finished",
            extra=log_fields(provider=session.provider, session=session.id, status=status),
        )

    def reap(self) -> None:
        now = self.clock()
        for session in list(self.sessions.values()):
            if session.status == "pending":
                if now >= session.expires_at:
                    self._finish(session, "expired", "The device code expired.")
                elif now - session.last_seen > self.abandon_seconds:
                    self._finish(session, "expired", "abandoned")
            elif now - session.finished_at > FINISHED_TTL_SECONDS:
                del self.sessions[session.id]

    async def _run(self, session: SwitchSession, client: DeviceLoginClient, started: DeviceStart) -> None:
        retries = 0
        try:
            while session.status == "pending":
                await self.sleep(session.interval)
                self.reap()
                if session.status != "pending":
                    return
                outcome = await client.poll(started)
                if session.status != "pending":
                    return
                if outcome.kind == "pending":
                    retries = 0
                elif outcome.kind == "slow_down":
                    session.interval += SLOW_DOWN_STEP_SECONDS
                elif outcome.kind == "retry":
                    retries += 1
                    if retries > MAX_POLL_RETRIES:
                        self._finish(session, "error", outcome.message)
                elif outcome.kind == "complete" and outcome.token is not None:
                    await self.accounts.save(session.provider, outcome.token)
                    self._finish(session, "complete", email=outcome.token.email)
                elif outcome.kind == "expired":
                    self._finish(session, "expired", outcome.message)
                else:
                    self._finish(session, "error", outcome.message or "The login failed.")
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.error("account switch poller failed", extra=log_fields(error=type(exc).__name__))
            self._finish(session, "error", "The login failed.")

    async def run_reaper(self, every: float = 5.0) -> None:
        while True:
            await asyncio.sleep(every)
            self.reap()

    async def close(self) -> None:
        tasks = [s.task for s in self.sessions.values() if s.task is not None and not s.task.done()]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
