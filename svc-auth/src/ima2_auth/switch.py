"""Account switching: device-code logins for Grok and Codex, polled in the background.

A session answers as soon as the upstream hands out a user code; its poller then follows the
upstream's answers (pending, slow_down, retryable failures, denial, expiry) until the login
completes and the new credentials are stored. Finished sessions are kept for two minutes; pending
ones end when their device code expires or when nobody has asked about them for
`IMA2_AUTH_SWITCH_ABANDON_SECONDS`. At most 20 may be pending at once (reference §1.2).
Sessions live in JetStream KV (switch_store.py), so every svc-auth replica answers for them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from collections.abc import Awaitable, Callable

from ima2_auth.oauth.accounts import OAuthAccounts
from ima2_auth.oauth.device import DeviceLoginClient, DeviceStart, StartFailed
from ima2_auth.switch_store import MemorySessionStore, SessionStore, SwitchSession
from ima2_common.errors import Ima2Error
from ima2_common.logging import log_fields

log = logging.getLogger("ima2.auth.switch")
MAX_PENDING = 20
FINISHED_TTL_SECONDS = 120.0
START_TIMEOUT_SECONDS = 30.0
SLOW_DOWN_STEP_SECONDS = 5
MAX_POLL_RETRIES = 3  # retryable upstream failures in a row (429, 5xx, no answer)
FLOWS = ("", "device")


def _interval_setter(interval: int) -> Callable[[SwitchSession], None]:
    def change(session: SwitchSession) -> None:
        session.interval = interval

    return change


class AccountSwitcher:
    """Starts device logins and polls them; the sessions themselves live in a `SessionStore`.

    The replica that started a session runs its poller and rereads the session before each poll, so
    a cancel answered by another replica stops it. Any replica answers a poll, records that the
    session was asked about, and reaps expired or abandoned sessions."""

    def __init__(
        self,
        accounts: OAuthAccounts,
        clients: dict[str, DeviceLoginClient],
        abandon_seconds: float,
        clock: Callable[[], float] = time.time,  # wall clock: replicas compare each other's times
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        store: SessionStore | None = None,
    ) -> None:
        self.accounts = accounts
        self.clients = clients
        self.abandon_seconds = abandon_seconds
        self.clock = clock
        self.sleep = sleep
        self.store: SessionStore = store or MemorySessionStore()
        self.tasks: dict[str, asyncio.Task[None]] = {}

    async def pending_count(self) -> int:
        return sum(1 for s in await self.store.all() if s.status == "pending")

    async def start(self, provider: str, flow: str = "") -> SwitchSession:
        client = self.clients.get(provider)
        if client is None:
            raise Ima2Error("INVALID_SWITCH_PROVIDER")
        if flow not in FLOWS:
            raise Ima2Error("INVALID_SWITCH_FLOW")
        await self.reap()
        if await self.pending_count() >= MAX_PENDING:
            raise Ima2Error("TOO_MANY_SWITCH_SESSIONS")
        try:
            started = await asyncio.wait_for(client.start(), START_TIMEOUT_SECONDS)
        except StartFailed as exc:
            log.warning("account switch did not start", extra=log_fields(provider=provider))
            raise Ima2Error("SWITCH_START_FAILED", str(exc)) from None
        except TimeoutError:
            raise Ima2Error("SWITCH_START_FAILED", "The login server did not answer in time.") from None
        if await self.pending_count() >= MAX_PENDING:
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
        await self.store.create(session)
        self.tasks[session.id] = asyncio.create_task(self._run(session.id, client, started))
        log.info("account switch started", extra=log_fields(provider=provider, session=session.id))
        return session

    async def get(self, session_id: str) -> SwitchSession:
        await self.reap()
        now = self.clock()

        def seen(session: SwitchSession) -> None:
            session.last_seen = now

        session = await self.store.update(session_id, seen)
        if session is None:
            raise Ima2Error("SWITCH_SESSION_NOT_FOUND")
        return session

    async def cancel(self, session_id: str) -> SwitchSession:
        session = await self.get(session_id)
        if session.status == "pending":
            session = await self._finish(session_id, "expired", "canceled") or session
        return session

    async def _finish(
        self, session_id: str, status: str, error: str = "", email: str = ""
    ) -> SwitchSession | None:
        ended: list[bool] = []

        def finish(session: SwitchSession) -> None:
            ended.clear()
            if session.status != "pending":
                return
            session.status, session.error, session.email = status, error, email
            session.finished_at = self.clock()
            ended.append(True)

        session = await self.store.update(session_id, finish)
        task = self.tasks.get(session_id)
        if task is not None and task is not asyncio.current_task() and not task.done():
            task.cancel()
        if session is not None and ended:
            log.info(
                "account switch finished",
                extra=log_fields(provider=session.provider, session=session_id, status=status),
            )
        return session

    async def reap(self) -> None:
        now = self.clock()
        for session in await self.store.all():
            if session.status == "pending":
                if now >= session.expires_at:
                    await self._finish(session.id, "expired", "The device code expired.")
                elif now - session.last_seen > self.abandon_seconds:
                    await self._finish(session.id, "expired", "abandoned")
            elif now - session.finished_at > FINISHED_TTL_SECONDS:
                await self.store.delete(session.id)

    async def _current(self, session_id: str) -> SwitchSession | None:
        """The session as stored, if it is still pending (another replica may have ended it)."""
        session = await self.store.get(session_id)
        return session if session is not None and session.status == "pending" else None

    async def _run(self, session_id: str, client: DeviceLoginClient, started: DeviceStart) -> None:
        retries = 0
        interval = started.interval
        try:
            while True:
                await self.sleep(interval)
                await self.reap()
                session = await self._current(session_id)
                if session is None:
                    return
                outcome = await client.poll(started)
                session = await self._current(session_id)
                if session is None:
                    return
                interval = session.interval
                if outcome.kind == "pending":
                    retries = 0
                elif outcome.kind == "slow_down":
                    interval += SLOW_DOWN_STEP_SECONDS
                    await self.store.update(session_id, _interval_setter(interval))
                elif outcome.kind == "retry":
                    retries += 1
                    if retries > MAX_POLL_RETRIES:
                        await self._finish(session_id, "error", outcome.message)
                elif outcome.kind == "complete" and outcome.token is not None:
                    await self.accounts.save(session.provider, outcome.token)
                    await self._finish(session_id, "complete", email=outcome.token.email)
                elif outcome.kind == "expired":
                    await self._finish(session_id, "expired", outcome.message)
                else:
                    await self._finish(session_id, "error", outcome.message or "The login failed.")
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.error("account switch poller failed", extra=log_fields(error=type(exc).__name__))
            with contextlib.suppress(Exception):
                await self._finish(session_id, "error", "The login failed.")
        finally:
            self.tasks.pop(session_id, None)

    async def run_reaper(self, every: float = 5.0) -> None:
        while True:
            await asyncio.sleep(every)
            try:
                await self.reap()
            except Exception as exc:  # NATS away for a moment: try at the next round
                log.warning("account switch reaper failed", extra=log_fields(error=type(exc).__name__))

    async def close(self) -> None:
        tasks = [task for task in self.tasks.values() if not task.done()]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
