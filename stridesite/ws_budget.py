"""What one websocket may cost the server: messages and bytes per second, and expensive actions.

Daphne bounds a single message (1 MB) but not how many arrive, nor what the server queues in
reply to a client that never reads: a flood of garbage on one socket grew the server to 1 GB,
and one runner spamming `subscribe` slowed every other page twentyfold. Each connection gets
token buckets; a client over its budget is closed with CLOSE_OVER_BUDGET and a reason, and the
others never notice.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

CLOSE_OVER_BUDGET = 4429  # like HTTP 429: too many requests


@dataclass
class Bucket:
    """A token bucket: `rate` tokens a second, at most `burst` held."""

    rate: float
    burst: float
    tokens: float = field(init=False)
    stamp: float = field(init=False, default_factory=time.monotonic)

    def __post_init__(self) -> None:
        self.tokens = self.burst

    def take(self, amount: float = 1.0) -> bool:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens < amount:
            return False
        self.tokens -= amount
        return True


@dataclass
class Budget:
    """One connection's budget; `spend` says which limit a message broke, or None."""

    messages_per_s: float
    bytes_per_s: float
    errors_per_s: float
    burst_s: float = 2.0
    _messages: Bucket = field(init=False)
    _bytes: Bucket = field(init=False)
    _errors: Bucket = field(init=False)

    def __post_init__(self) -> None:
        self._messages = Bucket(self.messages_per_s, self.messages_per_s * self.burst_s)
        self._bytes = Bucket(self.bytes_per_s, self.bytes_per_s * self.burst_s)
        self._errors = Bucket(self.errors_per_s, max(self.errors_per_s * self.burst_s, 10))

    def spend(self, size: int) -> str | None:
        if not self._messages.take():
            return "too many messages"
        if not self._bytes.take(size):
            return "too many bytes"
        return None

    def error(self) -> str | None:
        """Count one refused message; a client that keeps sending them is cut off."""
        return None if self._errors.take() else "too many refused messages"
