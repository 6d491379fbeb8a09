"""Exact's daily call budget in tests: the day passing, for the sandbox and for the store."""

from __future__ import annotations

import json
import time

from exactsync.store import get_state, set_state


def exact_day_passes(sandbox, db) -> None:
    """Exact's next UTC day: the sandbox counts calls afresh, and the reset the store
    last saw is in the past (a test cannot wait for midnight)."""
    sandbox.limits.clock = lambda: time.time() + 86_400
    seen = json.loads(get_state(db, "exact_daily_calls"))
    set_state(db, exact_daily_calls=json.dumps({**seen, "resets_at": "2020-01-01T00:00:00Z"}))
