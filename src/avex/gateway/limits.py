"""Gateway limits (PROTOCOL.md §3.6): token buckets per connection and per team, failed logins per IP."""

from __future__ import annotations

import time
from collections import deque


class TokenBucket:
    """A bucket of ``capacity`` tokens refilled continuously at ``rate`` per second; 0 capacity = unlimited."""

    __slots__ = ("capacity", "rate", "stamp", "tokens")

    def __init__(self, capacity: float, rate: float) -> None:
        self.capacity = capacity
        self.rate = rate
        self.tokens = float(capacity)
        self.stamp = time.monotonic()

    def take(self) -> bool:
        if not self.capacity:
            return True
        now = time.monotonic()
        tokens = self.tokens + (now - self.stamp) * self.rate
        self.stamp = now
        if tokens > self.capacity:
            tokens = self.capacity
        if tokens >= 1:
            self.tokens = tokens - 1
            return True
        self.tokens = tokens
        return False

    def refill(self) -> None:
        self.tokens = float(self.capacity)
        self.stamp = time.monotonic()


class NoticeGate:
    """At most one refusal notice per second (RATE_LIMIT_EXCEEDED answers, §3.6)."""

    __slots__ = ("last",)

    def __init__(self) -> None:
        self.last = -1.0

    def allow(self) -> bool:
        now = time.monotonic()
        if now - self.last >= 1.0:
            self.last = now
            return True
        return False


class LoginFailures:
    """Failed LOGINs per client IP in a sliding 60 s window; ``limit`` 0 disables the throttle."""

    WINDOW_S = 60.0

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._by_ip: dict[str, deque[float]] = {}

    def _recent(self, ip: str) -> deque[float]:
        q = self._by_ip.setdefault(ip, deque())
        edge = time.monotonic() - self.WINDOW_S
        while q and q[0] <= edge:
            q.popleft()
        return q

    def blocked(self, ip: str) -> bool:
        return bool(self.limit) and len(self._recent(ip)) >= self.limit

    def record(self, ip: str) -> None:
        if self.limit:
            self._recent(ip).append(time.monotonic())
