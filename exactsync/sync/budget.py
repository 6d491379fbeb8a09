"""Exact's daily call budget from run to run (EXDOC API_limits; ZAP: 5,000 calls per app
per division per day, reset at 00:00 UTC as X-RateLimit-Reset says, gh:picqer#609).

Each run that talked to Exact leaves the daily limit, the calls remaining and the reset
time, as last seen in Exact's headers, in the store's state: `status` shows them, and the
next run starts from them, so a spent budget stops cron runs without a call until the reset.
"""

from __future__ import annotations

import contextlib
import sqlite3
import time
from collections.abc import Iterator

import sqlite_utils

from exactsync.exact.ratelimit import RateLimits
from exactsync.store import state
from exactsync.timeutil import iso, parse, utcnow


def remember(db: sqlite_utils.Database, limits: RateLimits, division: int) -> None:
    """Keep what Exact's daily headers said; a run whose answers carried none changes nothing."""
    if limits.daily_remaining is None:
        return
    state.EXACT_DAILY_CALLS.set(db, {
        "division": division, "limit": limits.daily_limit, "remaining": limits.daily_remaining,
        "resets_at": iso(limits.daily_reset) if limits.daily_reset else None, "seen_at": utcnow()})


def last_seen(db: sqlite_utils.Database, now: float | None = None) -> dict:
    """What `status` shows. `remaining` is None when never seen or when the reset has
    passed since: Exact counts afresh then, and nobody has looked yet."""
    seen = state.EXACT_DAILY_CALLS.get(db) or {}
    shown = {"division": seen.get("division"), "limit": seen.get("limit"), "remaining": seen.get("remaining"),
             "resets_at": seen.get("resets_at"), "seen_at": seen.get("seen_at")}
    now = time.time() if now is None else now
    if shown["resets_at"] is None or parse(shown["resets_at"]).timestamp() <= now:
        shown["remaining"] = None
    return shown


def restore(db: sqlite_utils.Database, limits: RateLimits, division: int) -> None:
    """Start a run from the daily budget last seen for this division (Exact counts per
    division), while its reset is still ahead."""
    seen = last_seen(db)
    if seen["remaining"] is not None and seen["division"] == division:
        limits.daily_limit, limits.daily_remaining = seen["limit"], seen["remaining"]
        limits.daily_reset = parse(seen["resets_at"]).timestamp()


@contextlib.contextmanager
def carried(db: sqlite_utils.Database, client) -> Iterator[None]:
    """Around a run: the client starts from the stored budget and leaves what it saw,
    whatever way the run ends."""
    restore(db, client.limits, client.division)
    calls_before = client.calls
    try:
        yield
    finally:
        if client.calls > calls_before:
            # A store that cannot take this write has a worse problem, already on its way up.
            with contextlib.suppress(sqlite3.DatabaseError):
                remember(db, client.limits, client.division)
