"""A fake clock for time-dependent tests: the client's pacing, token expiry, the sandbox's
rate limits and push's time budget can all share one, so waiting costs no real time."""

from __future__ import annotations

import time


class FakeClock:
    def __init__(self, now: float | None = None):
        self.now = time.time() if now is None else now
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def time(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds
