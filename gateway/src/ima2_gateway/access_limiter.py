"""Failed access-token attempts, counted per client address (LAN mode).

A client address that presents a wrong token `max_failures` times within `window_seconds` is locked
out for `lockout_seconds`: every request from it is answered 429 LAN_AUTH_RATE_LIMITED with
`Retry-After` (even one that carries the right token, so guessing cannot continue through the lock).
A correct token clears the address's count. The table is bounded: the oldest entries go first.
Each gateway replica counts on its own; with N replicas behind one balancer an address gets at
most N x `max_failures` tries per window.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

MAX_FAILURES = 10
WINDOW_SECONDS = 60.0
LOCKOUT_SECONDS = 300.0
MAX_TRACKED_ADDRESSES = 10_000


@dataclass
class _Entry:
    failures: list[float] = field(default_factory=list)
    locked_until: float = 0.0


class FailedAttemptLimiter:
    def __init__(
        self,
        max_failures: int = MAX_FAILURES,
        window_seconds: float = WINDOW_SECONDS,
        lockout_seconds: float = LOCKOUT_SECONDS,
        clock: Callable[[], float] = time.monotonic,
        max_tracked: int = MAX_TRACKED_ADDRESSES,
    ) -> None:
        self.max_failures = max_failures
        self.window_seconds = window_seconds
        self.lockout_seconds = lockout_seconds
        self.clock = clock
        self.max_tracked = max_tracked
        self._entries: OrderedDict[str, _Entry] = OrderedDict()

    def retry_after(self, address: str) -> int | None:
        """Whole seconds until the address may try again, or None when it is not locked out."""
        entry = self._entries.get(address)
        if entry is None or entry.locked_until <= 0.0:
            return None
        left = entry.locked_until - self.clock()
        if left <= 0:
            del self._entries[address]
            return None
        return max(1, math.ceil(left))

    def failed(self, address: str) -> int | None:
        """Record a wrong token; the lock-out's Retry-After when this attempt started one."""
        now = self.clock()
        entry = self._entries.pop(address, None) or _Entry()
        self._entries[address] = entry  # most recent last
        entry.failures = [t for t in entry.failures if now - t < self.window_seconds]
        entry.failures.append(now)
        while len(self._entries) > self.max_tracked:
            self._entries.popitem(last=False)
        if len(entry.failures) >= self.max_failures:
            entry.failures.clear()
            entry.locked_until = now + self.lockout_seconds
            return max(1, math.ceil(self.lockout_seconds))
        return None

    def succeeded(self, address: str) -> None:
        self._entries.pop(address, None)

    def tracked(self) -> int:
        return len(self._entries)
