"""Failed access-token attempts: per-address counting, lock-out with Retry-After, release."""

from __future__ import annotations

import httpx
from starlette.types import Receive, Scope, Send

from ima2_gateway.access import AccessControlMiddleware, AccessPolicy
from ima2_gateway.access_limiter import FailedAttemptLimiter

TOKEN = "a-long-enough-access-token"
WRONG = "not-the-access-token-at-all"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def ok_app(scope: Scope, receive: Receive, send: Send) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"2")]})
    await send({"type": "http.response.body", "body": b"ok"})


def client_from(app: AccessControlMiddleware, address: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(address, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://10.0.0.1:3333")


def test_limiter_counts_within_the_window_and_locks_out() -> None:
    clock = Clock()
    limiter = FailedAttemptLimiter(max_failures=3, window_seconds=10, lockout_seconds=30, clock=clock)
    assert limiter.failed("a") is None
    clock.now += 11  # the first failure left the window
    assert limiter.failed("a") is None
    assert limiter.failed("a") is None
    assert limiter.retry_after("a") is None
    assert limiter.failed("a") == 30
    assert limiter.retry_after("a") == 30
    assert limiter.retry_after("b") is None  # per address
    clock.now += 29.5
    assert limiter.retry_after("a") == 1
    clock.now += 0.5
    assert limiter.retry_after("a") is None
    assert limiter.tracked() == 0


def test_success_clears_and_table_is_bounded() -> None:
    limiter = FailedAttemptLimiter(max_failures=2, max_tracked=3, clock=Clock())
    limiter.failed("a")
    limiter.succeeded("a")
    assert limiter.failed("a") is None  # the count started again
    for address in ("b", "c", "d", "e"):
        limiter.failed(address)
    assert limiter.tracked() == 3


async def test_middleware_locks_out_an_address_after_wrong_tokens() -> None:
    clock = Clock()
    limiter = FailedAttemptLimiter(max_failures=3, window_seconds=60, lockout_seconds=120, clock=clock)
    app = AccessControlMiddleware(ok_app, AccessPolicy("10.0.0.1", 3333, TOKEN, ()), limiter)
    async with client_from(app, "10.0.0.9") as attacker, client_from(app, "10.0.0.8") as other:
        good = {"Authorization": f"Bearer {TOKEN}"}
        assert (await attacker.get("/api/health", headers=good)).status_code == 200
        # A request without any token is not an attempt.
        for _ in range(5):
            assert (await attacker.get("/api/health")).status_code == 401
        for attempt in (
            {"Authorization": f"Bearer {WRONG}"},
            {"X-Ima2-Token": WRONG},
        ):
            response = await attacker.get("/api/health", headers=attempt)
            assert response.status_code == 401
            assert "retry-after" not in response.headers
        assert (await attacker.get(f"/api/health?token={WRONG}")).status_code == 401
        locked = await attacker.get("/api/health", headers=good)  # even the right token waits
        assert locked.status_code == 429
        assert locked.json()["error"]["code"] == "LAN_AUTH_RATE_LIMITED"
        assert locked.headers["retry-after"] == "120"
        assert TOKEN not in locked.text
        # Another address is not affected.
        assert (await other.get("/api/health", headers=good)).status_code == 200
        clock.now += 60
        assert (await attacker.get("/api/health")).headers["retry-after"] == "60"
        clock.now += 60
        assert (await attacker.get("/api/health", headers=good)).status_code == 200
