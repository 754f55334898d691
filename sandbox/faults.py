"""Injected failures: what a stand-in server does wrong, in a fixed order, so tests can count it."""

from __future__ import annotations

import enum
import threading
from collections import Counter, deque
from dataclasses import dataclass


class Fault(enum.Enum):
    RATE_LIMIT = "rate_limit"  # 429, short-term limit
    SERVER_ERROR = "server_error"  # 500 / 503
    MALFORMED = "malformed"  # the right status with a truncated JSON body
    EXPIRED_TOKEN = "expired_token"  # 401 as if the token had just expired
    DAILY_QUOTA = "daily_quota"  # 429, daily limit: retrying today will not help


@dataclass(frozen=True)
class Faults:
    """The first ``rate_limit`` API requests get a 429, the next ``server_errors`` a 5xx, etc."""

    rate_limit: int = 0
    retry_after_seconds: float | None = 1.0  # None: the 429 carries no hint when to retry
    server_errors: int = 0
    malformed_pages: int = 0
    expired_tokens: int = 0
    slow_seconds: float = 0.0  # added to every API response
    daily_quota_exhausted: bool = False  # every API request gets the daily-limit 429


class FaultPlan:
    """Hands out one fault per API request until the configured ones are used up (thread-safe)."""

    def __init__(self, faults: Faults) -> None:
        self.faults = faults
        self._lock = threading.Lock()
        self._queue = deque(
            [Fault.RATE_LIMIT] * faults.rate_limit
            + [Fault.SERVER_ERROR] * faults.server_errors
            + [Fault.MALFORMED] * faults.malformed_pages
            + [Fault.EXPIRED_TOKEN] * faults.expired_tokens
        )
        self._served: Counter[Fault] = Counter()

    def next(self) -> tuple[Fault, int] | None:
        """The next fault and how many of its kind came before it, or None for a normal response."""
        with self._lock:
            if self.faults.daily_quota_exhausted:
                fault = Fault.DAILY_QUOTA
            elif self._queue:
                fault = self._queue.popleft()
            else:
                return None
            self._served[fault] += 1
            return fault, self._served[fault] - 1
