"""Exact's call limits, read from the X-RateLimit headers of every answer.

Resets are epoch milliseconds. A 429 for the minutely limit carries only the
minutely headers: a missing header means "unknown", never 0.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

HEADERS = {
    "daily_limit": "X-RateLimit-Limit",
    "daily_remaining": "X-RateLimit-Remaining",
    "daily_reset": "X-RateLimit-Reset",
    "minutely_limit": "X-RateLimit-Minutely-Limit",
    "minutely_remaining": "X-RateLimit-Minutely-Remaining",
    "minutely_reset": "X-RateLimit-Minutely-Reset",
}
# Wait for the next minute once this few calls are left, leaving room for another process on the same app.
MINUTELY_RESERVE = 1
# The minutely window is a clock minute; never wait longer than that plus a little drift.
MAX_WAIT_SECONDS = 65.0
RESET_DRIFT_SECONDS = 0.5


@dataclass
class RateLimits:
    daily_limit: int | None = None
    daily_remaining: int | None = None
    daily_reset: float | None = None  # epoch seconds
    minutely_limit: int | None = None
    minutely_remaining: int | None = None
    minutely_reset: float | None = None

    def update(self, headers: Mapping[str, str]) -> None:
        """Take every header present; keep what the answer did not say."""
        for name, header in HEADERS.items():
            raw = headers.get(header)
            if raw is None:
                continue
            try:
                number = int(raw)
            except ValueError:
                continue
            setattr(self, name, number / 1000 if name.endswith("_reset") else number)

    def daily_spent(self, now: float) -> bool:
        return self.daily_remaining == 0 and (self.daily_reset is None or now < self.daily_reset)

    def wait_before_next_call(self, now: float) -> float:
        """Seconds to wait so the next call does not hit the minutely limit (0: go ahead)."""
        if self.minutely_remaining is None or self.minutely_remaining > MINUTELY_RESERVE:
            return 0.0
        return seconds_until(self.minutely_reset, now)


def seconds_until(reset: float | None, now: float) -> float:
    """Time to wait for a reset, bounded; an unknown reset waits for the next clock minute."""
    if reset is None:
        reset = (now // 60 + 1) * 60
    return min(max(reset - now + RESET_DRIFT_SECONDS, 0.0), MAX_WAIT_SECONDS)


def is_daily_429(headers: Mapping[str, str]) -> bool:
    """A 429 is the daily limit only when the daily headers are there and say 0 remain."""
    return headers.get(HEADERS["daily_remaining"]) == "0"
